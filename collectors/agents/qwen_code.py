"""Qwen Code's chat recordings (checked against @qwen-code/qwen-code 0.24.4's real files and its
bundled source): ``<runtime dir>/projects/<project>/chats/<session>.jsonl``, the runtime dir being
``QWEN_RUNTIME_DIR``, else ``QWEN_HOME``, else ``~/.qwen``.

Qwen Code writes each model call's usage twice in a chat file: an ``assistant`` record
(``usageMetadata``) for the main conversation's calls only — a subagent's are in
``subagents/<session>/agent-*.jsonl`` and the chat compression's and memory extractor's nowhere —
and a ``system`` record of subtype ``ui_telemetry`` whose ``systemPayload.uiEvent`` named
``qwen-code.api_response`` exists for every call but side queries (the main conversation's, the
subagents' — with ``subagent_name`` —, compression, memory extraction). So only those telemetry
records are read, from ``chats/`` alone (never both, never the subagent files: that would count
twice): ``response_id``, ``event.timestamp``, ``model``, ``duration_ms`` (→ latency),
``status_code``, ``input_token_count`` (promptTokenCount: cached included), ``output_token_count``
(thoughts included), ``cached_content_token_count``, ``thoughts_token_count``, ``auth_type``.
Records copied into a forked session (``forkedFrom``) are skipped; a record is one response per
session, response id and time. Side queries (the permission classifier) are only in
``usage_record.jsonl``, which is cumulative per session and not per call: not read.

Stored: input = input − cached, cache read = cached, output = output (thoughts included),
reasoning = thoughts. The provider is the auth type (``openai``, an OpenAI-compatible endpoint, is
kept as ``openai-compatible``: the row is priced under whichever provider genai-prices knows its
model by).
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow

from .base import AgentLog, LogFiles, Parsed, counts_problem, decoded, first_problem, reject, timestamp_problem

AGENT = "qwen-code"
API_RESPONSE = "qwen-code.api_response"
COUNTS = ("input_token_count", "output_token_count", "cached_content_token_count", "thoughts_token_count")


class _Event(msgspec.Struct):
    name: str | None = msgspec.field(default=None, name="event.name")
    timestamp: str | None = msgspec.field(default=None, name="event.timestamp")
    response_id: str | None = None
    model: str | None = None
    status_code: int | None = None
    duration_ms: int | float | None = None
    input_token_count: int = 0
    output_token_count: int = 0
    cached_content_token_count: int = 0
    thoughts_token_count: int = 0
    auth_type: str | None = None
    subagent_name: str | None = None
    error: str | None = None


class _Payload(msgspec.Struct):
    uiEvent: _Event | None = None  # noqa: N815 - Qwen Code's own field names


class _Record(msgspec.Struct):
    type: str | None = None
    subtype: str | None = None
    sessionId: str | None = None  # noqa: N815
    timestamp: str | None = None
    cwd: str | None = None
    forkedFrom: dict | None = None  # noqa: N815
    systemPayload: _Payload | None = None  # noqa: N815


_DECODER = msgspec.json.Decoder(_Record)


def runtime_dir(settings: Settings) -> Path:
    if settings.sources.qwen_code_home is not None:
        return settings.sources.qwen_code_home
    for name in ("QWEN_RUNTIME_DIR", "QWEN_HOME"):
        env = os.environ.get(name, "").strip()
        if env:
            return Path(env).expanduser()
    return Path.home() / ".qwen"


def _chat(path: Path) -> bool:
    return path.parent.name == "chats"


def log(settings: Settings) -> AgentLog | None:
    mode = settings.sources.qwen_code
    if mode is False:
        return None
    root = runtime_dir(settings).resolve() / "projects"
    return AgentLog(AGENT, [LogFiles(QwenParser(), [root], "*.jsonl", accept=_chat)], required=mode is True)


def _provider(auth_type: str | None) -> str:
    return "openai-compatible" if auth_type in (None, "openai") else auth_type


def _row(rec: _Record, e: _Event, source_id: int) -> AgentRow:
    cached = min(e.cached_content_token_count, e.input_token_count)
    failed = e.error or (e.status_code is not None and e.status_code >= 400)
    return AgentRow(
        source_id=source_id, ts=e.timestamp or rec.timestamp, model=e.model or "unknown",
        input_tokens=e.input_token_count - cached, output_tokens=e.output_token_count, cache_read_tokens=cached,
        reasoning_tokens=min(e.thoughts_token_count, e.output_token_count), provider_raw=_provider(e.auth_type),
        session=rec.sessionId, project=rec.cwd, request_id=e.response_id, subagent=e.subagent_name,
        latency_ms=round(e.duration_ms) if e.duration_ms else None,
        error=(e.error or f"HTTP {e.status_code}") if failed else None,
        message_id=f"{rec.sessionId}:{e.response_id}" if e.response_id else None, copy_id=e.timestamp or "",
    )


class QwenParser:
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        out = Parsed()
        for offset, raw, rec in decoded(_DECODER, data, base, out.rejects, _generic_problem):
            e = rec.systemPayload.uiEvent if rec.systemPayload else None
            if rec.subtype != "ui_telemetry" or e is None or e.name != API_RESPONSE or rec.forkedFrom is not None:
                continue
            reason = first_problem(timestamp_problem(e.timestamp or rec.timestamp),
                                   "negative token count" if min(getattr(e, c) for c in COUNTS) < 0 else None)
            if reason:
                out.rejects.append(reject(offset, raw, reason))
                continue
            out.rows.append(_row(rec, e, source_id))
        return out


def _generic_problem(raw: bytes) -> str | None:
    rec = msgspec.json.decode(raw)
    payload = rec.get("systemPayload")
    event = payload.get("uiEvent") if isinstance(payload, dict) else None
    if rec.get("subtype") != "ui_telemetry" or not isinstance(event, dict) or event.get("event.name") != API_RESPONSE:
        return None  # not a model call's telemetry: none of our business
    return counts_problem(event, COUNTS, missing="", otherwise="an api_response with fields of an unexpected type")
