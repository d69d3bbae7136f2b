"""Following ledger files by byte offset, through appends, truncation, replacement and rotation.

The rules (DESIGN.md): a last line without its newline waits; a file that shrinks or whose first
bytes changed is read again from the start; a rotated file (renamed, a new one created) is finished
before the new one starts. The store commits rows and offsets together, so this module only decides
*which* byte ranges to hand it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ledger.store import HEAD_BYTES, Ingested, Source, Store
from ledger.store.files import pread
from ledger.store.ingest import add_events

from . import errorlog

LEDGER_GLOB = "usage*.jsonl"
EVENTS_GLOB = "events*.jsonl"
ERROR_LOG_GLOB = "errors.log"
QUOTA_GLOB = "quota*.jsonl"
GLOBS = {"usage": LEDGER_GLOB, "events": EVENTS_GLOB, "errorlog": ERROR_LOG_GLOB, "quota": QUOTA_GLOB}


@dataclass
class CatchUp:
    """What one pass over the ledgers found."""

    rows: int = 0
    rejected: int = 0
    events: int = 0  # event-log records (``rows`` counts usage records)
    files: int = 0
    missing: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    agent_files: int = 0
    """Files read from other agents' own logs (Claude Code, Codex)."""
    quota: int = 0
    """Quota snapshots (the status line's quota.jsonl, Codex's rate limits)."""

    def __iadd__(self, other: CatchUp) -> CatchUp:
        self.rows += other.rows
        self.rejected += other.rejected
        self.files += other.files
        self.missing += other.missing
        self.errors += other.errors
        self.agent_files += other.agent_files
        self.events += other.events
        self.quota += other.quota
        return self

    @property
    def changed(self) -> bool:
        return bool(self.rows or self.events or self.rejected or self.quota)


def discover(paths: list[Path], pattern: str = LEDGER_GLOB) -> tuple[list[Path], list[Path]]:
    """(files to read, configured paths that do not exist). Folders are searched recursively."""
    found: list[Path] = []
    missing: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob(pattern) if f.is_file()))
        elif p.exists():
            found.append(p)
        else:
            missing.append(p)
    return list(dict.fromkeys(found)), missing


def _head(fd: int) -> bytes:
    return os.pread(fd, HEAD_BYTES, 0)


def _complete_end(fd: int, start: int, size: int) -> int:
    """The offset just after the last newline in [start, size); ``start`` if there is none."""
    pos = size
    step = 1 << 16
    while pos > start:
        lo = max(start, pos - step)
        block = os.pread(fd, pos - lo, lo)
        nl = block.rfind(b"\n")
        if nl >= 0:
            return lo + nl + 1
        pos = lo
    return start


def _find_by_inode(path: Path, dev: int | None, inode: int | None) -> Path | None:
    """Where a rotated file went: a sibling named like it (``usage.jsonl.1``) with its inode."""
    if inode is None:
        return None
    try:
        siblings = [p for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path]
    except OSError:
        return None
    for p in siblings:
        try:
            st = p.stat()
        except OSError:
            continue
        if st.st_ino == inode and st.st_dev == dev:
            return p
    return None


def pending(store: Store, source: Source, path: Path) -> tuple[int, int, bytes]:
    """(start, end, head): the complete lines ``path`` holds past ``source.offset``. A file that
    was truncated or replaced in place starts again at 0 (the rows already counted stay)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        head = _head(fd)
        known = source.head
        if st.st_size < source.offset or (known and head[: len(known)] != known[: len(head)]):
            store.update_source(source, offset=0)
        end = _complete_end(fd, source.offset, st.st_size)
    finally:
        os.close(fd)
    return source.offset, end, head


def read_new(store: Store, source: Source, path: Path) -> Ingested:
    """Ingest whatever complete lines ``path`` holds past ``source.offset``."""
    start, end, head = pending(store, source, path)
    if source.kind == errorlog.KIND:
        return _read_error_log(store, source, path, start, end, head)
    return store.ingest(source, path, start, end, head)


def _read_error_log(store: Store, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
    """Code Puppy's errors.log: whole blocks become ``error`` events; the offset moves only past the
    last complete block, in the same transaction as its rows."""
    if end <= start:
        return Ingested()
    parsed = errorlog.parse(pread(path, start, end), start, store.settings.secrets())
    if parsed.end == start:
        return Ingested()
    return add_events(store, source, errorlog.event_rows(parsed), parsed.rejects, parsed.end, head)


def catch_up(store: Store, paths: list[Path], kind: str = "usage",
             known: dict[str, Source] | None = None) -> CatchUp:
    """One pass: every file of ``kind`` (``usage``, ``events``, ``quota`` or ``errorlog``) brought up to its last
    complete line. ``known``: the kind's active sources by path, when the caller has them."""
    result = CatchUp()
    mark = store.mark() if kind == "usage" else -1
    files, result.missing = discover(paths, GLOBS[kind])
    if known is None:
        known = {s.path: s for s in store.sources(kind)}
    # Files we were reading that are gone from their path: rotated away, or deleted.
    for src in known.values():
        p = Path(src.path)
        if p not in files and not p.exists() and _configured(p, paths):
            _finish_rotated(store, src, p, result)
    for path in files:
        try:
            st = path.stat()
            src = known.get(str(path))
            if src is not None and (src.dev, src.inode) != (st.st_dev, st.st_ino):
                _finish_rotated(store, src, path, result)
                src = None
            if src is None:
                with open(path, "rb") as fh:
                    head = fh.read(HEAD_BYTES)
                src = store.add_source(kind, str(path), st.st_dev, st.st_ino, head)
            got = read_new(store, src, path)
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
            continue
        result.rows += got.rows
        result.rejected += got.rejected
        result.files += 1
    if result.rows and kind == "usage":
        store.settle(mark)
    return result


def _under(p: Path, root: Path) -> bool:
    return p == root or root in p.parents


def _configured(p: Path, paths: list[Path]) -> bool:
    return any(_under(p, root) for root in paths)


def _finish_rotated(store: Store, src: Source, path: Path, result: CatchUp) -> None:
    """Read the rest of a rotated file under its new name, then retire its source."""
    moved = _find_by_inode(path, src.dev, src.inode)
    if moved is not None:
        got = read_new(store, src, moved)
        result.rows += got.rows
        result.rejected += got.rejected
        store.update_source(src, path=str(moved), active=False)
    else:
        store.update_source(src, active=False)
