"""Finding an agent's session files fast: thousands of them on every refresh, so no ``Path`` per file and no
``resolve()`` per file (a syscall per path component).

A root is made canonical once (``realpath``); below it, a plain entry's path is already canonical and
only a symlinked file is resolved. As ``Path.rglob`` does (Python 3.11), symlinked folders are not
followed, and only regular files are kept. Each folder's listing is remembered with its mtime: a
folder whose mtime has not moved since it was listed gained or lost no entry, so it is not listed again
— unless it changed within ``RACY_SECONDS`` of its listing (mtimes move in clock ticks, so an entry
made in the same tick as the listing would not move it: such a folder is listed again next time).
"""

from __future__ import annotations

import fnmatch
import os
import stat
import threading
import time
from dataclasses import dataclass

RACY_SECONDS = 2.0


@dataclass(frozen=True)
class _Listing:
    mtime_ns: int
    entries: tuple[tuple[str, bool], ...]
    """(path, is a folder) by name: regular files matching the pattern (canonical) and sub-folders
    (not symlinks) to walk into. In name order, so a walk finds files in ``Path`` order, unsorted."""


_listings: dict[tuple[str, str], _Listing] = {}
_lock = threading.Lock()


def _matcher(pattern: str):
    if pattern.startswith("*") and not any(c in pattern[1:] for c in "*?["):
        suffix = pattern[1:]
        return lambda name: name.endswith(suffix)
    return lambda name: fnmatch.fnmatchcase(name, pattern)


def _list(folder: str, pattern: str, matches) -> _Listing | None:
    """The folder's matching files and sub-folders, from the cache when its mtime says nothing moved."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    key = (folder, pattern)
    cached = _listings.get(key)
    if cached is not None and cached.mtime_ns == st.st_mtime_ns:
        return cached
    entries: list[tuple[str, str, bool]] = []
    try:
        with os.scandir(folder) as listed:
            for entry in listed:
                try:
                    if entry.is_symlink():
                        if matches(entry.name):
                            real = os.path.realpath(entry.path)
                            if stat.S_ISREG(os.stat(real).st_mode):
                                entries.append((entry.name, real, False))
                    elif entry.is_dir(follow_symlinks=False):
                        entries.append((entry.name, entry.path, True))
                    elif entry.is_file(follow_symlinks=False) and matches(entry.name):
                        entries.append((entry.name, entry.path, False))
                except OSError:
                    continue  # gone meanwhile, or a link to nowhere
    except OSError:
        return None
    entries.sort()
    listing = _Listing(st.st_mtime_ns, tuple((path, folder) for _, path, folder in entries))
    if time.time_ns() - st.st_mtime_ns > RACY_SECONDS * 1e9:
        with _lock:
            _listings[key] = listing
    else:
        _listings.pop(key, None)
    return listing


def find_files(roots: list[str], pattern: str = "*.jsonl") -> list[str]:
    """Every regular file matching ``pattern`` under ``roots`` (folders, searched recursively, or single
    files), canonical, each once, in ``Path`` order (by path components)."""
    matches = _matcher(pattern)
    found: list[str] = []
    for given in roots:
        root = os.path.realpath(given)
        try:
            mode = os.stat(root).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode):
            found.append(root)
            continue
        _walk(root, pattern, matches, found)
    return list(dict.fromkeys(found))


def _walk(folder: str, pattern: str, matches, found: list[str]) -> None:
    listing = _list(folder, pattern, matches)
    if listing is None:
        return
    for path, is_folder in listing.entries:
        if is_folder:
            _walk(path, pattern, matches, found)
        else:
            found.append(path)
