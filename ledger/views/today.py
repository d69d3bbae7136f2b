"""Today's tokens by kind, per model and agent program (``packwatch status --json``): the hourly
rollup's local hours since midnight. Reasoning is part of output, never added on top."""

from __future__ import annotations

import datetime as dt

import duckdb
from pydantic import BaseModel

from .sql import rows


class ModelToday(BaseModel):
    model: str
    provider: str
    agent: str
    requests: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float


class TokensToday(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @classmethod
    def of(cls, models: list[ModelToday]) -> TokensToday:
        return cls(**{k: sum(getattr(m, k) for m in models) for k in cls.model_fields})


def models_today(cur: duckdb.DuckDBPyConnection, now: dt.datetime, day_start: dt.datetime) -> list[ModelToday]:
    found = rows(cur, """
        SELECT model, provider, agent, sum(requests)::BIGINT, sum(input_tokens)::BIGINT, sum(output_tokens)::BIGINT,
            sum(cache_read_tokens)::BIGINT, sum(cache_write_tokens)::BIGINT, sum(reasoning_tokens)::BIGINT,
            sum(cost_usd)
        FROM usage_hourly WHERE hour >= $day AND hour <= $now
        GROUP BY ALL ORDER BY 10 DESC, 4 DESC, 1, 3""", {"now": now, "day": day_start})
    keys = list(ModelToday.model_fields)
    return [ModelToday(**dict(zip(keys, r, strict=True))) for r in found]
