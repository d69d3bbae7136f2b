"""A path's stamp: what says a file or folder is as it was (stdlib only: the kept-answer check runs before
anything heavy is imported)."""

from __future__ import annotations

import os

Stamp = tuple[int, int, int, int, int] | None
"""(device, inode, size, mtime ns, mode) of a path, following links; None when it does not exist."""


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode
