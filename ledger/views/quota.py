"""Subscription quota windows: the agents' own numbers, and 5-hour blocks estimated where none is
reported.

**Reported** (``source: agent``): each agent's latest snapshot per window (Claude Code's status line,
Codex's rate limits). A snapshot whose ``resets_at`` has passed shows as reset (0 %, the next reset one
window length later), never as the old percentage. The projection at reset comes from the window's
own burn: its snapshots since this window began (same reset time), or, with one snapshot only, from
the window's start (reset time less its length) at 0 %.

**Estimated** (``source: estimated``), the way ccusage's ``blocks`` does it (ryoppippi/ccusage,
``rust/crates/ccusage/src/blocks.rs`` ``identify_session_blocks``): a block starts at the hour of its
first request and lasts 5 hours; the next request after that starts the next block (a request more
than 5 hours after the last one always does, since it is also 5 hours past the block's start). The
block is active while its last request is less than 5 hours old and its end has not come. Its used %
is its tokens against the largest earlier block of the last 30 days (ccusage's ``--token-limit max``)
or the ``quota_block_tokens`` setting. Counted from the hourly rollup, so hours are the store's local
hours (the same as UTC hours in every whole-hour time zone). An estimate is made only for an agent that
reports no 5-hour window of its own right now: it never stands in for, or overwrites, the agent's.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
from pydantic import BaseModel, Field

from .sql import rows

BLOCK_HOURS = 5
BLOCK_AGENTS = ("claude-code", "codex")
"""The subscription agents whose 5-hour windows are estimated when they report none."""
HISTORY_DAYS = 30
DEFAULT_MINUTES = {"five_hour": 300, "seven_day": 10080, "block": 300}


class QuotaWindow(BaseModel):
    """One window. ``status --json`` shows the first five fields (DESIGN.md); the rest is for the panes."""

    agent: str
    window: Literal["five_hour", "seven_day", "primary", "secondary", "block"] | str
    used_percent: float
    resets_at: dt.datetime
    source: Literal["agent", "estimated"]
    window_minutes: int = Field(default=300, exclude=True)
    reported_at: dt.datetime | None = Field(default=None, exclude=True)
    reset: bool = Field(default=False, exclude=True)
    """The snapshot is older than its reset: the window started again."""
    projected_percent: float | None = Field(default=None, exclude=True)
    """Where the window's own pace takes it by its reset."""
    full_at: dt.datetime | None = Field(default=None, exclude=True)
    """When that pace reaches 100 %, if before the reset."""


class Block(BaseModel):
    """One estimated 5-hour block of an agent's use."""

    agent: str
    start: dt.datetime
    end: dt.datetime
    requests: int
    tokens: int
    cost_usd: float
    active: bool


def project(used: float, at: dt.datetime, resets_at: dt.datetime, since: tuple[dt.datetime, float] | None,
            minutes: int) -> tuple[float | None, dt.datetime | None]:
    """(percent at reset, when 100 % is reached before it) at the pace since ``since`` (time, percent),
    else since the window began at 0 %."""
    start, base = since if since and (at - since[0]).total_seconds() >= 60 else (
        resets_at - dt.timedelta(minutes=minutes), 0.0)
    seconds = (at - start).total_seconds()
    if seconds <= 0 or used <= base:
        return (used if seconds > 0 else None), None
    rate = (used - base) / seconds
    left = max(0.0, (resets_at - at).total_seconds())
    projected = used + rate * left
    full_at = at + dt.timedelta(seconds=(100 - used) / rate) if used < 100 and projected >= 100 else None
    return projected, full_at


def reported(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[QuotaWindow]:
    """Each agent's latest snapshot per window, reset when its time has come."""
    if not rows(cur, "SELECT EXISTS (SELECT 1 FROM quota_snapshots WHERE window_name IS NOT NULL)", {})[0][0]:
        return []  # most stores: no subscription agent ever reported a window
    found = rows(cur, """
        WITH latest AS (
            SELECT agent, window_name, arg_max(used_percent, ts) AS used, arg_max(resets_at, ts) AS resets_at,
                   arg_max(window_minutes, ts) AS minutes, max(ts) AS at
            FROM quota_snapshots WHERE window_name IS NOT NULL AND ts <= $now GROUP BY ALL)
        SELECT l.agent, l.window_name, l.used, l.resets_at, l.minutes, l.at, min(q.ts), arg_min(q.used_percent, q.ts)
        FROM latest l LEFT JOIN quota_snapshots q
            ON q.agent = l.agent AND q.window_name = l.window_name AND q.ts <= $now
            AND abs(epoch(q.resets_at) - epoch(l.resets_at)) < 120
        GROUP BY ALL ORDER BY 1, 2""", {"now": now})
    out = []
    for agent, name, used, resets_at, minutes, at, first_at, first_used in found:
        minutes = int(minutes or DEFAULT_MINUTES.get(name, 0)) or 300
        if resets_at is None:  # a window without a reset time: shown as reported, never projected
            out.append(QuotaWindow(agent=agent, window=name, used_percent=used, resets_at=at, source="agent",
                                   window_minutes=minutes, reported_at=at))
            continue
        window = QuotaWindow(agent=agent, window=name, used_percent=used, resets_at=resets_at, source="agent",
                             window_minutes=minutes, reported_at=at)
        if resets_at <= now:
            steps = int((now - resets_at) / dt.timedelta(minutes=minutes)) + 1
            window.reset, window.used_percent = True, 0.0
            window.resets_at = resets_at + steps * dt.timedelta(minutes=minutes)
        else:
            since = (first_at, first_used) if first_at is not None and first_at < at else None
            window.projected_percent, window.full_at = project(used, at, resets_at, since, minutes)
        out.append(window)
    return out


def blocks(cur: duckdb.DuckDBPyConnection, now: dt.datetime, since: dt.datetime,
           agents: tuple[str, ...] = BLOCK_AGENTS) -> list[Block]:
    """The agents' 5-hour blocks with requests between ``since`` and ``now``, oldest first."""
    hours = rows(cur, """
        SELECT agent, hour, sum(requests)::BIGINT, sum(tokens)::BIGINT, sum(cost_usd)
        FROM usage_hourly WHERE agent IN (SELECT unnest($agents)) AND hour >= $since AND hour <= $now
        GROUP BY 1, 2 ORDER BY 1, 2""", {"agents": list(agents), "since": since, "now": now})
    if not hours:
        return []
    last_seen = dict(rows(cur, """SELECT agent, max(ts) FROM usage
        WHERE agent IN (SELECT unnest($agents)) AND ts > $now - INTERVAL 5 HOUR AND ts <= $now GROUP BY 1""",
                          {"agents": list(agents), "now": now}))
    out: list[Block] = []
    span = dt.timedelta(hours=BLOCK_HOURS)
    for agent, hour, requests, tokens, cost in hours:
        current = out[-1] if out and out[-1].agent == agent else None
        if current is None or hour >= current.end:
            current = Block(agent=agent, start=hour, end=hour + span, requests=0, tokens=0, cost_usd=0.0,
                            active=False)
            out.append(current)
        current.requests += requests
        current.tokens += tokens
        current.cost_usd += cost or 0.0
    for block in out:
        last = last_seen.get(block.agent)
        block.active = last is not None and block.start <= last < block.end and now < block.end
    return out


def estimated(cur: duckdb.DuckDBPyConnection, now: dt.datetime, agents: list[str],
              block_tokens: dict[str, int]) -> list[QuotaWindow]:
    """The active estimated block of each agent in ``agents``, as a window."""
    if not agents:
        return []
    out = []
    history = blocks(cur, now, now - dt.timedelta(days=HISTORY_DAYS), tuple(agents))
    for agent in agents:
        mine = [b for b in history if b.agent == agent]
        if not mine or not mine[-1].active:
            continue
        current = mine[-1]
        limit = block_tokens.get(agent) or max((b.tokens for b in mine[:-1]), default=0)
        if not limit:
            continue  # nothing to measure the block against yet
        used = 100.0 * current.tokens / limit
        window = QuotaWindow(agent=agent, window="block", used_percent=round(used, 1), resets_at=current.end,
                             source="estimated", window_minutes=BLOCK_HOURS * 60, reported_at=now)
        window.projected_percent, window.full_at = project(used, now, current.end, None, BLOCK_HOURS * 60)
        out.append(window)
    return out


def quota_windows(cur: duckdb.DuckDBPyConnection, now: dt.datetime, block_tokens: dict[str, int],
                  agents: tuple[str, ...] = BLOCK_AGENTS) -> list[QuotaWindow]:
    """Every window: the agents' own, then estimates for the agents that report no 5-hour window."""
    own = reported(cur, now)
    covered = {w.agent for w in own if w.window_minutes == BLOCK_HOURS * 60}  # a subscriber: no estimate
    return own + estimated(cur, now, [a for a in agents if a not in covered], block_tokens)
