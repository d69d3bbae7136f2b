"""The event log as the Events screen lists it: newest first, filtered by kind, agent program,
subagent, provider and free text. Plain data, no Textual."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import duckdb
from pydantic import BaseModel

if TYPE_CHECKING:  # imported when events are listed: the dashboard's other screens never load polars
    import polars as pl

LIMIT = 500


class EventFacets(BaseModel):
    """The values each filter can take, most frequent first."""

    kinds: list[str]
    agents: list[str]
    """Agent programs (``code-puppy``, ``claude-code``, ...)."""
    subagents: list[str]
    """Who inside them (a pack member such as ``husky``)."""
    providers: list[str]
    total: int


def event_facets(cur: duckdb.DuckDBPyConnection) -> EventFacets:
    def values(column: str) -> list[str]:
        return [r[0] for r in cur.execute(
            f"SELECT {column} FROM events_v WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1"
        ).fetchall()]

    total = cur.execute("SELECT count(*) FROM events").fetchall()[0][0]
    return EventFacets(kinds=values("kind"), agents=values("agent"), subagents=values("subagent"),
                       providers=values("provider"), total=total)


def event_log(cur: duckdb.DuckDBPyConnection, *, kind: str | None = None, agent: str | None = None,
              subagent: str | None = None, provider: str | None = None, search: str = "",
              limit: int = LIMIT) -> pl.DataFrame:
    """Events newest first: ts, kind, agent, subagent, provider, model, summary (the detail as ``k=v``)."""
    import polars as pl

    frame = cur.sql("""
        SELECT ts, kind, agent, subagent, provider, model, detail::VARCHAR AS detail FROM events_v
        WHERE ($kind IS NULL OR kind = $kind) AND ($agent IS NULL OR agent = $agent)
          AND ($subagent IS NULL OR subagent = $subagent) AND ($provider IS NULL OR provider = $provider)
          AND ($search = '' OR concat_ws(' ', kind, agent, subagent, provider_raw, provider, model, detail::VARCHAR)
                               ILIKE '%' || $search || '%')
        ORDER BY ts DESC, kind LIMIT $limit""",
        params={"kind": kind, "agent": agent, "subagent": subagent, "provider": provider,
                "search": search.strip(), "limit": limit}).pl()
    return frame.with_columns(
        pl.col("detail").map_elements(summary, return_dtype=pl.String).alias("summary")).drop("detail")


def summary(detail: str | None) -> str:
    """``{"from": "CLOSED", "to": "OPEN"}`` -> ``from=CLOSED to=OPEN``; messages on one line."""
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        if value is None or key == "origin":
            continue
        text = " ".join(str(value).split()) if not isinstance(value, dict | list) else json.dumps(value)
        parts.append(f"{key}={text}")
    return " ".join(parts)
