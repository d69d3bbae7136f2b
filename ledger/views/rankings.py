"""Model ranking (DESIGN.md): speed (p50 latency, output tokens/s), efficiency (USD per 1k output
tokens), reliability (success rate) and a balanced score (cost .3, speed .3, reliability .2,
capability .2)."""

from __future__ import annotations

import datetime as dt

import duckdb
from pydantic import BaseModel

from .sql import Priced, priced_source, rows

WEIGHTS = {"cost": 0.3, "speed": 0.3, "reliability": 0.2, "capability": 0.2}


class ModelRank(BaseModel):
    model: str
    provider: str
    requests: int
    success_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    output_tokens_per_s: float | None
    usd_per_1k_output: float | None
    score: float
    """Balanced score 0..1 (cost .3, speed .3, reliability .2, capability .2)."""
    latency_p95_60m_ms: float | None = None  # the last hour's, against the day's: the trend
    requests_60m: int = 0


def rankings(cur: duckdb.DuckDBPyConnection, now: dt.datetime, hours: int = 24,
             source: Priced | None = None) -> list[ModelRank]:
    """Per model over the last ``hours``: speed, efficiency, reliability and a balanced score."""
    # Output tokens/s is output over the time spent producing it (a ratio of sums: a median of
    # per-request ratios would need a second sort of the whole day). The last hour's p95 rides
    # along for the latency recommendation, which sets it against the day's.
    table = (source or priced_source(cur)).rows_from(now - dt.timedelta(hours=hours))
    speed = rows(cur, f"""
        SELECT model, any_value(provider), count(*), 1 - count_if(is_error) / count(*),
            quantile_cont(latency_ms, [0.5, 0.95]) FILTER (NOT is_error),
            sum(output_tokens) FILTER (NOT is_error AND latency_ms > 0) * 1000.0
                / nullif(sum(latency_ms) FILTER (NOT is_error AND output_tokens > 0), 0),
            quantile_cont(latency_ms, 0.95) FILTER (NOT is_error AND ts > $now - INTERVAL 60 MINUTE),
            count(latency_ms) FILTER (NOT is_error AND ts > $now - INTERVAL 60 MINUTE)
        FROM {table} WHERE ts > $now - to_hours($hours) AND ts <= $now AND NOT coalesce(cached, false)
        GROUP BY 1""", {"now": now, "hours": hours})
    # Cost from the hourly rollup: pricing every raw row of a day would dominate the refresh.
    usd1k = dict(rows(cur, """
        SELECT model, CASE WHEN sum(unpriced) = sum(requests) OR sum(output_tokens) = 0 THEN NULL
                           ELSE sum(cost_usd) * 1000.0 / sum(output_tokens) END
        FROM usage_hourly WHERE hour > $now - to_hours($hours) AND hour <= $now GROUP BY 1""",
        {"now": now, "hours": hours}))
    measured = [ModelRank(model=m, provider=p, requests=n, success_rate=ok, latency_p50_ms=(q or [None, None])[0],
                          latency_p95_ms=(q or [None, None])[1], output_tokens_per_s=tps,
                          usd_per_1k_output=usd1k.get(m), score=0.0, latency_p95_60m_ms=p95_60, requests_60m=n_60)
                for m, p, n, ok, q, tps, p95_60, n_60 in speed]
    return scored(measured)


def scored(ranks: list[ModelRank]) -> list[ModelRank]:
    """``ranks`` with their balanced score, best first. Cost and speed score against the cheapest and
    the fastest model seen; capability has no offline benchmark, so its proxy is the model's output
    price relative to the priciest model seen (providers charge more for their more capable models).
    A model missing a measure scores 0.5 on it."""
    costs = [r.usd_per_1k_output for r in ranks if r.usd_per_1k_output]
    p50s = [r.latency_p50_ms for r in ranks if r.latency_p50_ms]
    cheapest, priciest, fastest = min(costs, default=None), max(costs, default=None), min(p50s, default=None)
    out = []
    for r in ranks:
        usd1k, p50 = r.usd_per_1k_output, r.latency_p50_ms
        cost_s = cheapest / usd1k if usd1k and cheapest else 0.5
        speed_s = fastest / p50 if p50 and fastest else 0.5
        capability = usd1k / priciest if usd1k and priciest else 0.5
        score = (WEIGHTS["cost"] * cost_s + WEIGHTS["speed"] * speed_s
                 + WEIGHTS["reliability"] * r.success_rate + WEIGHTS["capability"] * capability)
        out.append(r.model_copy(update={"score": round(score, 4)}))
    return sorted(out, key=lambda r: (-r.score, r.model))
