"""Following other agents' own logs by byte offset (one file per session), whole JSON documents, and
SQLite databases, into the store.

The ledger's rules hold (DESIGN.md): a last line without its newline waits; a file that shrinks or
whose first bytes changed is read again from the start; new files are picked up as they appear.
Thousands of small session files are read in time-boxed batches, each committed in one
transaction with every file's new offset, so a crash neither loses nor double-counts a line and a
cold read does not pay one commit per file. A parser turns bytes into ``AgentRow`` s; which copy of
a repeated response counts is decided in ``ledger.store.agent_rows``. After a pass, sessions whose
agent wrote its own totals get their unlogged rows made again (``ledger.store.agent_totals``).

Unlike the ledger, these lines are not held to ``max_line_bytes``: the agents put whole tool
outputs (files, images) in one line, and such a line is normal, not malformed.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.store import HEAD_BYTES, Source, Store, agent_rows, agent_totals
from ledger.store.agent_rows import AgentBatch, FileRead
from ledger.store.files import same_start
from ledger.store.rollup import refresh_rollup

from ..finding import find_files
from ..progress import ProgressReport, ReadProgress
from ..tail import CatchUp
from .base import AgentLog, LogFiles, Parsed
from .database import read_database

BATCH_SECONDS = 1.0  # STYLE.md: collectors commit in time boxes (longer here: each commit costs ~8 statements)
BATCH_BYTES = 64 << 20


class Batcher:
    """Collects file reads and commits them together about every ``BATCH_SECONDS``; remembers what
    the pass touched (the earliest replaced copy, the sessions) for the work after it."""

    def __init__(self, store: Store, agent: str, result: CatchUp, progress: ProgressReport | None = None,
                 files: int = 0, size: int = 0) -> None:
        self.store = store
        self.progress, self.files, self.size = progress, files, size
        self.files_done = self.bytes_done = 0
        self.agent = agent
        self.result = result
        self.batch = AgentBatch(agent)
        self.bytes = 0
        self.started = time.monotonic()
        self.earliest_replaced = None
        self.sessions: set[str] = set()
        self.mark: int | None = None
        """The store's last row before this pass's first commit (None: nothing was read)."""

    def add(self, read: FileRead, parsed: Parsed, size: int) -> None:
        if self.mark is None:
            self.mark = self.store.mark()
        self.batch.rows.extend(parsed.rows)
        self.batch.quota.extend(parsed.quota)
        self.batch.rejects.extend((read.source.id, *r) for r in parsed.rejects)
        self.batch.totals.extend(parsed.totals)
        self.batch.reads.append(read)
        self.sessions.update(r.session for r in parsed.rows if r.session)
        self.sessions.update(t.session for t in parsed.totals)
        self.bytes += size
        if self.bytes >= BATCH_BYTES or time.monotonic() - self.started >= BATCH_SECONDS:
            self.flush()
        self.files_done += 1
        self.bytes_done += size
        self.tell()

    def tell(self, done: bool = False) -> None:
        if self.progress is not None:
            self.progress(ReadProgress(self.agent, self.files_done, self.files, self.bytes_done, self.size, done))

    def flush(self) -> None:
        if self.batch.reads:
            done = agent_rows.commit(self.store, self.batch)
            self.result.rows += done.rows
            self.result.quota += done.quota
            self.result.rejected += done.rejected
            self._earliest(done.earliest)
        self.batch = AgentBatch(self.agent)
        self.bytes = 0
        self.started = time.monotonic()

    def _earliest(self, when) -> None:
        if when is not None and (self.earliest_replaced is None or when < self.earliest_replaced):
            self.earliest_replaced = when


def found_files(files: LogFiles) -> list[Path]:
    """The files of one kind an agent has written (sorted)."""
    return [Path(f) for f in _found(files)]


def _found(files: LogFiles) -> list[str]:
    """As ``found_files``, as canonical path strings (no ``Path`` per file: thousands, every pass)."""
    found = find_files([str(r) for r in files.roots], files.pattern)
    return [f for f in found if files.accept(Path(f))] if files.accept is not None else found


def log_files(log: AgentLog) -> list[Path]:
    """Every file an agent's log is read from: its files of each kind and its databases."""
    return [f for files in log.files for f in found_files(files)] + [d.path for d in log.databases if d.path.exists()]


def catch_up_log(store: Store, log: AgentLog, progress: ProgressReport | None = None) -> CatchUp:
    """One pass over one agent's logs: every file brought up to its last complete line, every
    database up to its last committed row. When nothing changed (most passes): a listing, one ``stat``
    per file and one light query, no open. ``progress`` hears how far the reading got."""
    result = CatchUp()
    roots = [r for r in log.roots if r.exists()]
    if not roots:
        if log.required:  # asked for, and none of its folders is there (one of them is enough)
            result.missing_agents.append(f"{log.agent} at {', '.join(map(str, log.roots))}")
        return result
    listed = [(files, _found(files)) for files in log.files]
    stamps = store.source_stamps(log.agent)
    sizes: dict[str, int] = {}
    touched = [(files, _touched(found, stamps, result, sizes)) for files, found in listed]
    found_all = {f for _, found in listed for f in found}
    result.agent_files = sum(len(found) for _, found in listed)
    if not log.databases and not any(t for _, t in touched) and found_all.issuperset(stamps):
        return result  # nothing new, nothing gone
    with _few_collections():
        _read(store, log, roots, touched, found_all, sizes, result, progress)
    return result


@contextmanager
def _few_collections() -> Iterator[None]:
    """A read of many files makes hundreds of thousands of objects (records, rows) that all live until
    their batch commits, with no cycles among them: the cyclic collector scanned them again and again
    (~0.5 s of a 3,000-file cold read). It runs every 100,000 allocations meanwhile, not every 700."""
    with _reads_lock:  # reads in two threads at once: the first in sets it, the last out puts it back
        if not _reads:
            _saved.append(gc.get_threshold())
            gc.set_threshold(max(_saved[-1][0], 100_000), *_saved[-1][1:])
        _reads.append(None)
    try:
        yield
    finally:
        with _reads_lock:
            _reads.pop()
            if not _reads:
                gc.set_threshold(*_saved.pop())


_reads_lock = threading.Lock()
_reads: list[None] = []
_saved: list[tuple[int, ...]] = []


def _read(store: Store, log: AgentLog, roots: list[Path], touched: list[tuple[LogFiles, list[str]]],
          found_all: set[str], sizes: dict[str, int], result: CatchUp, progress: ProgressReport | None) -> None:
    known = {s.path: s for s in store.sources(log.agent)}
    _retire_deleted(store, roots, known, found_all)
    batcher = Batcher(store, log.agent, result, progress, len(sizes), sum(sizes.values()))
    states: dict[int, dict] | None = None
    for files, paths in touched:
        current, new = _changed_files(store, paths, known, result, whole=files.whole)
        if current:
            if states is None:
                states = agent_rows.parser_states(store, log.agent)
            _read_changed(store, log.agent, files, current, new, states, batcher, result)
    for db in log.databases:
        read_database(store, log.agent, db, known, batcher, result)
    batcher.flush()
    batcher.tell(done=True)
    if batcher.mark is not None:  # something was read
        _after_pass(store, log, batcher, result)


def _touched(found: list[str], stamps: dict[str, tuple[int, int, int]], result: CatchUp,
             sizes: dict[str, int]) -> list[str]:
    """The files whose size, device or inode is not what the store has (new files too); ``sizes``
    gets how much of each is left to read, about."""
    out = []
    for path in found:
        try:
            st = os.stat(path)
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
            continue
        stamp = stamps.get(path)
        if stamp != (st.st_dev, st.st_ino, st.st_size):
            out.append(path)
            sizes[path] = st.st_size - (stamp[2] if stamp and stamp[:2] == (st.st_dev, st.st_ino) else 0)
    return out


def _retire_deleted(store: Store, roots: list[Path], known: dict[str, Source], found: set[str]) -> None:
    """A known session file under the roots that the listing no longer holds and that is gone: its
    source retired (its rows stay). Only those are checked, not every known file."""
    under = tuple(f"{r}{os.sep}" for r in roots)
    named = {str(r) for r in roots}
    for path, src in known.items():
        if path not in found and (path in named or path.startswith(under)) and not os.path.exists(path):
            store.update_source(src, active=False)


def _after_pass(store: Store, log: AgentLog, batcher: Batcher, result: CatchUp) -> None:
    """Price and roll up what the pass brought, then make the touched sessions' unlogged rows again."""
    if result.rows:
        store.settle(batcher.mark)
    if batcher.earliest_replaced is not None:
        refresh_rollup(store, batcher.earliest_replaced)  # a replaced copy's hour may be older
    if log.totals_provider is None or not batcher.sessions:
        return
    sessions = agent_totals.sessions_with_totals(store, log.agent, batcher.sessions)
    mark = store.mark()
    changed = agent_totals.reconcile(store, log.agent, sessions, log.totals_provider)
    if changed is not None:
        store.settle(mark)  # a model only the totals name is priced
        refresh_rollup(store, changed)


def _changed_files(store: Store, files: list[str], known: dict[str, Source], result: CatchUp, *, whole: bool,
                   ) -> tuple[list[tuple[Path, Source | None]], list[tuple[str, int, int, bytes]]]:
    """(files with something new, with their source when known; new files as (path, dev, inode, head)).
    One ``stat`` per file and no open when nothing changed: the size, device and inode against the store's."""
    current: list[tuple[Path, Source | None]] = []
    new: list[tuple[str, int, int, bytes]] = []
    for path in files:
        try:
            st = os.stat(path)
            src = known.get(path)
            if src is not None and st.st_size == src.offset and st.st_ino == src.inode and st.st_dev == src.dev:
                continue  # nothing new: most files, most of the time
            if src is not None and (src.dev, src.inode) != (st.st_dev, st.st_ino):
                store.update_source(src, active=False)  # replaced by a new file: read that anew
                src = None
            if src is None:
                with open(path, "rb") as fh:
                    new.append((path, st.st_dev, st.st_ino, fh.read(HEAD_BYTES)))
            elif whole:
                store.update_source(src, offset=0)  # a document changed: read it all again
            current.append((Path(path), src))
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
    return current, new


def _read_changed(store: Store, agent: str, files: LogFiles, current: list[tuple[Path, Source | None]],
                  new: list[tuple[str, int, int, bytes]], states: dict[int, dict], batcher: Batcher,
                  result: CatchUp) -> None:
    added = {s.path: s for s in agent_rows.add_sources(store, agent, new)}
    for path, src in current:
        source = src or added[str(path)]
        try:
            start, end, head, data = _pending(store, source, path) if not files.whole else _whole(path)
            result.files += 1
            if end <= start:
                continue
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
            continue
        state = states.get(source.id) if start else None
        parsed = files.parser.parse(data, start, path, source.id, state)
        read = FileRead(source, end, head, rows=len(parsed.rows) + parsed.dropped, rejected=len(parsed.rejects),
                        state=parsed.state)
        batcher.add(read, parsed, end - start)


def _whole(path: Path) -> tuple[int, int, bytes, bytes]:
    """A whole document: all of it (its rows say which response each is, so nothing counts twice)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return 0, len(data), data[:HEAD_BYTES], data


def _pending(store: Store, source: Source, path: Path) -> tuple[int, int, bytes, bytes]:
    """(start, end, head, the complete lines past ``source.offset``), through one open and one read:
    a cold read of thousands of files paid three of each (the head, the last newline, the lines). A file
    truncated or replaced in place starts again at 0, as ``collectors.reading.pending`` has it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, HEAD_BYTES, 0)
        if size < source.offset or not same_start(source.head, head):
            store.update_source(source, offset=0)
        start = source.offset
        chunks, pos = [], start
        while pos < size:
            chunk = os.pread(fd, size - pos, pos)
            if not chunk:
                break
            chunks.append(chunk)
            pos += len(chunk)
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)  # one chunk: no copy
    cut = data.rfind(b"\n") + 1  # a last line without its newline waits
    return start, start + cut, head, data[:cut] if cut < len(data) else data
