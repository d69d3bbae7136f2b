"""Following other agents' own logs (one JSONL file per session) by byte offset.

The ledger's rules hold (DESIGN.md): a last line without its newline waits; a file that shrinks or
whose first bytes changed is read again from the start; new files are picked up as they appear.
Thousands of small session files are read in time-boxed batches, each committed in one
transaction with every file's new offset, so a crash neither loses nor double-counts a line and a
cold read does not pay one commit per file. A parser turns bytes into ``AgentRow`` s; which copy of
a repeated response counts is decided in ``ledger.store.agent_rows``.

Unlike the ledger, these lines are not held to ``max_line_bytes``: the agents put whole tool
outputs (files, images) in one line, and such a line is normal, not malformed.
"""

from __future__ import annotations

import time
from pathlib import Path

from ledger.store import HEAD_BYTES, Source, Store, agent_rows
from ledger.store.agent_rows import AgentBatch, FileRead
from ledger.store.rollup import refresh_rollup

from ..tail import CatchUp, discover, pending
from .base import AgentLog, Parsed

LOG_GLOB = "*.jsonl"
BATCH_SECONDS = 0.25  # STYLE.md: collectors commit in time boxes
BATCH_BYTES = 64 << 20


def _read(path: Path, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(end - start)


class _Batcher:
    """Collects file reads and commits them together about every ``BATCH_SECONDS``."""

    def __init__(self, store: Store, agent: str, result: CatchUp) -> None:
        self.store = store
        self.agent = agent
        self.result = result
        self.batch = AgentBatch(agent)
        self.bytes = 0
        self.started = time.monotonic()
        self.earliest_replaced = None

    def add(self, read: FileRead, parsed: Parsed, size: int) -> None:
        self.batch.rows.extend(parsed.rows)
        self.batch.quota.extend(parsed.quota)
        self.batch.rejects.extend((read.source.id, *r) for r in parsed.rejects)
        self.batch.reads.append(read)
        self.bytes += size
        if self.bytes >= BATCH_BYTES or time.monotonic() - self.started >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.batch.reads:
            done = agent_rows.commit(self.store, self.batch)
            self.result.rows += done.rows
            self.result.quota += done.quota
            self.result.rejected += done.rejected
            if done.earliest is not None and (self.earliest_replaced is None or done.earliest < self.earliest_replaced):
                self.earliest_replaced = done.earliest
        self.batch = AgentBatch(self.agent)
        self.bytes = 0
        self.started = time.monotonic()


def catch_up_log(store: Store, log: AgentLog, known: dict[str, Source] | None = None) -> CatchUp:
    """One pass over one agent's logs: every file brought up to its last complete line.
    ``known``: the agent's active sources by path, when the caller has them."""
    result = CatchUp()
    roots = [r for r in log.roots if r.is_dir()]
    if log.required:
        result.missing += [r for r in log.roots if not r.is_dir()]
    if not roots:
        return result
    kind = log.parser.agent
    files, _ = discover(roots, LOG_GLOB)
    if known is None:
        known = {s.path: s for s in store.sources(kind)}
    for src in known.values():
        p = Path(src.path)
        if any(root in p.parents for root in roots) and not p.exists():
            store.update_source(src, active=False)  # a deleted session file: its rows stay
    current, new = _changed_files(store, files, known, result)
    result.agent_files = len(files)
    if current:  # nothing new in any file: most passes, on every refresh
        _read_changed(store, log, current, new, result)
    return result


def _changed_files(store: Store, files: list[Path], known: dict[str, Source], result: CatchUp,
                   ) -> tuple[list[tuple[Path, Source | None]], list[tuple[str, int, int, bytes]]]:
    """(files with something new, with their source when known; new files as (path, dev, inode, head))."""
    current: list[tuple[Path, Source | None]] = []
    new: list[tuple[str, int, int, bytes]] = []
    for path in files:
        try:
            st = path.stat()
            src = known.get(str(path))
            if src is not None and (src.dev, src.inode) != (st.st_dev, st.st_ino):
                store.update_source(src, active=False)  # replaced by a new file: read that anew
                src = None
            if src is None:
                with open(path, "rb") as fh:
                    new.append((str(path), st.st_dev, st.st_ino, fh.read(HEAD_BYTES)))
            elif st.st_size == src.offset:
                continue  # nothing new: most files, most of the time
            current.append((path, src))
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
    return current, new


def _read_changed(store: Store, log: AgentLog, current: list[tuple[Path, Source | None]],
                  new: list[tuple[str, int, int, bytes]], result: CatchUp) -> None:
    kind = log.parser.agent
    mark = store.mark()
    added = {s.path: s for s in agent_rows.add_sources(store, kind, new)}
    states = agent_rows.parser_states(store, kind)
    batcher = _Batcher(store, kind, result)
    for path, src in current:
        source = src or added[str(path)]
        try:
            start, end, head = pending(store, source, path)
            result.files += 1
            if end <= start:
                continue
            data = _read(path, start, end)
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
            continue
        state = states.get(source.id) if start else None
        parsed = log.parser.parse(data, start, path, source.id, state)
        read = FileRead(source, end, head, rows=len(parsed.rows), rejected=len(parsed.rejects), state=parsed.state)
        batcher.add(read, parsed, end - start)
    batcher.flush()
    if result.rows:
        store.settle(mark)
    if batcher.earliest_replaced is not None:
        refresh_rollup(store, batcher.earliest_replaced)  # a replaced copy's hour may be older
