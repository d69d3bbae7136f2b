"""Context growth (seed 002): per session, the prompt each request sent (input + cache read + cache
write tokens: the whole context the model read) in order, and the compactions that cut it, with the
tokens each saved. "By request #10 you're sending 20K+ tokens": the chart shows where, and the
provider's input budget (``input_budgets``: cerebras 50K) is the line it should stay under.

A compaction is an agent's ``compaction`` event of that session (``before_tokens``, ``after_tokens``);
one without both counts is placed but saves an unknown amount. A session without such events shows
each drop of the prompt to under half of the request before as a compaction (``source`` "derived").
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

import duckdb
from pydantic import BaseModel, Field

from .sql import rows

MAX_POINTS = 2_000
"""Requests kept per session (the latest); a longer session is shown by its last ones."""
SESSION_HOURS = 24 * 7


class ContextPoint(BaseModel):
    n: int
    """The request's number in the session, from 1."""
    ts: dt.datetime
    prompt_tokens: int


class Compaction(BaseModel):
    ts: dt.datetime
    after_request: int
    """The number of the last request before it."""
    before_tokens: int | None
    after_tokens: int | None
    source: Literal["agent", "derived"] = "agent"

    @property
    def saved(self) -> int | None:
        if self.before_tokens is None or self.after_tokens is None:
            return None
        return max(0, self.before_tokens - self.after_tokens)


class SessionContext(BaseModel):
    session: str
    agent: str
    provider: str
    requests: int
    last_prompt: int
    peak_prompt: int
    last_seen: dt.datetime


class ContextGrowth(BaseModel):
    session: str
    provider: str | None = None
    points: list[ContextPoint] = Field(default_factory=list)
    compactions: list[Compaction] = Field(default_factory=list)
    budget: int | None = None
    """The provider's input budget (tokens), when one is set."""

    @property
    def saved(self) -> int:
        return sum(c.saved or 0 for c in self.compactions)

    def first_over(self, tokens: int) -> int | None:
        """The number of the first request whose prompt reached ``tokens``."""
        return next((p.n for p in self.points if p.prompt_tokens >= tokens), None)


def recent_sessions(cur: duckdb.DuckDBPyConnection, now: dt.datetime, limit: int = 40) -> list[SessionContext]:
    """The sessions of the last week, latest first, with their last and largest prompt."""
    found = rows(cur, f"""
        SELECT session, arg_max(agent, ts), arg_max(provider, ts), count(*),
               arg_max(input_tokens + cache_read_tokens + cache_write_tokens, ts)::BIGINT,
               max(input_tokens + cache_read_tokens + cache_write_tokens)::BIGINT, max(ts)
        FROM usage_lite WHERE session IS NOT NULL AND ts > $now - INTERVAL {SESSION_HOURS} HOUR AND ts <= $now
            AND NOT coalesce(cached, false)
        GROUP BY session ORDER BY max(ts) DESC LIMIT {limit}""", {"now": now})
    return [SessionContext(session=s, agent=a, provider=p, requests=n, last_prompt=last, peak_prompt=peak,
                           last_seen=seen) for s, a, p, n, last, peak, seen in found]


def context_growth(cur: duckdb.DuckDBPyConnection, session: str, now: dt.datetime,
                   budgets: dict[str, int] | None = None) -> ContextGrowth:
    """The session's prompts in order and its compactions."""
    found = rows(cur, f"""
        SELECT ts, provider, (input_tokens + cache_read_tokens + cache_write_tokens)::BIGINT FROM (
            SELECT * FROM usage_lite WHERE session = $session AND ts <= $now AND NOT coalesce(cached, false)
                AND input_tokens + cache_read_tokens + cache_write_tokens > 0
            ORDER BY ts DESC LIMIT {MAX_POINTS}) ORDER BY ts""", {"session": session, "now": now})
    points = [ContextPoint(n=i + 1, ts=ts, prompt_tokens=int(tokens)) for i, (ts, _, tokens) in enumerate(found)]
    provider = found[-1][1] if found else None
    growth = ContextGrowth(session=session, provider=provider, points=points,
                           budget=(budgets or {}).get(provider) if provider else None)
    events = rows(cur, """SELECT ts, detail FROM events WHERE kind = 'compaction' AND session = $session
                          AND ts <= $now ORDER BY ts""", {"session": session, "now": now})
    growth.compactions = _compactions(points, events) if events else _derived(points)
    return growth


def _compactions(points: list[ContextPoint], events: list[tuple]) -> list[Compaction]:
    found = []
    for ts, raw in events:
        detail = _detail(raw)
        before = [p for p in points if p.ts <= ts]
        found.append(Compaction(ts=ts, after_request=before[-1].n if before else 0,
                                before_tokens=_int(detail.get("before_tokens")),
                                after_tokens=_int(detail.get("after_tokens"))))
    return found


def _derived(points: list[ContextPoint]) -> list[Compaction]:
    """A prompt under half of the one before: the context was compacted (or cleared) between them."""
    return [Compaction(ts=b.ts, after_request=a.n, before_tokens=a.prompt_tokens, after_tokens=b.prompt_tokens,
                       source="derived")
            for a, b in zip(points, points[1:], strict=False) if b.prompt_tokens * 2 < a.prompt_tokens]


def _detail(raw: object) -> dict:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
