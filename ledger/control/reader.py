"""The agent's cheap read of ``control.json``: re-parsed only when its stat changes."""

from __future__ import annotations

import os
from pathlib import Path

from .model import CONTROL_FILE, Controls, parse_controls, why

Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    """(mtime, size, inode) of ``path``, None when it does not exist: what tells a file changed. Any
    other failure (a folder that is a file, no permission) raises: an agent must not take an
    unreadable control file for a missing one (review-only fails closed)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class ControlReader:
    """The agent's cheap read: re-parses ``control.json`` only when its stat changes.

    A file that turns corrupt keeps the last good controls in force (an agent in review-only mode
    must not leave it because someone broke the file) and says so in ``warning``.
    """

    def __init__(self, folder: Path | str):
        self.path = Path(folder).expanduser() / CONTROL_FILE
        self._stamp: tuple[int, int, int] | None = None
        self._controls = Controls()
        self.warning: str | None = None

    def current(self) -> Controls:
        now = stamp(self.path)
        if now == self._stamp:
            return self._controls
        self._stamp = now
        if now is None:  # no file (any more): the defaults
            self.warning = None
            self._controls = Controls()
            return self._controls
        try:
            controls = parse_controls(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            self.warning = f"{self.path} unusable ({why(exc)}); keeping the last good controls"
        else:
            self._controls = controls
            self.warning = None
        return self._controls
