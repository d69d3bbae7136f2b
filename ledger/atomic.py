"""Replacing a file so that no reader ever sees half of it and a crash leaves the old one.

The bytes go to a temporary file in the target's own folder (so ``os.replace`` is atomic on every
filesystem), are fsynced, moved into place, and the folder is fsynced so the rename survives a
crash too. An error inside the block leaves the target untouched and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


ORDINARY = 0o666 & ~_umask()  # what open() would make; mkstemp makes private (0600) files


@contextmanager
def replacing(path: Path, mode: int = ORDINARY) -> Iterator[BinaryIO]:
    """A binary file that takes ``path``'s place, with ``mode``, when the block ends cleanly."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be fsynced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
