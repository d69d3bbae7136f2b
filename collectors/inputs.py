"""Everything a catch-up could read, as paths to ``stat``: the proof that nothing moved since an answer was
computed (``dashboard.cli.answers``: a cached report is only served when every one of these is as it was).

The list is conservative: every folder under every root the settings name (a folder's mtime moves when an
entry is added, removed or renamed in it), every file a catch-up would read there, every source the store
still follows (a symlink's old target, a rotated generation), the config file, and packwatch's own code
and its installed libraries (an upgrade can change an answer). A path that does not exist is recorded as
missing: it appearing is a change.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path

from ledger.file_stamp import Stamp, stamp
from ledger.settings import Settings
from ledger.store import Store

from .agents import enabled
from .reading import LEDGER_GLOB
from .sources import event_paths

CODE = Path(__file__).resolve().parent.parent
"""The folder holding packwatch's own packages (ledger, collectors, dashboard)."""


def _walk(root: str, pattern: str, out: dict[str, None]) -> None:
    """``root`` and every folder below it, and the files matching ``pattern`` (symlinked folders are not
    followed, as neither the catch-up's listing nor ``Path.rglob`` follows them)."""
    stack = [root]
    while stack:
        folder = stack.pop()
        out[folder] = None
        try:
            with os.scandir(folder) as listed:
                for entry in listed:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif fnmatch.fnmatchcase(entry.name, pattern):
                            out[entry.path] = None
                    except OSError:
                        continue
        except OSError:
            continue


def _root(path: Path, pattern: str, out: dict[str, None]) -> None:
    """A folder walked, or a single file (rotating it renames it: its own stamp moves; missing, it appearing
    is a change)."""
    given = os.path.abspath(path)
    if os.path.isdir(given):
        _walk(given, pattern, out)
    else:
        out[given] = None


def input_paths(settings: Settings, store: Store) -> list[str]:
    """Every path whose change could change what a catch-up reads, with ``settings`` (see the module)."""
    out: dict[str, None] = {}
    config = getattr(settings, "_config_path", None)
    if config is not None:
        out[os.path.abspath(config)] = None
    for ledger in settings.ledgers:
        _root(ledger, LEDGER_GLOB, out)
    for path in [*event_paths(settings.ledgers), *event_paths(settings.ledgers, "quota.jsonl")]:
        _root(path, "*", out)
    for path in (settings.error_log, settings.error_log.with_name(settings.error_log.name + ".1")):
        _root(path, "*", out)
    for log in enabled(settings):
        for files in log.files:
            for root in files.roots:
                _root(root, files.pattern, out)
        for db in log.databases:
            for suffix in ("", "-wal", "-journal"):
                _root(Path(f"{db.path}{suffix}"), "*", out)
    for (path,) in store.con.execute("SELECT DISTINCT path FROM sources WHERE active").fetchall():
        out[path] = None
    _code(out)
    return list(out)


def _code(out: dict[str, None]) -> None:
    """packwatch's own modules and the folders its libraries are installed in."""
    for package in ("ledger", "collectors", "dashboard"):
        for folder, folders, names in os.walk(CODE / package):
            folders[:] = [f for f in folders if f != "__pycache__"]  # written by imports: not code
            out[folder] = None
            for name in names:
                if name.endswith(".py"):
                    out[os.path.join(folder, name)] = None
    for entry in sys.path:
        if entry and os.path.isdir(entry) and "site-packages" in entry:
            out[entry] = None  # an install or upgrade adds or replaces a .dist-info folder here


def stamps(paths: list[str]) -> list[Stamp]:
    return [stamp(p) for p in paths]
