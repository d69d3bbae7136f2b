"""Codex CLI's session logs: ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`` (checked against
Codex 0.171.0's real rollouts).

Each line is ``{"timestamp", "type", "payload"}``. Read: ``session_meta`` (``payload.id``: the
session, ``payload.cwd``, ``payload.model_provider``: the config's provider id, kept raw — the row is
priced under the provider genai-prices knows its model by when that id is not one), ``turn_context``
(``payload.model``, ``payload.cwd``), ``token_usage_record`` (only its ``response_id``: the request id
of the ``token_count`` that follows) and ``event_msg`` whose ``payload.type`` is ``token_count``:
``payload.info`` holds ``total_token_usage`` (cumulative over the session) and ``last_token_usage``
(this response), each with ``input_tokens``, ``cached_input_tokens``, ``cache_write_input_tokens``,
``output_tokens``, ``reasoning_output_tokens``, ``total_tokens``; ``info`` may be null (a rate-limit
update only). Everything else is ignored. ``token_usage_record`` repeats each response's usage: it
is never counted (``token_count`` is, as in logs older than it).

Counting, per token_count event:
- ``info`` null, or a cumulative total equal to the previous one (Codex repeats the event): skip.
- This response's usage is ``last_token_usage``, or, in logs without it, the cumulative total minus
  the previous one.
- Codex's ``input_tokens`` include the cached ones and the cache writes (OpenAI's convention): stored
  as ``input = input - cached - cache writes``, ``cache_read = cached``, ``cache_write = cache
  writes`` (as ccusage 20 counts them). Output includes reasoning, which is kept apart too
  (``reasoning_tokens``), never added twice.
- The dedup key is the session and its cumulative total, so a session replayed into another file
  (resume, fork) counts once.
- Codex writes no request's duration: its rows have no latency.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow

from . import codex_quota
from .base import AgentLog, LogFiles, Parsed, decoded, reject

AGENT = "codex"
FALLBACK_MODEL = "gpt-5"  # what ccusage assumes for old logs that never name a model
COUNTS = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens",
          "reasoning_output_tokens", "total_tokens")


class _Tokens(msgspec.Struct):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0

    def values(self) -> list[int]:
        return [getattr(self, name) for name in COUNTS]


class _Info(msgspec.Struct):
    total_token_usage: _Tokens | None = None
    last_token_usage: _Tokens | None = None
    model: str | None = None


class _Payload(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    cwd: str | None = None
    model: str | None = None
    model_provider: str | None = None
    info: _Info | None = None
    response_id: str | None = None


class _Line(msgspec.Struct):
    timestamp: str | None = None
    type: str | None = None
    payload: _Payload | None = None


_DECODER = msgspec.json.Decoder(_Line)


def home(settings: Settings) -> Path:
    """The setting, else ``CODEX_HOME``, else ``~/.codex``."""
    if settings.sources.codex_home is not None:
        return settings.sources.codex_home
    env = os.environ.get("CODEX_HOME", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".codex"


def log(settings: Settings) -> AgentLog | None:
    """Codex's logs as settings describe them; None when switched off."""
    mode = settings.sources.codex
    if mode is False:
        return None
    return AgentLog(AGENT, [LogFiles(CodexParser(), [home(settings).resolve() / "sessions"])], required=mode is True)


def session_of(path: Path) -> str:
    """The session id a rollout file is named after (``rollout-<time>-<uuid>.jsonl``)."""
    stem = path.stem
    return stem[-36:] if len(stem) >= 36 and stem.startswith("rollout-") else stem


class CodexParser:
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        st = dict(state or {"session": session_of(path), "project": None, "model": None,
                            "provider": None, "total": None})
        out = Parsed(state=st)
        for offset, raw, rec in decoded(_DECODER, data, base, out.rejects, _generic_problem):
            p = rec.payload
            if p is None:
                continue
            rejected = len(out.rejects)
            if rec.type == "event_msg" and p.type == "token_count" and b'"rate_limits"' in raw:
                out.quota += codex_quota.snapshots(offset, raw, st, source_id, out.rejects)
            if rec.type == "session_meta":
                st["session"] = p.id or st["session"]
                st["project"] = p.cwd or st["project"]
                st["provider"] = p.model_provider or st["provider"]
            elif rec.type == "turn_context":
                st["model"] = p.model or st["model"]
                st["project"] = p.cwd or st["project"]
            elif rec.type == "token_usage_record":
                st["response"] = p.response_id
            elif rec.type == "event_msg" and p.type == "token_count" and p.info is not None:
                row, reason = self._turn(rec, p.info, st, source_id)
                if reason and len(out.rejects) == rejected:  # one reason a line (its rate limits' may be in)
                    out.rejects.append(reject(offset, raw, reason))
                elif row is not None:
                    out.rows.append(row)
        return out

    @staticmethod
    def _turn(rec: _Line, info: _Info, st: dict, source_id: int) -> tuple[AgentRow | None, str | None]:
        total = info.total_token_usage
        last = info.last_token_usage
        if total is None and last is None:
            return None, None
        if rec.timestamp is None:
            return None, "token_count without a timestamp"
        try:
            dt.datetime.fromisoformat(rec.timestamp)
        except ValueError:
            return None, "unparseable timestamp"
        for usage in (total, last):
            if usage is not None and min(usage.values()) < 0:
                return None, "negative token count"
        previous = st["total"]
        if total is not None:
            if previous is not None and total.values() == previous:
                return None, None  # the same event again
            st["total"] = total.values()
        if last is not None:
            turn = last.values()
        else:
            turn = [max(a - b, 0) for a, b in zip(total.values(), previous or [0] * len(COUNTS), strict=True)]
        given_input, cached, writes, output, reasoning, _ = turn
        if not (given_input or cached or writes or output or reasoning):
            return None, None
        cached = min(cached, given_input)
        writes = min(writes, given_input - cached)
        st["model"] = info.model or st["model"]
        response, st["response"] = st.get("response"), None
        return AgentRow(
            source_id=source_id, ts=rec.timestamp, model=st["model"] or FALLBACK_MODEL,
            input_tokens=given_input - cached - writes, output_tokens=output, cache_read_tokens=cached,
            cache_write_tokens=writes, reasoning_tokens=min(reasoning, output),
            provider_raw=st["provider"] or "openai", session=st["session"], project=st["project"],
            request_id=response,
            message_id=f"{st['session']}:{total.total_tokens}" if total is not None else None,
        ), None


def _generic_problem(raw: bytes) -> str | None:
    """For a line whose fields are not the types we read: why it is rejected, or None (ignored)."""
    rec = msgspec.json.decode(raw)
    payload = rec.get("payload")
    if rec.get("type") != "event_msg" or not isinstance(payload, dict) or payload.get("type") != "token_count":
        return None  # not a token count: its other fields are none of our business
    return "token_count with fields of an unexpected type"
