"""GitHub Copilot CLI's usage (checked against @github/copilot 1.0.102's real files and its
``session-events.schema.json``):

- ``<COPILOT_HOME or ~/.copilot>/session-state/<session>/events.jsonl``: one event per line
  (``type``, ``data``, ``id``, ``timestamp``); each model call is a ``session.usage_record`` whose
  ``data.usage`` holds ``model``, ``inputTokens`` (cache reads and writes included),
  ``outputTokens`` (reasoning included), ``cacheReadTokens``, ``cacheWriteTokens``,
  ``reasoningTokens``, ``duration`` (ms → latency), ``apiCallId``, ``accounting.usageId`` (one
  call's identity), ``initiator`` (``sub-agent`` for a subagent's call), ``interactionType``,
  ``isByok`` and ``providerType`` (a bring-your-own-key provider's family). Copilot writes these
  on its own, with no setting.
- Its OpenTelemetry file export, when the user turned it on: ``<copilot home>/otel/*.jsonl`` (where
  ccusage looks too), ``COPILOT_OTEL_FILE_EXPORTER_PATH``, or ``[sources] copilot_cli_otel_files``.
  JSON lines; a ``span`` named ``chat <model>`` per call
  with ``gen_ai.usage.input_tokens`` (cached included), ``…output_tokens`` (reasoning included),
  ``…cache_read.input_tokens``, ``…cache_creation.input_tokens`` (or ``…cache_write.input_tokens``),
  ``…reasoning.output_tokens``,
  ``gen_ai.response.id`` (the same id as ``apiCallId``: a call in both counts once),
  ``gen_ai.conversation.id`` (the session), ``startTime``/``endTime`` ([seconds, nanoseconds]).
  Metric lines are aggregates of the same calls: never read.

Stored: input = input − cache reads − cache writes, output = output, reasoning as given. The
provider: ``github-copilot`` for Copilot's own models, the bring-your-own-key provider's family
otherwise. ``cost`` in a usage record is a premium-request multiplier, not dollars: not used.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow

from .base import (
    AgentLog,
    LogFiles,
    Parsed,
    bad_count,
    counts_problem,
    decoded,
    first_problem,
    reject,
    timestamp_problem,
)

AGENT = "copilot-cli"
HOSTED = "github-copilot"
USAGE_RECORD = "session.usage_record"
COUNTS = ("inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens")


class _Accounting(msgspec.Struct):
    usageId: str | None = None  # noqa: N815 - Copilot's own field names


class _Usage(msgspec.Struct):
    model: str | None = None
    inputTokens: int = 0  # noqa: N815
    outputTokens: int = 0  # noqa: N815
    cacheReadTokens: int = 0  # noqa: N815
    cacheWriteTokens: int = 0  # noqa: N815
    reasoningTokens: int = 0  # noqa: N815
    duration: int | float | None = None
    apiCallId: str | None = None  # noqa: N815
    accounting: _Accounting | None = None
    initiator: str | None = None
    interactionType: str | None = None  # noqa: N815
    isByok: bool | None = None  # noqa: N815
    providerType: str | None = None  # noqa: N815


class _Data(msgspec.Struct):
    usage: _Usage | None = None
    sessionId: str | None = None  # noqa: N815
    context: dict[str, Any] | None = None


class _Event(msgspec.Struct):
    type: str | None = None
    timestamp: str | None = None
    data: _Data | None = None


_EVENTS = msgspec.json.Decoder(_Event)


def home(settings: Settings) -> Path:
    if settings.sources.copilot_cli_home is not None:
        return settings.sources.copilot_cli_home
    env = os.environ.get("COPILOT_HOME", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".copilot"


def otel_files(settings: Settings) -> list[Path]:
    """The OpenTelemetry file exports to read: the setting, else ``COPILOT_OTEL_FILE_EXPORTER_PATH``."""
    if settings.sources.copilot_cli_otel_files:
        return list(settings.sources.copilot_cli_otel_files)
    env = os.environ.get("COPILOT_OTEL_FILE_EXPORTER_PATH", "").strip()
    return [Path(env).expanduser()] if env else []


def log(settings: Settings) -> AgentLog | None:
    mode = settings.sources.copilot_cli
    if mode is False:
        return None
    folder = home(settings).resolve()
    files = [LogFiles(CopilotEventsParser(), [folder / "session-state"], "events.jsonl"),
             LogFiles(CopilotOtelParser(), [folder / "otel"], "*.jsonl")]
    for path in otel_files(settings):
        path = path.resolve()
        files.append(LogFiles(CopilotOtelParser(), [path.parent], path.name))
    return AgentLog(AGENT, files, required=mode is True)


def _provider(u: _Usage) -> str:
    return (u.providerType or "openai-compatible") if u.isByok else HOSTED


def _subagent(u: _Usage) -> str | None:
    return "subagent" if u.initiator == "sub-agent" or u.interactionType == "conversation-subagent" else None


class CopilotEventsParser:
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        st = state or {"session": path.parent.name, "project": None}
        out = Parsed(state=st)
        for offset, raw, rec in decoded(_EVENTS, data, base, out.rejects, _generic_problem):
            d = rec.data
            if rec.type == "session.start" and d is not None:
                st["session"] = d.sessionId or st["session"]
                st["project"] = (d.context or {}).get("cwd") or st["project"]
            if rec.type != USAGE_RECORD or d is None or d.usage is None:
                continue
            u = d.usage
            reason = first_problem(timestamp_problem(rec.timestamp),
                                   "negative token count" if min(getattr(u, c) for c in COUNTS) < 0 else None)
            if reason:
                out.rejects.append(reject(offset, raw, reason))
                continue
            cached = min(u.cacheReadTokens, u.inputTokens)
            writes = min(u.cacheWriteTokens, u.inputTokens - cached)
            call = (u.accounting.usageId if u.accounting else None) or u.apiCallId
            out.rows.append(AgentRow(
                source_id=source_id, ts=rec.timestamp, model=u.model or "unknown",
                input_tokens=u.inputTokens - cached - writes, output_tokens=u.outputTokens, cache_read_tokens=cached,
                cache_write_tokens=writes, reasoning_tokens=min(u.reasoningTokens, u.outputTokens),
                provider_raw=_provider(u), session=st["session"], project=st["project"], request_id=u.apiCallId,
                kind=u.interactionType, subagent=_subagent(u),
                latency_ms=round(u.duration) if u.duration else None, message_id=call,
            ))
        return out


def _generic_problem(raw: bytes) -> str | None:
    rec = msgspec.json.decode(raw)
    if rec.get("type") != USAGE_RECORD:
        return None
    usage = (rec.get("data") or {}).get("usage") if isinstance(rec.get("data"), dict) else None
    return counts_problem(usage, COUNTS, missing="a usage record without a usage object",
                          otherwise="a usage record with fields of an unexpected type")


# -- the OpenTelemetry file export -------------------------------------------------------------------

_ATTRS = {
    "input": ("gen_ai.usage.input_tokens",), "output": ("gen_ai.usage.output_tokens",),
    "cache_read": ("gen_ai.usage.cache_read.input_tokens",),
    "cache_write": ("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens"),
    "reasoning": ("gen_ai.usage.reasoning.output_tokens",),
}


class _Span(msgspec.Struct):
    type: str | None = None
    name: str | None = None
    startTime: list[int] | None = None  # noqa: N815
    endTime: list[int] | None = None  # noqa: N815
    attributes: dict[str, Any] | None = None


_SPANS = msgspec.json.Decoder(_Span)


def _when(pair: list[int] | None) -> dt.datetime | None:
    if not pair or len(pair) != 2:
        return None
    return dt.datetime.fromtimestamp(pair[0] + pair[1] / 1e9, dt.UTC)


class CopilotOtelParser:
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        out = Parsed()
        for offset, raw, rec in decoded(_SPANS, data, base, out.rejects, lambda _raw: None):
            a = rec.attributes or {}
            if rec.type != "span" or a.get("gen_ai.operation.name") != "chat":
                continue
            counts = {k: next((a[n] for n in names if n in a), 0) for k, names in _ATTRS.items()}
            start, end = _when(rec.startTime), _when(rec.endTime)
            if end is None or any(bad_count(c) for c in counts.values()):
                out.rejects.append(reject(offset, raw, "a chat span without its end time or token counts"))
                continue
            cached = min(counts["cache_read"], counts["input"])
            writes = min(counts["cache_write"], counts["input"] - cached)
            response = a.get("gen_ai.response.id")
            out.rows.append(AgentRow(
                source_id=source_id, ts=end.isoformat(timespec="milliseconds"),
                model=str(a.get("gen_ai.response.model") or a.get("gen_ai.request.model") or "unknown"),
                input_tokens=counts["input"] - cached - writes, output_tokens=counts["output"],
                cache_read_tokens=cached, cache_write_tokens=writes,
                reasoning_tokens=min(counts["reasoning"], counts["output"]), provider_raw=HOSTED
                if a.get("gen_ai.provider.name") == "github" else str(a.get("gen_ai.provider.name") or HOSTED),
                session=a.get("gen_ai.conversation.id"), request_id=response,
                latency_ms=round((end - start).total_seconds() * 1000) if start else None,
                message_id=str(response) if response else None,
            ))
        return out
