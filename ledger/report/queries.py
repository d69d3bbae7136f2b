"""Queries over the store. Each takes a cursor and returns a polars DataFrame (or plain data).

Costs are summed with ``fsum`` (compensated summation): a plain float sum depends on the order the
parallel scan met the rows in, and a total on a micro-dollar boundary then rounds either way (the
same store gave 17.439737 and 17.439738)."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import polars as pl

DAY_COLUMNS = [
    "date", "requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "cost_usd", "unpriced_requests",
]
MODEL_COLUMNS = [
    "model", "provider", "requests", "errors", "input_tokens", "output_tokens", "reasoning_tokens", "cost_usd",
    "latency_p50_ms", "latency_p95_ms",
]

GROUP_COLUMNS = [
    "requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "reasoning_tokens", "cost_usd", "unpriced_requests",
]
SESSION_COLUMNS = ["session", "agent", *GROUP_COLUMNS, "first_seen", "last_seen"]
GROUP_KEYS = {"provider": ["provider"], "agent": ["agent"], "subagent": ["agent", "subagent"],
              "session": ["session"], "machine": ["machine"], "user": ['"user"']}
_SUMS = """count(*) AS requests, count_if(is_error)::BIGINT AS errors,
    sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
    sum(cache_read_tokens)::BIGINT AS cache_read_tokens, sum(cache_write_tokens)::BIGINT AS cache_write_tokens,
    coalesce(sum(reasoning_tokens), 0)::BIGINT AS reasoning_tokens"""

_RELATIVE = re.compile(r"^(\d+)d$")
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def parse_day(text: str, today: dt.date) -> dt.date:
    """``YYYY-MM-DD``, ``today``, ``yesterday`` or ``Nd`` (N days ago), in 2000-2099 (what a record may
    hold). ValueError otherwise."""
    t = text.strip().lower()
    if t == "today":
        day = today
    elif t == "yesterday":
        day = today - dt.timedelta(days=1)
    elif m := _RELATIVE.match(t):
        days = int(m.group(1))
        if days > (today - FIRST_DAY).days:
            raise ValueError(f"{text!r} reaches before {FIRST_DAY}: packwatch holds no older record")
        day = today - dt.timedelta(days=days)
    else:
        try:
            day = dt.date.fromisoformat(t)
        except ValueError:
            raise ValueError(f"{text!r} is not a day: use YYYY-MM-DD, today, yesterday or 7d") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{text!r} is outside {FIRST_DAY} to {LAST_DAY}, the days a record may have")
    return day


def _range_sql(since: dt.date | None, until: dt.date | None) -> tuple[str, list[object]]:
    """A ts filter for local days [since, until]; the session's TimeZone decides what a day is."""
    clauses, params = [], []
    if since is not None:
        clauses.append("ts >= CAST(? AS DATE)::TIMESTAMPTZ")
        params.append(since)
    if until is not None:
        clauses.append("ts < (CAST(? AS DATE) + 1)::TIMESTAMPTZ")
        params.append(until)
    return (" AND ".join(clauses) or "true"), params


def daily(cur: duckdb.DuckDBPyConnection, since: dt.date | None = None,
          until: dt.date | None = None) -> pl.DataFrame:
    where, params = _range_sql(since, until)
    return cur.sql(
        f"""SELECT ts::DATE AS date, {_SUMS},
                fsum(cost_usd) AS cost_usd, count_if(unpriced)::BIGINT AS unpriced_requests
            FROM usage_v WHERE {where} GROUP BY 1 ORDER BY 1""",
        params=params,
    ).pl()


def by_model(cur: duckdb.DuckDBPyConnection, since: dt.date | None = None,
             until: dt.date | None = None) -> pl.DataFrame:
    where, params = _range_sql(since, until)
    return cur.sql(
        f"""SELECT model, provider, count(*) AS requests, count_if(is_error)::BIGINT AS errors,
                sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
                coalesce(sum(reasoning_tokens), 0)::BIGINT AS reasoning_tokens, fsum(cost_usd) AS cost_usd,
                quantile_cont(latency_ms, 0.5) AS latency_p50_ms,
                quantile_cont(latency_ms, 0.95) AS latency_p95_ms
            FROM usage_v WHERE {where} GROUP BY 1, 2 ORDER BY cost_usd DESC, requests DESC, 1, 2""",
        params=params,
    ).pl()


def grouped(cur: duckdb.DuckDBPyConnection, by: str, since: dt.date | None = None,
            until: dt.date | None = None, limit: int | None = None) -> pl.DataFrame:
    """Totals per provider, agent program, subagent (with its agent) or session (sessions also say
    their agent and first/last request), most expensive first; the first ``limit`` only, when given."""
    if by not in GROUP_KEYS:
        raise ValueError(f"cannot group by {by!r}")
    where, params = _range_sql(since, until)
    keys = ", ".join(GROUP_KEYS[by])
    extra = (", arg_max(agent, ts) AS agent" if by == "session" else "")
    seen = (", min(ts) AS first_seen, max(ts) AS last_seen" if by == "session" else "")
    frame = cur.sql(
        f"""SELECT {keys}{extra}, {_SUMS},
                fsum(cost_usd) AS cost_usd, count_if(unpriced)::BIGINT AS unpriced_requests{seen}
            FROM {'(SELECT *, user_name AS "user" FROM usage_v)' if by == "user" else "usage_v"}
            WHERE {where} GROUP BY ALL
            ORDER BY cost_usd DESC, requests DESC, {keys} NULLS LAST
            {f"LIMIT {int(limit)}" if limit is not None else ""}""",
        params=params,
    ).pl()
    return frame


def by_agent(cur: duckdb.DuckDBPyConnection, since: dt.date | None = None,
             until: dt.date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(totals per agent program, totals per agent and subagent), most expensive first, from one pass
    over the rows (two groupings of the same scan)."""
    where, params = _range_sql(since, until)
    frame = cur.sql(
        f"""SELECT agent, subagent, grouping(subagent) AS whole, {_SUMS},
                fsum(cost_usd) AS cost_usd, count_if(unpriced)::BIGINT AS unpriced_requests
            FROM usage_v WHERE {where} GROUP BY GROUPING SETS ((agent), (agent, subagent))
            ORDER BY cost_usd DESC, requests DESC, agent, subagent NULLS FIRST""",
        params=params,
    ).pl()
    agents = frame.filter(pl.col("whole") == 1).drop("whole", "subagent")
    return agents, frame.filter(pl.col("whole") == 0).drop("whole")


def has_team_columns(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store is a team cache (its usage rows name their machine and user)."""
    return bool(cur.execute("""SELECT count(*) FROM information_schema.columns
        WHERE table_name = 'usage' AND column_name = 'machine'""").fetchall()[0][0])


def rejected_count(cur: duckdb.DuckDBPyConnection) -> int:
    return cur.execute("SELECT count(*) FROM rejected").fetchall()[0][0]


def rejected_lines(cur: duckdb.DuckDBPyConnection, limit: int | None = None) -> pl.DataFrame:
    return cur.sql(
        f"""SELECT s.path AS file, r.line_offset AS "offset", r.line_bytes AS bytes, r.reason,
                   r.excerpt
            FROM rejected r JOIN sources s ON s.id = r.source_id
            ORDER BY s.id, r.line_offset {'LIMIT ' + str(int(limit)) if limit else ''}"""
    ).pl()


def unpriced_models(cur: duckdb.DuckDBPyConnection, since: dt.date | None = None,
                    until: dt.date | None = None) -> pl.DataFrame:
    where, params = _range_sql(since, until)
    return cur.sql(
        f"""SELECT provider, model, count(*) AS requests FROM usage_v WHERE unpriced AND {where}
           GROUP BY 1, 2 ORDER BY requests DESC""",
        params=params,
    ).pl()
