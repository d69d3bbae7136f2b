"""Reading one ledger file's new lines: only regular files, never by a call that can block, through one
open descriptor (so a file renamed or replaced meanwhile is never mistaken for the one checked), a last
line without its newline left for later, and a rewritten file read again without counting a line twice."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ledger.store import HEAD_BYTES, Ingested, Source, Store
from ledger.store.files import fingerprint, fingerprinted_length, pread, same_start
from ledger.store.ingest import add_events
from ledger.store.rewrite import ingest_rewritten

from . import errorlog

LEDGER_GLOB = "usage*.jsonl"
TAIL_BYTES = 4096
"""At most this much of the last line before a source's offset is remembered (as a fingerprint)."""


class NotRegular(OSError):
    """Not a regular file: a FIFO, a socket, a device or a folder."""


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor on ``path`` and its stat, never blocking (``O_NONBLOCK``: opening a FIFO with
    no writer would wait for one); ``NotRegular`` for anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegular("not a regular file (a FIFO, socket or device); skipped")
    return fd, st


def _by_descriptor(fd: int, path: Path) -> Path:
    """A path that names the open file itself (Linux ``/proc/self/fd``), whatever was renamed since."""
    proc = Path(f"/proc/self/fd/{fd}")
    return proc if proc.exists() else path


def discover(paths: list[Path], pattern: str = LEDGER_GLOB, skipped: list[str] | None = None,
             ) -> tuple[list[Path], list[Path]]:
    """(files to read, configured paths that do not exist). Folders are searched recursively; every
    path is resolved, so one file is found once however it was named. Anything that is not a regular
    file is left out, with a line in ``skipped``."""
    found: list[Path] = []
    missing: list[Path] = []
    for given in paths:
        p = Path(os.path.abspath(given))
        if p.is_dir():
            candidates = sorted(p.rglob(pattern))
        elif os.path.lexists(p) and p.exists():
            candidates = [p]
        else:
            missing.append(p)
            continue
        for c in candidates:
            try:
                mode = c.stat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                found.append(c.resolve())
            elif skipped is not None and not stat.S_ISDIR(mode):
                skipped.append(f"{c}: not a regular file (a FIFO, socket or device); skipped")
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


def pending(store: Store, source: Source, path: Path) -> tuple[int, int, bytes]:
    """(start, end, head): the complete lines ``path`` holds past ``source.offset``. A file that was
    truncated or replaced in place starts again at 0 (the agent logs' readers de-duplicate their rows)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        head = _head(fd)
        if _rewritten(source, st, head):
            store.update_source(source, offset=0)
        end = _complete_end(fd, source.offset, st.st_size)
    finally:
        os.close(fd)
    return source.offset, end, head


def _rewritten(source: Source, st: os.stat_result, head: bytes) -> bool:
    return st.st_size < source.offset or not same_start(source.head, head)


def read_new(store: Store, source: Source, path: Path, earlier: list[int] | None = None) -> Ingested:
    """Ingest whatever complete lines the file at ``path`` holds past ``source.offset``, through one
    descriptor; a rewritten file (or, with ``earlier``, a file that replaced those sources at its path)
    is read again, counting only lines not counted before. A file that is no longer ``source``'s (its
    inode changed since the caller looked) reads nothing: the next pass sees the rotation."""
    fd, st = open_regular(path)
    try:
        if (st.st_dev, st.st_ino) != (source.dev, source.inode):
            return Ingested()
        head = _head(fd)
        if st.st_size == source.offset and not earlier and not _rewritten(source, st, head):
            return Ingested()  # nothing new: most files, most of the time
        # A source that replaced others (an editor's save) is read as a rewrite of them until one read of
        # it has completed (its tail is kept then): a read cut short by a kill must not count their lines.
        rewrite = (_rewritten(source, st, head) or _tail_changed(fd, source) or bool(earlier)
                   or (bool(source.replaces) and not source.tail))
        start = 0 if rewrite else source.offset
        end = _complete_end(fd, start, st.st_size)
        via = _by_descriptor(fd, path)
        lineage = list(dict.fromkeys([*(earlier or []), *source.replaces]))  # files this one replaced
        if source.kind == errorlog.KIND:
            got = _read_error_log(store, source, via, start, end, head, [*lineage, source.id] if rewrite else [])
        elif rewrite:
            got = ingest_rewritten(store, source, via, end, head, lineage)
        else:
            got = store.ingest(source, via, start, end, head)
        _keep_tail(store, source, fd)
        return got
    finally:
        os.close(fd)


def _tail_changed(fd: int, source: Source) -> bool:
    """Whether the bytes before the offset are no longer the ones read there: a file rewritten (say,
    truncated and appended to) past its old size, which its size alone does not show."""
    n = fingerprinted_length(source.tail)
    if not n or source.offset < n:
        return False
    return not same_start(source.tail, os.pread(fd, n, source.offset - n))


def _keep_tail(store: Store, source: Source, fd: int) -> None:
    """Remember the last line before the new offset. Outside the ingest's transaction: after a crash between
    the two, the stale tail only makes the next read a (de-duplicating) rewrite read, never a double."""
    raw = os.pread(fd, min(TAIL_BYTES, source.offset), max(source.offset - TAIL_BYTES, 0)) if source.offset else b""
    tail = fingerprint(raw[raw.rfind(b"\n", 0, len(raw) - 1) + 1:])  # the whole last line: lines alike in
    # their last bytes (the same fields in the same order) are told apart by their start
    if tail != source.tail:
        store.update_source(source, tail=tail)


def _read_error_log(store: Store, source: Source, path: Path, start: int, end: int, head: bytes,
                    earlier: list[int]) -> Ingested:
    """Code Puppy's errors.log: whole blocks become ``error`` events; the offset moves only past the
    last complete block, in the same transaction as its rows. Read again after a rewrite, a block
    already stored from ``earlier`` sources is not stored twice."""
    if end <= start:
        return Ingested()
    parsed = errorlog.parse(pread(path, start, end), start, store.settings.secrets())
    if parsed.end == start:
        return Ingested()
    rows = errorlog.event_rows(parsed)
    if earlier and rows:
        rows = _not_stored(store, rows, earlier)
    return add_events(store, source, rows, parsed.rejects, parsed.end, head)


def _not_stored(store: Store, rows: list[tuple], earlier: list[int]) -> list[tuple]:
    """The error events of ``rows`` not already stored from ``earlier`` sources (same time and detail)."""
    import polars as pl

    frame = pl.DataFrame({"i": range(len(rows)), "ts": [r[0] for r in rows], "detail": [r[4] for r in rows]})
    store.con.register("pw_blocks", frame)
    try:
        fresh = store.con.execute("""
            SELECT i FROM pw_blocks b ANTI JOIN (
                SELECT ts, detail::VARCHAR AS detail FROM events WHERE source_id IN (SELECT unnest($ids))) e
            ON e.ts = CAST(b.ts AS TIMESTAMPTZ) AND e.detail = b.detail::JSON::VARCHAR
            ORDER BY i""", {"ids": earlier}).fetchall()
    finally:
        store.con.unregister("pw_blocks")
    return [rows[i] for (i,) in fresh]


