"""Usage rows from other agents' own logs (Claude Code, Codex, Gemini CLI, ...), stored exactly once.

Those agents write one response more than once: Claude Code repeats an assistant message for each
content block, sometimes before its usage is final, and replays parent messages in sidechain
logs; Gemini CLI writes a message again when it gains a tool call; OpenCode updates a row as its
step finishes. Each parsed row therefore says which response it is a copy of (``message_id`` +
``copy_id``), and the store keeps one copy per response, the fullest:

- a copy matches a stored one with the same message and copy id; a *replay* (a sidechain's copy of
  a parent message under a new request id, a legacy file's copy of a database row) matches any copy
  of its message;
- between two copies, a first-hand one wins over a replay; otherwise the one with more tokens wins,
  and on a tie the one stored first stays.

A batch of file ranges commits in one transaction: rows, replaced rows' removal, the dedup keys,
rejected lines, every file's new offset and its parser state — so a crash neither loses nor
double-counts a line, as for the ledger.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from . import agent_totals
from .agent_totals import SessionTotal
from .connection import Connection, Source, first
from .files import fingerprint, first_line
from .frames import as_frame


@dataclass(slots=True)
class AgentRow:
    """One usage row parsed from an agent's log. Token columns mean what DESIGN.md says for every
    agent: ``input_tokens`` is billed at the plain input rate (cached reads and cache writes are
    their own columns), ``reasoning_tokens`` is part of ``output_tokens``."""

    source_id: int
    ts: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int | None = None
    """Of ``cache_write_tokens``, those written for an hour (priced at the 1-hour rate)."""
    reasoning_tokens: int | None = None
    provider_raw: str | None = None
    session: str | None = None
    project: str | None = None
    request_id: str | None = None
    cost_usd: float | None = None
    kind: str | None = None
    subagent: str | None = None
    """Who inside the agent made the request (a Claude Code subagent's type); None: the agent itself."""
    latency_ms: int | None = None
    error: str | None = None
    message_id: str | None = None
    """Copies of one response share it; None: this row is never a copy of another."""
    copy_id: str = ""
    """Tells apart distinct responses under one message id (Claude Code: the request id)."""
    replay: bool = False
    """A replay of a response logged first-hand elsewhere: it matches any copy of its message."""

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def dedup_key(self) -> str | None:
        return None if self.message_id is None else f"{self.message_id}\x1f{self.copy_id}"


@dataclass(slots=True)
class StoredCopy:
    """What agent_keys remembers of a stored row."""

    message_id: str
    copy_id: str
    replay: bool
    tokens: int
    dedup_key: str


@dataclass
class FileRead:
    """One file range of a batch: where the file's offset moves, and what it held."""

    source: Source
    end: int
    head: bytes
    rows: int = 0
    rejected: int = 0
    state: dict | None = None


@dataclass
class AgentBatch:
    agent: str
    rows: list[AgentRow] = field(default_factory=list)
    rejects: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    """(source_id, line offset, line bytes, reason, excerpt)."""
    reads: list[FileRead] = field(default_factory=list)
    totals: list[SessionTotal] = field(default_factory=list)
    """The agent's own session totals the reads held."""
    quota: list[tuple] = field(default_factory=list)
    """``quota_snapshots`` rows the agent reported (source_id, ts, agent, session, model, window,
    window_minutes, used_percent, resets_at, source, session_cost_usd, limit_id)."""


@dataclass
class Committed:
    rows: int = 0
    """Rows added (a fuller copy that replaced a stored one counts here too)."""
    quota: int = 0
    """Quota snapshots added."""
    replaced: int = 0
    rejected: int = 0
    earliest: dt.datetime | None = None
    """The earliest time a removed copy held, so its hour is rolled up again."""


def supersedes(new: AgentRow | StoredCopy, old: AgentRow | StoredCopy) -> bool:
    """Whether ``new`` is the better copy of the response ``old`` also holds."""
    if new.replay != old.replay:
        return old.replay
    return new.tokens > old.tokens


def _same_response(row: AgentRow, copy: AgentRow | StoredCopy) -> bool:
    return row.copy_id == copy.copy_id or row.replay or copy.replay


def resolve(rows: list[AgentRow], stored: list[StoredCopy]) -> tuple[list[AgentRow], list[str]]:
    """(rows to insert, dedup keys of stored rows they replace), keeping one copy per response."""
    winners: dict[str, list[AgentRow | StoredCopy]] = {}
    for copy in stored:
        winners.setdefault(copy.message_id, []).append(copy)
    keep: list[AgentRow] = []
    beaten: set[int] = set()  # ids of batch rows a later copy replaced
    replaced: list[str] = []
    for row in rows:
        if row.message_id is None:
            keep.append(row)
            continue
        group = winners.setdefault(row.message_id, [])
        match = next((i for i, c in enumerate(group) if c.copy_id == row.copy_id), None)
        if match is None:
            match = next((i for i, c in enumerate(group) if _same_response(row, c)), None)
        if match is None:
            group.append(row)
            keep.append(row)
            continue
        old = group[match]
        if not supersedes(row, old):
            continue
        if isinstance(old, StoredCopy):
            replaced.append(old.dedup_key)
        else:
            beaten.add(id(old))
        group[match] = row
        keep.append(row)
    return [r for r in keep if id(r) not in beaten], replaced


def stored_copies(store: Connection, agent: str, message_ids: list[str]) -> list[StoredCopy]:
    """The stored copies of these messages (one hash join, not a lookup per message)."""
    if not message_ids:
        return []
    frame = as_frame({"message_id": list(dict.fromkeys(message_ids))}, {"message_id": "String"})
    store.con.register("pw_message_ids", frame)
    try:
        rows = store.con.execute(
            """SELECT k.message_id, k.copy_id, k.replay, k.tokens, k.dedup_key
               FROM agent_keys k SEMI JOIN pw_message_ids m USING (message_id)
               WHERE k.agent = ?""", [agent]).fetchall()
    finally:
        store.con.unregister("pw_message_ids")
    return [StoredCopy(*r) for r in rows]


def parser_states(store: Connection, kind: str) -> dict[int, dict]:
    """Each active source's parser state, by source id."""
    rows = store.con.execute(
        "SELECT id, parser_state FROM sources WHERE kind = ? AND active AND parser_state IS NOT NULL", [kind]
    ).fetchall()
    return {i: json.loads(s) for i, s in rows}


_ROW_SCHEMA = {
    "source_id": "Int32", "ts": "String", "provider_raw": "String", "model": "String",
    "input_tokens": "Int64", "output_tokens": "Int64", "cache_read_tokens": "Int64",
    "cache_write_tokens": "Int64", "cache_write_1h_tokens": "Int64", "reasoning_tokens": "Int64",
    "kind": "String", "session": "String", "project": "String", "request_id": "String",
    "cost_usd": "Float64", "subagent": "String", "latency_ms": "Int64", "error": "String",
    "dedup_key": "String", "message_id": "String", "copy_id": "String", "replay": "Boolean",
    "tokens": "Int64",
}
_DIRECT = [name for name in _ROW_SCHEMA if name not in ("dedup_key", "tokens")]
"""The columns read straight off an ``AgentRow`` (the other two are its properties)."""

USAGE_COLUMNS = """source_id, ts, provider_raw, model, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, kind, session, project, request_id,
    cost_usd_given, subagent, latency_ms, error, dedup_key, agent"""


def _frame(rows: list[AgentRow]):
    cols: dict[str, list] = {name: [getattr(r, name) for r in rows] for name in _DIRECT}
    cols["dedup_key"] = [r.dedup_key for r in rows]
    cols["tokens"] = [r.tokens for r in rows]
    return as_frame(cols, _ROW_SCHEMA)


def commit(store: Connection, batch: AgentBatch) -> Committed:
    """Resolve the batch's copies against the store and commit everything in one transaction."""
    stored = stored_copies(store, batch.agent, [r.message_id for r in batch.rows if r.message_id is not None])
    rows, replaced = resolve(batch.rows, stored)
    done = Committed(rows=len(rows), replaced=len(replaced), rejected=len(batch.rejects))
    con = store.con
    reads = as_frame(
        {"id": [r.source.id for r in batch.reads], "end": [r.end for r in batch.reads],
         "head": [fingerprint(first_line(r.head)) for r in batch.reads], "lines": [r.rows for r in batch.reads],
         "rejected": [r.rejected for r in batch.reads],
         "state": [json.dumps(r.state) if r.state is not None else None for r in batch.reads]},
        {"id": "Int32", "end": "UInt64", "head": "Binary", "lines": "UInt64",
                "rejected": "UInt64", "state": "String"},
    )
    con.register("pw_agent_rows", _frame(rows))
    con.register("pw_agent_reads", reads)
    try:
        with store.transaction():
            if replaced:
                con.register("pw_replaced", as_frame({"dedup_key": replaced}, {"dedup_key": "String"}))
                try:
                    done.earliest = first(con.execute(
                        """SELECT min(ts) FROM usage SEMI JOIN pw_replaced USING (dedup_key)
                           WHERE agent = ?""", [batch.agent]))[0]
                    con.execute("DELETE FROM usage WHERE agent = ? AND dedup_key IN "
                                "(SELECT dedup_key FROM pw_replaced)", [batch.agent])
                    con.execute("DELETE FROM agent_keys WHERE agent = ? AND dedup_key IN "
                                "(SELECT dedup_key FROM pw_replaced)", [batch.agent])
                finally:
                    con.unregister("pw_replaced")
            if rows:
                con.execute(
                    f"""INSERT INTO usage ({USAGE_COLUMNS})
                       SELECT source_id, ts::TIMESTAMPTZ, provider_raw, model, input_tokens, output_tokens,
                           cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, kind,
                           session, project, request_id, cost_usd, subagent, latency_ms, error, dedup_key, ?
                       FROM pw_agent_rows""", [batch.agent])
                con.execute(
                    """INSERT INTO agent_keys (agent, message_id, copy_id, replay, tokens, dedup_key)
                       SELECT ?, message_id, copy_id, replay, tokens, dedup_key
                       FROM pw_agent_rows WHERE dedup_key IS NOT NULL""", [batch.agent])
            store.add_rejects(batch.rejects)
            agent_totals.add(store, batch.agent, batch.totals)
            if batch.quota:
                con.executemany(
                    """INSERT INTO quota_snapshots (source_id, ts, agent, session, model, window_name, window_minutes,
                           used_percent, resets_at, source, session_cost_usd, limit_id)
                       VALUES (?, CAST(? AS TIMESTAMPTZ), ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), ?, ?, ?)""",
                    batch.quota)
                done.quota = len(batch.quota)
            con.execute(
                """UPDATE sources SET "offset" = r."end", head = r.head, lines = sources.lines + r.lines,
                       rejected = sources.rejected + r.rejected, parser_state = r.state, updated_at = now()
                   FROM pw_agent_reads r WHERE sources.id = r.id""")
    finally:
        con.unregister("pw_agent_rows")
        con.unregister("pw_agent_reads")
    for r in batch.reads:
        r.source.offset, r.source.head = r.end, fingerprint(first_line(r.head))
        r.source.lines += r.rows
        r.source.rejected += r.rejected
    return done


def add_sources(store: Connection, kind: str, files: list[tuple[str, int, int, bytes]]) -> list[Source]:
    """Sources for many new files in one statement: (path, dev, inode, head) each (a cold read of
    thousands of session files paid ~1 ms a file inserting them one by one)."""
    if not files:
        return []
    if len(files) == 1:
        return [store.add_source(kind, *files[0])]
    heads = [fingerprint(first_line(f[3])) for f in files]  # kept as fingerprints only, as add_source does
    frame = as_frame({"path": [f[0] for f in files], "dev": [f[1] for f in files],
                      "inode": [f[2] for f in files], "head": heads},
                     {"path": "String", "dev": "UInt64", "inode": "UInt64", "head": "Binary"})
    store.con.register("pw_new_sources", frame)
    try:
        ids = dict(store.con.execute(
            """INSERT INTO sources (kind, path, dev, inode, head) SELECT ?, path, dev, inode, head
               FROM pw_new_sources RETURNING path, id""", [kind]).fetchall())
    finally:
        store.con.unregister("pw_new_sources")
    return [Source(ids[path], kind, path, dev, inode, head, 0, 0, 0, True)
            for (path, dev, inode, _), head in zip(files, heads, strict=True)]
