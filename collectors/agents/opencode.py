"""OpenCode's usage (checked against opencode-ai 1.18.33's real database and its bundled source):
the SQLite database ``$OPENCODE_DB`` or ``<data>/opencode.db`` (``<data>`` = ``$XDG_DATA_HOME/opencode``,
default ``~/.local/share/opencode``), and the legacy ``<data>/storage/message/<session>/<message>.json``
files older versions wrote.

- Database (read-only, see ``collectors.agents.database``): one row per model call, the ``part`` rows
  of type ``step-finish`` (``tokens``: ``input`` — cache excluded —, ``output`` — reasoning excluded
  —, ``reasoning``, ``cache.read``, ``cache.write``; ``cost``: OpenCode's own price), with their
  ``message`` (``modelID``, ``providerID``, ``agent``, ``time.created``, ``path.cwd``) and ``session``
  (a subagent's session has ``parent_id``: its rows belong to the parent session). A message's own
  ``tokens`` hold only its last step, and the ``event`` table repeats everything: neither is read.
  The cursor is the parts' ``time_updated`` and id; a part written again replaces its stored copy.
- Legacy files: a whole ``MessageV2.Info`` each (``id``, ``sessionID``, ``tokens``, ``cost``, ...),
  read whole; a message the database also holds counts once (the database's copy wins).

Stored: input = input, output = output + reasoning, reasoning = reasoning, cache read and write as
given; cost = OpenCode's when it is above 0 (else genai-prices prices it, as ccusage does); the
provider is OpenCode's ``providerID``. OpenCode never records its title-generation call, and its steps'
times include the tools run inside them: its rows have no latency.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow

from .base import AgentLog, Database, LogFiles, Parsed, bad_count, decode_document, epoch_ms, reject

AGENT = "opencode"
PAGE = 5000  # rows per read: a cold read of a big database commits in pieces

_QUERY = """
    SELECT p.id, p.message_id, p.time_updated, p.data, m.data, coalesce(s.parent_id, p.session_id), s.directory
    FROM part p JOIN message m ON m.id = p.message_id LEFT JOIN session s ON s.id = p.session_id
    WHERE (p.time_updated > ? OR (p.time_updated = ? AND p.id > ?))
      AND json_extract(p.data, '$.type') = 'step-finish'
    ORDER BY p.time_updated, p.id LIMIT ?"""


class _Cache(msgspec.Struct):
    read: int = 0
    write: int = 0


class _Tokens(msgspec.Struct):
    input: int = 0
    output: int = 0
    reasoning: int = 0
    cache: _Cache = msgspec.field(default_factory=_Cache)


class _Time(msgspec.Struct):
    created: float | None = None


class _Path(msgspec.Struct):
    cwd: str | None = None


class _Message(msgspec.Struct):
    id: str | None = None
    sessionID: str | None = None  # noqa: N815 - OpenCode's own field names
    role: str | None = None
    modelID: str | None = None  # noqa: N815
    providerID: str | None = None  # noqa: N815
    agent: str | None = None
    time: _Time = msgspec.field(default_factory=_Time)
    path: _Path = msgspec.field(default_factory=_Path)
    tokens: _Tokens | None = None
    cost: float | None = None


class _Step(msgspec.Struct):
    tokens: _Tokens | None = None
    cost: float | None = None


_MESSAGE = msgspec.json.Decoder(_Message)
_STEP = msgspec.json.Decoder(_Step)


def data_dir(settings: Settings) -> Path:
    """The setting, else ``$XDG_DATA_HOME/opencode``, else ``~/.local/share/opencode``."""
    if settings.sources.opencode_data is not None:
        return settings.sources.opencode_data
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "opencode"


def database_path(settings: Settings) -> Path:
    """``OPENCODE_DB`` (absolute, or relative to the data folder), else ``opencode.db`` there."""
    folder = data_dir(settings)
    env = os.environ.get("OPENCODE_DB", "").strip()
    if env and env != ":memory:" and settings.sources.opencode_data is None:
        path = Path(env).expanduser()
        return path if path.is_absolute() else folder / path
    return folder / "opencode.db"


def log(settings: Settings) -> AgentLog | None:
    mode = settings.sources.opencode
    if mode is False:
        return None
    folder = data_dir(settings).resolve()
    db = database_path(settings)
    legacy = LogFiles(LegacyMessageParser(), [folder / "storage" / "message"], "*.json", whole=True)
    return AgentLog(AGENT, files=[legacy], databases=[Database(db.resolve(), OpenCodeDatabase())],
                    required=mode is True)


def _tokens_problem(t: _Tokens) -> str | None:
    counts = (t.input, t.output, t.reasoning, t.cache.read, t.cache.write)
    return "negative or non-integer token count" if any(bad_count(c) for c in counts) else None


def _row(source_id: int, m: _Message, t: _Tokens, cost: float | None, session: str, copy_id: str,
         message_id: str, project: str | None, *, replay: bool = False) -> AgentRow:
    return AgentRow(
        source_id=source_id, ts=epoch_ms(m.time.created), model=m.modelID or "unknown",
        input_tokens=t.input, output_tokens=t.output + t.reasoning, cache_read_tokens=t.cache.read,
        cache_write_tokens=t.cache.write, reasoning_tokens=t.reasoning, provider_raw=m.providerID,
        session=session, project=m.path.cwd or project, cost_usd=cost if cost and cost > 0 else None,
        subagent=m.agent, message_id=message_id, copy_id=copy_id, replay=replay,
    )


class OpenCodeDatabase:
    def read(self, con: sqlite3.Connection, source_id: int, state: dict | None) -> Parsed:
        cursor = state or {"time": -1, "id": ""}
        out = Parsed(state=cursor)
        while True:
            found = con.execute(_QUERY, [cursor["time"], cursor["time"], cursor["id"], PAGE]).fetchall()
            for part_id, message_id, updated, step_data, message_data, session, directory in found:
                cursor = {"time": updated, "id": part_id}
                try:
                    step, message = _STEP.decode(step_data), _MESSAGE.decode(message_data)
                except msgspec.DecodeError:
                    out.rejects.append(reject(0, f"part {part_id}".encode(), "a step-finish of unexpected types"))
                    continue
                if step.tokens is None or message.time.created is None or _tokens_problem(step.tokens):
                    out.rejects.append(reject(0, f"part {part_id}".encode(), "a step-finish without usable tokens"))
                    continue
                out.rows.append(_row(source_id, message, step.tokens, step.cost, session, part_id, message_id,
                                     directory))
            if len(found) < PAGE:
                break
        out.state = cursor
        return out


class LegacyMessageParser:
    """One ``storage/message/<session>/<message>.json``: a whole message, as OpenCode wrote it."""

    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        out = Parsed()
        m = decode_document(_MESSAGE, data, out, "not an OpenCode message")
        if m is None or m.role != "assistant" or m.tokens is None or not m.modelID:
            return out  # a user message, or one still streaming
        if m.time.created is None or _tokens_problem(m.tokens):
            out.rejects.append(reject(0, data, "an assistant message without usable time or tokens"))
            return out
        t = m.tokens
        if not (t.input or t.output or t.reasoning or t.cache.read or t.cache.write):
            return out
        message_id = m.id or path.stem
        out.rows.append(_row(source_id, m, t, m.cost, m.sessionID or path.parent.name, "", message_id, None,
                             replay=True))
        return out
