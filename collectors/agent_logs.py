"""Following other agents' own logs (one JSONL file per session) by byte offset.

The ledger's rules hold (DESIGN.md): a last line without its newline waits; a file that shrinks or
whose first bytes changed is read again from the start; new files are picked up as they appear.
Thousands of small session files are read in time-boxed batches, each committed in one
transaction with every file's new offset, so a crash neither loses nor double-counts a line and a
cold read does not pay one commit per file. A parser turns bytes into ``AgentRow`` s; which copy of
a repeated response counts is decided in ``ledger.agent_logs``.

Unlike the ledger, these lines are not held to ``max_line_bytes``: the agents put whole tool
outputs (files, images) in one line, and such a line is normal, not malformed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec

from ledger import agent_logs
from ledger.agent_logs import AgentBatch, AgentRow, FileRead
from ledger.store import HEAD_BYTES, Source, Store

from .tail import CatchUp, discover, pending

LOG_GLOB = "*.jsonl"
BATCH_SECONDS = 0.25  # STYLE.md: collectors commit in time boxes
BATCH_BYTES = 64 << 20
EXCERPT_CHARS = 160

Reject = tuple[int, int, str, str]
"""(line offset, line bytes, reason, excerpt)."""


@dataclass
class Parsed:
    rows: list[AgentRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    state: dict | None = None
    """Carried to the next read of the same file (Codex: session, model, last total)."""


class LogParser(Protocol):
    agent: str
    """The agent's name, also the ``sources.kind`` of its files (``claude-code``, ``codex``)."""

    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        """Rows and rejected lines of ``data`` (whole lines, starting at byte ``base`` of ``path``)."""
        ...


@dataclass
class AgentLog:
    """One agent's logs: where they live and how to read them."""

    parser: LogParser
    roots: list[Path]
    """Folders searched recursively for ``*.jsonl``."""
    required: bool = False
    """Asked for explicitly (not ``auto``): a missing folder is reported."""


def lines(data: bytes, base: int) -> list[tuple[int, bytes]]:
    """(offset, line) for each non-blank line of ``data`` (which ends with a newline)."""
    out = []
    pos = 0
    for raw in data.split(b"\n")[:-1]:
        if raw.strip():
            out.append((base + pos, raw))
        pos += len(raw) + 1
    return out


def excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_CHARS].decode("utf-8", errors="replace")


def reject(offset: int, raw: bytes, reason: str) -> Reject:
    return (offset, len(raw), reason, excerpt(raw))


def decode_error(raw: bytes) -> str | None:
    """Why ``raw`` is not a JSON object, or None when it is one."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        return "not UTF-8 text" if "utf-8" in str(exc).lower() else "not valid JSON"
    return None if isinstance(value, dict) else "not a JSON object"


def decoded(decoder: msgspec.json.Decoder, data: bytes, base: int, rejects: list[Reject],
            problem: Callable[[bytes], str | None]) -> Iterator[tuple[int, bytes, Any]]:
    """(offset, line, record) for each line of ``data`` that decodes. A line that does not is rejected
    with its reason, unless ``problem`` says it is a line of another kind (None): ignored."""
    for offset, raw in lines(data, base):
        try:
            yield offset, raw, decoder.decode(raw)
        except msgspec.ValidationError:
            # A field of another shape than we read: a line of another kind, or a broken record.
            reason = decode_error(raw) or problem(raw)
            if reason:
                rejects.append(reject(offset, raw, reason))
        except msgspec.DecodeError:
            rejects.append(reject(offset, raw, decode_error(raw) or "not valid JSON"))


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
        self.batch.rejects.extend((read.source.id, *r) for r in parsed.rejects)
        self.batch.reads.append(read)
        self.bytes += size
        if self.bytes >= BATCH_BYTES or time.monotonic() - self.started >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.batch.reads:
            done = agent_logs.commit(self.store, self.batch)
            self.result.rows += done.rows
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
    current: list[tuple[Path, Source | None, os.stat_result]] = []
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
            current.append((path, src, st))
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
    result.agent_files = len(files)
    if not current:
        return result  # nothing new in any file: most passes, on every refresh
    mark = store.mark()
    added = {s.path: s for s in agent_logs.add_sources(store, kind, new)}
    states = agent_logs.parser_states(store, kind)
    batcher = _Batcher(store, kind, result)
    for path, src, _st in current:
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
        read = FileRead(source, end, head, rows=len(parsed.rows), rejected=len(parsed.rejects),
                        state=parsed.state)
        batcher.add(read, parsed, end - start)
    batcher.flush()
    if result.rows:
        store.settle(mark)
    if batcher.earliest_replaced is not None:
        store.refresh_rollup(batcher.earliest_replaced)  # a replaced copy's hour may be older
    return result
