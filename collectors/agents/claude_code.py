"""Claude Code's own session logs: ``<config dir>/projects/<project>/<session>.jsonl``.

Every line is a JSON object; those whose ``message.usage`` is an object are API responses
(``type: assistant``). Fields read, as ccusage reads them: ``timestamp``, ``sessionId``, ``cwd``,
``requestId``, ``isSidechain``, ``costUSD`` (older versions), ``message.id``, ``message.model``
and ``message.usage``'s ``input_tokens``, ``output_tokens``, ``cache_creation_input_tokens`` (a
prompt-cache write) and ``cache_read_input_tokens``. Other lines (user turns, summaries, snapshots,
types added later) are ignored; a line that is not a JSON object, or a response whose usage is
not counts, is rejected and kept.

``<synthetic>`` responses are Claude Code's own messages (API errors, interruptions), not model
calls: skipped. Copies of one response share ``message.id`` + ``requestId`` (see
``ledger.agent_logs`` for which copy counts).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow

from .base import AgentLog, Parsed, decoded, reject

AGENT = "claude-code"
SYNTHETIC_MODEL = "<synthetic>"


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class _Message(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    usage: _Usage | None = None


class _Line(msgspec.Struct):
    timestamp: str | None = None
    sessionId: str | None = None  # noqa: N815 - Claude Code's own field names
    cwd: str | None = None
    requestId: str | None = None  # noqa: N815
    isSidechain: bool | None = None  # noqa: N815
    costUSD: float | None = None  # noqa: N815
    message: _Message | None = None


_DECODER = msgspec.json.Decoder(_Line)


def config_dirs(settings: Settings) -> list[Path]:
    """Claude Code's config folders: the setting, else ``CLAUDE_CONFIG_DIR`` (comma-separated,
    as Claude Code and ccusage read it), else ``~/.config/claude`` and ``~/.claude``."""
    if settings.sources.claude_code_dirs:
        return list(settings.sources.claude_code_dirs)
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    if env:
        return [Path(p.strip()).expanduser() for p in env.split(",") if p.strip()]
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path(xdg) / "claude", Path.home() / ".claude"]


def log(settings: Settings) -> AgentLog | None:
    """Claude Code's logs as settings describe them; None when switched off."""
    mode = settings.sources.claude_code
    if mode is False:
        return None
    roots = list(dict.fromkeys(d.resolve() / "projects" for d in config_dirs(settings)))
    return AgentLog(ClaudeCodeParser(), roots, required=mode is True)


def project_of(path: Path) -> str | None:
    """The folder under ``projects/`` (Claude Code's encoding of the working folder)."""
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "projects":
            return parts[i + 1]
    return None


def _bad_count(value: object) -> bool:
    return value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0)


class ClaudeCodeParser:
    agent = AGENT

    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        out = Parsed()
        folder = project_of(path)
        for offset, raw, rec in decoded(_DECODER, data, base, out.rejects, _generic_problem):
            message = rec.message
            if message is None or message.usage is None:
                continue  # not an API response: user turns, summaries, and types added later
            if message.model == SYNTHETIC_MODEL:
                continue
            usage = message.usage
            reason = _problem(rec, usage)
            if reason:
                out.rejects.append(reject(offset, raw, reason))
                continue
            has_key = message.id is not None and rec.requestId is not None
            out.rows.append(AgentRow(
                source_id=source_id, ts=rec.timestamp, model=message.model or "unknown",
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
                cache_write_tokens=usage.cache_creation_input_tokens or 0,
                provider_raw="anthropic", session=rec.sessionId, project=rec.cwd or folder,
                request_id=rec.requestId, cost_usd=rec.costUSD,
                kind="sidechain" if rec.isSidechain else None,
                message_id=message.id if has_key else None, copy_id=rec.requestId or "",
                sidechain=bool(rec.isSidechain),
            ))
        return out


def _problem(rec: _Line, usage: _Usage) -> str | None:
    if rec.timestamp is None:
        return "missing timestamp"
    try:
        dt.datetime.fromisoformat(rec.timestamp)
    except ValueError:
        return "unparseable timestamp"
    if usage.input_tokens is None or usage.output_tokens is None:
        return "usage without input_tokens or output_tokens"
    if min(usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens or 0,
           usage.cache_read_input_tokens or 0) < 0:
        return "negative token count"
    return None


def _generic_problem(raw: bytes) -> str | None:
    """For a line whose fields are not the types we read: why it is rejected, or None (ignored)."""
    rec = msgspec.json.decode(raw)
    message = rec.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    if usage is None or (isinstance(message, dict) and message.get("model") == SYNTHETIC_MODEL):
        return None  # not a response: its other fields are none of our business
    if not isinstance(usage, dict):
        return "message.usage is not an object"
    for name in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        if _bad_count(usage.get(name)):
            return f"{name} is not a non-negative integer"
    return "a response field of an unexpected type"
