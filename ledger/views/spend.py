"""The daily spend review: days, month to date and its forecast, a day's breakdown, the previous
period and the most expensive sessions. Plain data for the Spend screen (no Textual).

Where the hourly rollup (``usage_hourly``: local hour, provider, model, workload, agent program)
answers exactly, it is used; subagents and sessions are not in it, so those come from ``usage_v``. A window that ends
inside an hour takes that hour's rows from ``usage_v``, so period totals are exact to the request.

Forecast to month end = month to date + (mean daily cost of the last 7 complete days) × (days left
in the month, counted from now, so the rest of today counts as a fraction of a day). Simple on
purpose: it says what the last week's pace costs if it holds, and the screen says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
from pydantic import BaseModel

from ..settings import Settings
from .quota import blocks

FORECAST_DAYS = 7
TOP_SESSIONS = 10
DAY_SESSIONS = 8  # sessions listed in a day's breakdown (the rest are summed as "others")


class DaySpend(BaseModel):
    date: dt.date
    requests: int = 0
    errors: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    unpriced_requests: int = 0


class PeriodTotals(BaseModel):
    start: dt.datetime
    end: dt.datetime
    requests: int
    tokens: int
    cost_usd: float
    unpriced_requests: int


class PeriodComparison(BaseModel):
    current: PeriodTotals
    previous: PeriodTotals

    @property
    def cost_change(self) -> float | None:
        """Relative change of cost (0.25 = 25 % more); None when the previous period cost nothing."""
        before = self.previous.cost_usd
        return (self.current.cost_usd - before) / before if before else None


class SessionSpend(BaseModel):
    session: str
    agent: str
    """The agent program (the latest one, should two programs share a session id)."""
    requests: int
    tokens: int
    cost_usd: float
    first_seen: dt.datetime
    last_seen: dt.datetime
    models: str
    """The session's models, most expensive first, comma-separated."""


class BreakdownRow(BaseModel):
    key: str
    requests: int
    tokens: int
    cost_usd: float
    unpriced_requests: int = 0
    depth: int = 0
    """1: a subagent, listed under its agent program (the row above it at depth 0)."""


class DayBreakdown(BaseModel):
    date: dt.date
    providers: list[BreakdownRow]
    models: list[BreakdownRow]
    agents: list[BreakdownRow]
    """Each agent program, followed by its subagents (``depth`` 1)."""
    sessions: list[BreakdownRow]
    """The ``DAY_SESSIONS`` most expensive, then one ``others (N)`` row when there are more."""
    session_count: int
    blocks: list[BreakdownRow] = []
    """The subscription agents' estimated 5-hour blocks that began that day (``quota.blocks``)."""

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.providers)


class SpendReview(BaseModel):
    now: dt.datetime
    timezone: str
    days: list[DaySpend]
    """Every local day of the window, oldest first, zero-filled."""
    budget_daily: float | None
    budget_monthly: float | None
    month_to_date: float
    forecast_month: float
    forecast_daily_mean: float
    """The trailing mean the forecast assumes."""
    forecast_days_left: float
    comparison: PeriodComparison
    top_sessions: list[SessionSpend]
    unpriced_models: list[str]
    """``provider/model`` of models in the window nobody could price."""


def day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _totals_between(cur: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime) -> PeriodTotals:
    """Requests, tokens and cost with start <= ts <= end: whole hours from the rollup, the hour
    ``end`` falls in from ``usage_v`` (``start`` is always on an hour boundary here)."""
    cut = end.replace(minute=0, second=0, microsecond=0)
    requests, tokens, cost, unpriced = cur.execute(
        """SELECT coalesce(sum(r), 0)::BIGINT, coalesce(sum(t), 0)::BIGINT, coalesce(sum(c), 0),
                  coalesce(sum(u), 0)::BIGINT
           FROM (SELECT sum(requests) AS r, sum(tokens) AS t, sum(cost_usd) AS c, sum(unpriced) AS u
                 FROM usage_hourly WHERE hour >= $start AND hour < $cut
                 UNION ALL
                 SELECT count(*), sum(tokens), sum(cost_usd), count_if(unpriced)
                 FROM usage_v WHERE ts >= greatest($cut, $start) AND ts <= $end)""",
        {"start": start, "cut": cut, "end": end},
    ).fetchall()[0]
    return PeriodTotals(start=start, end=end, requests=requests, tokens=tokens, cost_usd=cost,
                        unpriced_requests=unpriced)


def daily_spend(cur: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, zone: ZoneInfo,
                now: dt.datetime | None = None) -> list[DaySpend]:
    """One row per local day from ``first`` to ``last``, zero-filled, from the hourly rollup."""
    start, stop = day_start(first, zone), day_start(last + dt.timedelta(days=1), zone)
    rows = cur.execute(
        """SELECT hour::DATE, sum(requests)::BIGINT, sum(errors)::BIGINT, sum(tokens)::BIGINT,
                  sum(cost_usd), sum(unpriced)::BIGINT
           FROM usage_hourly WHERE hour >= $start AND hour < $stop AND hour <= $now GROUP BY 1""",
        {"start": start, "stop": stop, "now": now or stop},
    ).fetchall()
    found = {r[0]: r for r in rows}
    days = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        if day in found:
            _, requests, errors, tokens, cost, unpriced = found[day]
            days.append(DaySpend(date=day, requests=requests, errors=errors, tokens=tokens,
                                 cost_usd=cost or 0.0, unpriced_requests=unpriced))
        else:
            days.append(DaySpend(date=day))
    return days


def compare_periods(cur: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime,
                    days: int) -> PeriodComparison:
    """[start, end] against the same wall-clock span ``days`` days earlier (equal length)."""
    shift = dt.timedelta(days=days)  # aware arithmetic in one zone is wall-clock: DST-safe
    return PeriodComparison(current=_totals_between(cur, start, end),
                            previous=_totals_between(cur, start - shift, end - shift))


def top_sessions(cur: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime,
                 limit: int = TOP_SESSIONS) -> list[SessionSpend]:
    """The most expensive sessions with requests in [start, end]."""
    rows = cur.execute(
        """WITH per_model AS (
               SELECT session, model, arg_max(agent, ts) AS agent, count(*) AS requests,
                      sum(tokens) AS tokens, sum(cost_usd) AS cost, min(ts) AS first, max(ts) AS last
               FROM usage_v WHERE ts >= $start AND ts <= $end AND session IS NOT NULL
               GROUP BY 1, 2)
           SELECT session, arg_max(agent, last), sum(requests)::BIGINT, sum(tokens)::BIGINT, sum(cost),
                  min(first), max(last), string_agg(model, ', ' ORDER BY cost DESC, model)
           FROM per_model GROUP BY 1 ORDER BY 5 DESC, 1 LIMIT $limit""",
        {"start": start, "end": end, "limit": limit},
    ).fetchall()
    zone = start.tzinfo
    return [
        SessionSpend(session=s, agent=a, requests=r, tokens=t, cost_usd=c, first_seen=f.astimezone(zone),
                     last_seen=la.astimezone(zone), models=m)
        for s, a, r, t, c, f, la, m in rows
    ]


def _breakdown(rows: list[tuple]) -> list[BreakdownRow]:
    return [BreakdownRow(key=str(k) if k is not None else "(none)", requests=r, tokens=t, cost_usd=c or 0.0,
                         unpriced_requests=u) for k, r, t, c, u in rows]


def _agents_and_subagents(cur: duckdb.DuckDBPyConnection, hourly: str, params: dict) -> list[BreakdownRow]:
    """Agent programs (rollup), each followed by its subagents (``usage_v``), most expensive first."""
    agents = _breakdown(cur.execute(hourly.format(key="agent"), params).fetchall())
    subs: dict[str, list[tuple]] = {}
    for agent, *row in cur.execute(
            """SELECT agent, subagent, count(*), sum(tokens)::BIGINT, sum(cost_usd), count_if(unpriced)::BIGINT
               FROM usage_v WHERE ts >= $start AND ts < $stop AND subagent IS NOT NULL
               GROUP BY 1, 2 ORDER BY 5 DESC, 2""", params).fetchall():
        subs.setdefault(agent, []).append(tuple(row))
    out: list[BreakdownRow] = []
    for a in agents:
        out.append(a)
        out += [r.model_copy(update={"depth": 1}) for r in _breakdown(subs.get(a.key, []))]
    return out


def day_breakdown(cur: duckdb.DuckDBPyConnection, day: dt.date, zone: ZoneInfo) -> DayBreakdown:
    """One local day by provider, model and agent program (rollup), by subagent and session (``usage_v``)."""
    params = {"start": day_start(day, zone), "stop": day_start(day + dt.timedelta(days=1), zone)}
    hourly = """SELECT {key}, sum(requests)::BIGINT, sum(tokens)::BIGINT, sum(cost_usd), sum(unpriced)::BIGINT
                FROM usage_hourly WHERE hour >= $start AND hour < $stop GROUP BY 1 ORDER BY 4 DESC, 1"""
    detailed = """SELECT {key}, count(*), sum(tokens)::BIGINT, sum(cost_usd), count_if(unpriced)::BIGINT
                  FROM usage_v WHERE ts >= $start AND ts < $stop GROUP BY 1 ORDER BY 4 DESC, 1"""
    providers = _breakdown(cur.execute(hourly.format(key="provider"), params).fetchall())
    models = _breakdown(cur.execute(hourly.format(key="provider || '/' || model"), params).fetchall())
    agents = _agents_and_subagents(cur, hourly, params)
    sessions = _breakdown(cur.execute(detailed.format(key="session"), params).fetchall())
    shown = sessions[:DAY_SESSIONS]
    rest = sessions[DAY_SESSIONS:]
    if rest:
        shown.append(BreakdownRow(
            key=f"others ({len(rest)})", requests=sum(r.requests for r in rest),
            tokens=sum(r.tokens for r in rest), cost_usd=sum(r.cost_usd for r in rest),
            unpriced_requests=sum(r.unpriced_requests for r in rest),
        ))
    # Blocks run over midnight: start a day early so the day's first block starts where it really does.
    found = blocks(cur, params["stop"] - dt.timedelta(microseconds=1), params["start"] - dt.timedelta(days=1))
    day_blocks = [BreakdownRow(key=f"{b.agent} {b.start.astimezone(zone):%H:%M}", requests=b.requests,
                               tokens=b.tokens, cost_usd=b.cost_usd)
                  for b in found if params["start"] <= b.start < params["stop"]]
    return DayBreakdown(date=day, providers=providers, models=models, agents=agents, sessions=shown,
                        session_count=len(sessions), blocks=day_blocks)


def forecast_month(month_to_date: float, trailing_mean: float, now: dt.datetime) -> tuple[float, float]:
    """(forecast, days left): month to date plus the trailing daily mean for the rest of the month."""
    last_day = calendar.monthrange(now.year, now.month)[1]
    month_end = day_start(dt.date(now.year, now.month, last_day) + dt.timedelta(days=1), now.tzinfo)
    days_left = (month_end - now).total_seconds() / 86400
    return month_to_date + trailing_mean * days_left, days_left


def review(cur: duckdb.DuckDBPyConnection, settings: Settings, now: dt.datetime, days: int = 30) -> SpendReview:
    """Everything the Spend screen shows for the last ``days`` local days up to ``now``."""
    zone = ZoneInfo(settings.timezone)
    now = now.astimezone(zone)
    today = now.date()
    first = today - dt.timedelta(days=days - 1)
    window = daily_spend(cur, first, today, zone, now)
    month_start = day_start(today.replace(day=1), zone)
    mtd = _totals_between(cur, month_start, now).cost_usd
    # The forecast's complete days are the window's, when the window holds them (it always does on
    # the screen: 30 or 90 days).
    trailing = (window[-FORECAST_DAYS - 1:-1] if days > FORECAST_DAYS else
                daily_spend(cur, today - dt.timedelta(days=FORECAST_DAYS), today - dt.timedelta(days=1), zone))
    mean = sum(d.cost_usd for d in trailing) / FORECAST_DAYS
    forecast, days_left = forecast_month(mtd, mean, now)
    start = day_start(first, zone)
    unpriced = cur.execute(
        """SELECT DISTINCT provider || '/' || model FROM usage_hourly
           WHERE unpriced > 0 AND hour >= $start AND hour <= $now ORDER BY 1""",
        {"start": start, "now": now},
    ).fetchall()
    budget = settings.budgets.get("all")
    return SpendReview(
        now=now, timezone=settings.timezone, days=window,
        budget_daily=budget.daily_usd if budget else None,
        budget_monthly=budget.monthly_usd if budget else None,
        month_to_date=mtd, forecast_month=forecast, forecast_daily_mean=mean, forecast_days_left=days_left,
        comparison=compare_periods(cur, start, now, days),
        top_sessions=top_sessions(cur, start, now),
        unpriced_models=[u for (u,) in unpriced],
    )
