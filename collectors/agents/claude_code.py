"""Claude Code's own session logs: ``<config dir>/projects/<project>/<session>.jsonl``, subagents in
``<session>/subagents/agent-<id>.jsonl`` (checked against Claude Code 2.1.332's real files).

Lines read (every other type — user turns, attachments, snapshots, types added later — is ignored):

- ``assistant``: an API response (``message.usage`` is an object). ``message.id`` + ``requestId``
  name it; ``timestamp``, ``sessionId`` (a subagent's lines carry the parent's), ``cwd``,
  ``isSidechain``, ``attributionAgent`` (the subagent's type), ``costUSD`` (older versions),
  ``message.model`` and ``message.usage``: ``input_tokens`` (uncached), ``output_tokens`` (thinking
  included), ``output_tokens_details.thinking_tokens`` (→ reasoning), ``cache_read_input_tokens``,
  ``cache_creation_input_tokens`` (→ cache write) with ``cache_creation.ephemeral_1h_input_tokens``
  (→ its 1-hour part, priced at the 1-hour rate). ``requestRef`` names the ``api-request`` line
  written when the request was sent: latency = the response's time − the request's.
- ``cost-state``: written when a Claude Code process ends, the session's cumulative ``modelUsage``
  per model (across resumed processes, subagents and calls with no assistant line — a compaction's
  summary requests — included) and Claude Code's own ``costUSD``. Kept as session totals; the
  store turns what the logged responses do not explain into ``unlogged`` rows
  (``ledger.store.agent_totals``). It has no time of its own: the last time its file showed.

One response with N content blocks is N lines with the same ids (see ``ledger.store.agent_rows``
for which copy counts); ``<synthetic>`` responses are Claude Code's own messages (API errors,
interruptions), not model calls: skipped. A line that is not a JSON object, or a response whose
usage is not counts, is rejected and kept.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow
from ledger.store.agent_totals import SessionTotal

from .base import AgentLog, LogFiles, Parsed, bad_count, counts_problem, decoded_all, reject, timestamp_problem

AGENT = "claude-code"
PROVIDER = "anthropic"
SYNTHETIC_MODEL = "<synthetic>"
COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
PENDING_REQUESTS = 32  # requests sent and not yet answered, carried across reads for latency


class _CacheCreation(msgspec.Struct, gc=False):
    ephemeral_1h_input_tokens: int | None = None


class _OutputDetails(msgspec.Struct, gc=False):
    thinking_tokens: int | None = None


class _Usage(msgspec.Struct, gc=False):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: _CacheCreation | None = None
    output_tokens_details: _OutputDetails | None = None


class _Message(msgspec.Struct, gc=False):
    id: str | None = None
    model: str | None = None
    usage: _Usage | None = None


class _ModelUsage(msgspec.Struct, gc=False):
    inputTokens: int = 0  # noqa: N815 - Claude Code's own field names
    outputTokens: int = 0  # noqa: N815
    thinkingTokens: int = 0  # noqa: N815
    cacheReadInputTokens: int = 0  # noqa: N815
    cacheCreationInputTokens: int = 0  # noqa: N815
    cacheCreationEphemeral1hInputTokens: int = 0  # noqa: N815
    costUSD: float | None = None  # noqa: N815


class _Line(msgspec.Struct, gc=False):
    type: str | None = None
    timestamp: str | None = None
    sessionId: str | None = None  # noqa: N815
    cwd: str | None = None
    requestId: str | None = None  # noqa: N815
    requestRef: str | None = None  # noqa: N815
    id: str | None = None
    isSidechain: bool | None = None  # noqa: N815
    attributionAgent: str | None = None  # noqa: N815
    costUSD: float | None = None  # noqa: N815
    message: _Message | None = None
    modelUsage: dict[str, _ModelUsage] | None = None  # noqa: N815


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
    return AgentLog(AGENT, [LogFiles(ClaudeCodeParser(), roots)], required=mode is True, totals_provider=PROVIDER)


def project_of(path: Path) -> str | None:
    """The folder under ``projects/`` (Claude Code's encoding of the working folder)."""
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "projects":
            return parts[i + 1]
    return None


def _latency(sent: str | None, received: str) -> int | None:
    if sent is None:
        return None
    try:
        ms = (dt.datetime.fromisoformat(received) - dt.datetime.fromisoformat(sent)).total_seconds() * 1000
    except ValueError:
        return None
    return round(ms) if ms >= 0 else None


class ClaudeCodeParser:
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        st = {"ts": None, "requests": {}, **(state or {})}
        out = Parsed(state=st)
        folder = project_of(path)
        requests = st["requests"]
        # The latest time the file showed (a cost-state line has none of its own). Compared as text:
        # Claude Code writes every time in one form (UTC, milliseconds, Z); checked where it is used.
        latest = st["ts"]
        fullest: dict[tuple[str, str], int] = {}  # (message id, request id) -> the most tokens a copy had
        records, where = decoded_all(_DECODER, data, base, out.rejects, _generic_problem)
        for index, rec in enumerate(records):
            ts = rec.timestamp
            if ts is not None and (latest is None or ts > latest):
                latest = ts
            kind = rec.type
            if kind == "cost-state":
                out.totals.extend(_totals(rec, source_id, where[index][0], latest))
                continue
            if kind == "api-request":
                if rec.id and ts:
                    requests[rec.id] = ts
                continue
            message = rec.message
            if message is None or message.usage is None or message.model == SYNTHETIC_MODEL:
                continue  # not an API response: user turns, summaries, and types added later
            usage = message.usage
            one_hour = usage.cache_creation.ephemeral_1h_input_tokens if usage.cache_creation is not None else None
            details = usage.output_tokens_details
            thinking = details.thinking_tokens if details is not None else None
            reason = _problem(ts, usage, one_hour, thinking)
            if reason:
                out.rejects.append(reject(*where[index], reason))
                continue
            if _no_fuller(rec, message, usage, fullest):
                out.dropped += 1
                continue
            sent = requests.get(rec.requestRef) if rec.requestRef else None
            out.rows.append(_row(rec, message, source_id, folder, one_hour, thinking, _latency(sent, ts)))
        st["ts"] = latest
        if len(requests) > PENDING_REQUESTS:
            st["requests"] = dict(list(requests.items())[-PENDING_REQUESTS:])
        return out


def _no_fuller(rec: _Line, message: _Message, usage: _Usage, fullest: dict[tuple[str, str], int]) -> bool:
    """Whether this first-hand copy of a response is no fuller than one read before it in the same read:
    Claude Code writes a response once per content block, and the store keeps the fullest copy, the
    first on a tie (``ledger.store.agent_rows.resolve``), so such a copy would be dropped there anyway.
    Sidechain replays are left to the store (they match any copy of their message)."""
    if message.id is None or rec.requestId is None or rec.isSidechain:
        return False
    key = (message.id, rec.requestId)
    tokens = (usage.input_tokens + usage.output_tokens + (usage.cache_read_input_tokens or 0)
              + (usage.cache_creation_input_tokens or 0))
    if tokens <= fullest.get(key, -1):
        return True
    fullest[key] = tokens
    return False


def _row(rec: _Line, message: _Message, source_id: int, folder: str | None, one_hour: int | None,
         thinking: int | None, latency: int | None) -> AgentRow:
    usage = message.usage
    side = bool(rec.isSidechain)
    writes = usage.cache_creation_input_tokens or 0
    return AgentRow(
        source_id=source_id, ts=rec.timestamp, model=message.model or "unknown",
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_input_tokens or 0, cache_write_tokens=writes,
        cache_write_1h_tokens=min(one_hour, writes) if one_hour else None,
        reasoning_tokens=min(thinking, usage.output_tokens) if thinking is not None else None,
        provider_raw=PROVIDER, session=rec.sessionId, project=rec.cwd or folder,
        request_id=rec.requestId, cost_usd=rec.costUSD,
        subagent=rec.attributionAgent or ("sidechain" if side else None), latency_ms=latency,
        message_id=message.id if message.id is not None and rec.requestId is not None else None,
        copy_id=rec.requestId or "", replay=side,
    )


def _totals(rec: _Line, source_id: int, offset: int, ts: str | None) -> list[SessionTotal]:
    """A cost-state line's per-model totals; none before the file showed any time, or without a session."""
    if not rec.modelUsage or timestamp_problem(ts) or not rec.sessionId:
        return []
    out = []
    for model, u in rec.modelUsage.items():
        counts = (u.inputTokens, u.outputTokens, u.thinkingTokens, u.cacheReadInputTokens,
                  u.cacheCreationInputTokens, u.cacheCreationEphemeral1hInputTokens)
        if model == SYNTHETIC_MODEL or any(bad_count(c) for c in counts):
            continue
        out.append(SessionTotal(
            source_id=source_id, line_offset=offset, session=rec.sessionId, ts=ts, model=model,
            input_tokens=u.inputTokens, output_tokens=u.outputTokens, cache_read_tokens=u.cacheReadInputTokens,
            cache_write_tokens=u.cacheCreationInputTokens,
            cache_write_1h_tokens=min(u.cacheCreationEphemeral1hInputTokens, u.cacheCreationInputTokens),
            reasoning_tokens=min(u.thinkingTokens, u.outputTokens), cost_usd=u.costUSD,
        ))
    return out


def _problem(ts: str | None, usage: _Usage, one_hour: int | None, thinking: int | None) -> str | None:
    reason = timestamp_problem(ts)
    if reason:
        return reason
    if usage.input_tokens is None or usage.output_tokens is None:
        return "usage without input_tokens or output_tokens"
    if min(usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens or 0,
           usage.cache_read_input_tokens or 0, one_hour or 0, thinking or 0) < 0:
        return "negative token count"
    return None


def _generic_problem(raw: bytes) -> str | None:
    """For a line whose fields are not the types we read: why it is rejected, or None (ignored)."""
    rec = msgspec.json.decode(raw)
    if rec.get("type") == "cost-state":
        return "cost-state with fields of an unexpected type"
    message = rec.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    if usage is None or (isinstance(message, dict) and message.get("model") == SYNTHETIC_MODEL):
        return None  # not a response: its other fields are none of our business
    return counts_problem(usage, COUNTS, missing="message.usage is not an object",
                          otherwise="a response field of an unexpected type")
