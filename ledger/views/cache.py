"""Cache rates (DESIGN.md): response-cache hit rate = hits ÷ requests; prompt-cache share =
cache_read ÷ (input + cache_read); and what both saved today."""

from __future__ import annotations

import datetime as dt

import duckdb
from pydantic import BaseModel

from .burn import Recent
from .sql import ratio, rows


class CacheStats(BaseModel):
    hit_rate_today: float | None
    hit_rate_60m: float | None
    hit_rate_prev_60m: float | None
    prompt_cache_share_today: float | None
    tokens_saved_today: int
    usd_saved_today: float


def cache_stats(cur: duckdb.DuckDBPyConnection, now: dt.datetime, day_start: dt.datetime,
                last: Recent) -> CacheStats:
    """Today's hit rate and prompt-cache share from the rollup; the last hour's hit rate (and the hour
    before, for the trend) from ``last``. A response-cache hit saved what an average served request
    to that model cost today."""
    (req_d, hit_d, cache_read, inp, prompt_saved, saved_tokens, saved_usd) = rows(cur, """
        WITH today AS (SELECT model, sum(requests) AS requests, sum(cached) AS cached,
                              sum(cache_read_tokens) AS cache_read, sum(input_tokens) AS inp,
                              sum(cache_saved_usd) AS prompt_saved, sum(served) AS served,
                              sum(served_tokens) AS served_tokens, sum(served_cost_usd) AS served_cost
                       FROM usage_hourly WHERE hour >= $start AND hour <= $now GROUP BY 1)
        SELECT coalesce(sum(requests), 0)::BIGINT, coalesce(sum(cached), 0)::BIGINT,
               coalesce(sum(cache_read), 0)::BIGINT, coalesce(sum(inp), 0)::BIGINT,
               coalesce(sum(prompt_saved), 0),
               coalesce(sum(cached * served_tokens / nullif(served, 0)), 0)::BIGINT,
               coalesce(sum(cached * served_cost / nullif(served, 0)), 0)
        FROM today""", {"now": now, "start": day_start})[0]
    return CacheStats(
        hit_rate_today=ratio(hit_d, req_d), hit_rate_60m=ratio(last.hits_60, last.requests[60]),
        hit_rate_prev_60m=ratio(last.hits_prev_60, last.requests_prev_60),
        prompt_cache_share_today=ratio(cache_read, inp + cache_read),
        tokens_saved_today=int(saved_tokens) + int(cache_read),
        usd_saved_today=float(saved_usd) + float(prompt_saved),
    )
