"""Burn rate (DESIGN.md): tokens per minute and USD per hour over trailing 5, 15 and 60 minutes;
daily use against each provider's daily token limit, and when the last hour's rate exhausts it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
from pydantic import BaseModel, Field

from ..settings import Settings
from .sql import Priced, priced_source, rows

WINDOWS = (5, 15, 60)
SERIES_HOURS = 6
SERIES_BUCKET_MIN = 10


class Window(BaseModel):
    """Burn over one trailing window."""

    minutes: int
    tokens_per_min: float
    usd_per_hour: float
    requests: int


class ProviderBurn(BaseModel):
    provider: str
    tokens_today: int
    cost_today: float
    daily_limit: int | None = None
    """Tokens per day the provider allows, when known (settings/controls)."""
    usage_percent: float | None = None
    projected_exhaustion: dt.datetime | None = None
    """When today's trailing-60-minute rate reaches the limit; None = not today."""
    tokens_per_min_60: float = 0.0


class BurnRate(BaseModel):
    windows: list[Window]
    """5, 15 and 60 minutes."""
    providers: list[ProviderBurn]
    series: list[tuple[dt.datetime, int]] = Field(default_factory=list)
    """Tokens per 10-minute bucket over the last hours, for the chart (local time)."""


@dataclass
class Recent:
    """The last two hours in one pass over the priced rows: every trailing window the panes need.

    Each query has a fixed cost (planning the priced view is about 2 ms), so the windows are
    FILTER clauses of one query rather than one query each.
    """

    tokens: dict[int, int]  # window minutes -> tokens
    cost: dict[int, float]
    requests: dict[int, int]
    errors_60: int
    hits_60: int
    requests_prev_60: int
    hits_prev_60: int
    tokens_60_by_provider: dict[str, int]


def recent(cur: duckdb.DuckDBPyConnection, now: dt.datetime, source: Priced | None = None) -> Recent:
    windows = ", ".join(
        f"coalesce(sum(tokens) FILTER (ts > $now - INTERVAL {m} MINUTE), 0)::BIGINT, "
        f"coalesce(sum(cost_usd) FILTER (ts > $now - INTERVAL {m} MINUTE), 0), "
        f"count(*) FILTER (ts > $now - INTERVAL {m} MINUTE)" for m in WINDOWS)
    table = (source or priced_source(cur)).rows_from(now - dt.timedelta(minutes=120))
    found = rows(cur, f"""
        SELECT provider, {windows},
            count_if(is_error AND ts > $now - INTERVAL 60 MINUTE),
            count_if(cached AND ts > $now - INTERVAL 60 MINUTE),
            count(*) FILTER (ts <= $now - INTERVAL 60 MINUTE),
            count_if(cached AND ts <= $now - INTERVAL 60 MINUTE)
        FROM {table} WHERE ts > $now - INTERVAL 120 MINUTE AND ts <= $now
        GROUP BY provider ORDER BY provider""", {"now": now})
    n = len(WINDOWS)
    # Every provider's sums added up here, not a grouping set (which costs DuckDB more than the sums).
    total = [sum(r[i] or 0 for r in found) for i in range(1, 3 * n + 5)]
    return Recent(
        tokens={m: int(total[3 * i]) for i, m in enumerate(WINDOWS)},
        cost={m: float(total[3 * i + 1]) for i, m in enumerate(WINDOWS)},
        requests={m: int(total[3 * i + 2]) for i, m in enumerate(WINDOWS)},
        errors_60=int(total[3 * n]), hits_60=int(total[3 * n + 1]),
        requests_prev_60=int(total[3 * n + 2]), hits_prev_60=int(total[3 * n + 3]),
        tokens_60_by_provider={r[0]: int(r[3 * (n - 1) + 1]) for r in found},
    )


@dataclass
class Totals:
    """One provider's (or, keyed None, every provider's) day and month from the hourly rollup."""

    tokens_today: int = 0
    cost_today: float = 0.0
    cost_month: float = 0.0
    requests_today: int = 0
    errors_today: int = 0
    unpriced_today: int = 0


def month_totals(cur: duckdb.DuckDBPyConnection, now: dt.datetime, day_start: dt.datetime,
                 ) -> dict[str | None, Totals]:
    """Today and this month per provider and in all (key None), in one pass over the rollup."""
    today = "FILTER (hour >= $day)"
    found = rows(cur, f"""
        SELECT provider, coalesce(sum(tokens) {today}, 0)::BIGINT, coalesce(sum(cost_usd) {today}, 0),
            coalesce(sum(cost_usd), 0), coalesce(sum(requests) {today}, 0)::BIGINT,
            coalesce(sum(errors) {today}, 0)::BIGINT, coalesce(sum(unpriced) {today}, 0)::BIGINT
        FROM usage_hourly WHERE hour >= $month AND hour <= $now
        GROUP BY provider ORDER BY provider""",
        {"now": now, "day": day_start, "month": day_start.replace(day=1)})
    totals: dict[str | None, Totals] = {row[0]: Totals(*row[1:]) for row in found}
    # Every provider's added up here: a grouping set costs DuckDB more than the sums.
    totals[None] = Totals(*(sum((row[i] for row in found), 0.0 if i in (2, 3) else 0) for i in range(1, 7)))
    return totals


def burn_rate(settings: Settings, now: dt.datetime, day_start: dt.datetime, last: Recent,
              totals: dict[str | None, Totals], series: list[tuple[dt.datetime, int]]) -> BurnRate:
    """Tokens/min and USD/hour over trailing windows; today's use against daily limits."""
    windows = [Window(minutes=m, tokens_per_min=last.tokens[m] / m, usd_per_hour=last.cost[m] * 60 / m,
                      requests=last.requests[m]) for m in WINDOWS]
    today = {p: t for p, t in totals.items() if p is not None and t.requests_today}
    providers = []
    midnight = day_start + dt.timedelta(days=1)
    for provider in sorted(today.keys() | last.tokens_60_by_provider.keys(),
                           key=lambda p: (-today.get(p, Totals()).tokens_today, p)):
        tokens, cost = today.get(provider, Totals()).tokens_today, today.get(provider, Totals()).cost_today
        last60 = last.tokens_60_by_provider.get(provider, 0)
        limit = settings.daily_token_limits.get(provider)
        burn = ProviderBurn(provider=provider, tokens_today=tokens, cost_today=cost,
                            daily_limit=limit, tokens_per_min_60=last60 / 60)
        if limit:
            burn.usage_percent = 100 * tokens / limit
            burn.projected_exhaustion = projected_exhaustion(tokens, limit, last60 / 60, now, midnight)
        providers.append(burn)
    return BurnRate(windows=windows, providers=providers, series=series)


def burn_series(cur: duckdb.DuckDBPyConnection, now: dt.datetime,
                source: Priced | None = None) -> list[tuple[dt.datetime, int]]:
    """Tokens per bucket over the last hours, for the burn chart."""
    start = now - dt.timedelta(hours=SERIES_HOURS)
    table = (source or priced_source(cur)).rows_from(start)
    found = rows(cur, f"""
        SELECT epoch(time_bucket(INTERVAL {SERIES_BUCKET_MIN} MINUTE, ts)), sum(tokens)::BIGINT
        FROM {table} WHERE ts > $start AND ts <= $now GROUP BY 1 ORDER BY 1""",
        {"now": now, "start": start})
    return [(dt.datetime.fromtimestamp(b, now.tzinfo), int(t)) for b, t in found]


def projected_exhaustion(tokens_today: int, limit: int, per_min: float, now: dt.datetime,
                         midnight: dt.datetime) -> dt.datetime | None:
    """When the trailing-60-minute rate reaches the daily limit; None when not today."""
    if tokens_today >= limit:
        return now
    if per_min <= 0:
        return None
    at = now + dt.timedelta(minutes=(limit - tokens_today) / per_min)
    return at if at < midnight else None
