"""What an agent itself counted for a whole session, and the calls only that count holds.

Claude Code ends every process with a ``cost-state`` line: the session's cumulative usage per model,
across resumed processes, subagents included, and also the calls it never logs as a response (the
summary requests of a compaction, title generation). So where a session has such lines, its totals
must equal the latest one's, and what the logged responses do not explain is *unlogged* usage.

``reconcile`` works it out per session and model, in SQL, after every pass that touched the session:
for the k-th total line (at the last time its file showed before it), with L_k the logged responses
up to then, the unexplained part is U_k = max(0, total_k − L_k) per token kind, and the row for that
line holds U_k − U_(k−1): what the process that wrote it used without logging it. The rows are
``kind = 'unlogged'``, made again from scratch each time (a subagent file read later shrinks them),
and their cost is the agent's own figure for them (its cost − the cost of the logged responses), so
a session costs what the agent says it cost. Sessions without such lines are untouched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .connection import Connection, first
from .frames import as_frame

UNLOGGED = "unlogged"
"""``usage.kind`` of the rows ``reconcile`` makes."""

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
          "reasoning_tokens")


@dataclass(slots=True)
class SessionTotal:
    """One model's cumulative usage in one of the agent's own session-total lines."""

    source_id: int
    line_offset: int
    session: str
    ts: str
    """The last time the file showed before the line (the line itself has none)."""
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None


_SCHEMA = {"source_id": "Int32", "line_offset": "UInt64", "session": "String", "ts": "String",
           "model": "String", **{t: "Int64" for t in TOKENS}, "cost_usd": "Float64"}


def add(store: Connection, agent: str, totals: list[SessionTotal]) -> None:
    """Keep ``totals`` (inside the caller's transaction); a line read again replaces its old rows."""
    if not totals:
        return
    frame = as_frame({k: [getattr(t, k) for t in totals] for k in _SCHEMA}, _SCHEMA)
    con = store.con
    con.register("pw_totals", frame)
    try:
        con.execute("""DELETE FROM agent_totals WHERE agent = ? AND (source_id, line_offset) IN
                       (SELECT (source_id, line_offset) FROM pw_totals)""", [agent])
        columns = ", ".join(TOKENS)
        con.execute(f"""INSERT INTO agent_totals (agent, session, source_id, line_offset, ts, model, {columns},
                            cost_usd)
                        SELECT ?, session, source_id, line_offset, ts::TIMESTAMPTZ, model, {columns}, cost_usd
                        FROM pw_totals""", [agent])
    finally:
        con.unregister("pw_totals")


def _unlogged_sql(agent: str) -> str:
    sums = ", ".join(f"coalesce(sum(u.{t}), 0) AS l_{t}" for t in TOKENS)
    gaps = ", ".join(f"greatest(t.{t} - l_{t}, 0) AS g_{t}" for t in TOKENS)
    steps = ", ".join(f"greatest(g_{t} - coalesce(lag(g_{t}) OVER w, 0), 0)::BIGINT AS {t}" for t in TOKENS)
    return f"""
        WITH t AS (
            SELECT * FROM agent_totals WHERE agent = '{agent}' AND session IN (SELECT session FROM pw_sessions)
        ), logged AS (
            SELECT t.session, t.model, t.source_id, t.line_offset, {sums},
                   coalesce(sum(u.cost_usd), 0) AS l_cost, any_value(u.project) AS project
            FROM t LEFT JOIN usage_v u
                ON u.agent = '{agent}' AND u.session = t.session AND u.model = t.model AND u.ts <= t.ts
                AND coalesce(u.kind, '') <> '{UNLOGGED}'
            GROUP BY ALL
        ), gaps AS (
            SELECT t.session, t.model, t.ts, t.source_id, t.line_offset, logged.project, {gaps},
                   greatest(t.cost_usd - l_cost, 0) AS g_cost  -- NULL: the agent did not know the price
            FROM t JOIN logged USING (session, model, source_id, line_offset)
        )
        SELECT session, model, ts, source_id, project, {steps},
               greatest(g_cost - coalesce(lag(g_cost) OVER w, 0), 0) AS cost
        FROM gaps WINDOW w AS (PARTITION BY session, model ORDER BY ts, source_id, line_offset)"""


def reconcile(store: Connection, agent: str, sessions: set[str], provider_raw: str | None) -> dt.datetime | None:
    """Make the sessions' unlogged rows again; the earliest time a changed row holds (for the
    rollup), or None when they came out as they were (most passes over a live session: its new
    responses come after its last totals, and change nothing here)."""
    if not sessions:
        return None
    con = store.con
    columns = ", ".join(TOKENS)
    stored = f"""SELECT source_id, ts, model, session, {columns}, cost_usd_given AS cost FROM usage
                 WHERE agent = '{agent}' AND kind = '{UNLOGGED}' AND session IN (SELECT session FROM pw_sessions)"""
    con.register("pw_sessions", as_frame({"session": sorted(sessions)}, {"session": "String"}))
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_unlogged AS
            SELECT source_id, ts, model, session, project, {columns}, cost FROM ({_unlogged_sql(agent)})
            WHERE input_tokens + output_tokens + cache_read_tokens + cache_write_tokens > 0""")
        made = f"SELECT source_id, ts, model, session, {columns}, cost FROM pw_unlogged"
        changed = first(con.execute(
            f"SELECT min(ts) FROM (({stored} EXCEPT {made}) UNION ALL ({made} EXCEPT {stored}))"))[0]
        if changed is None:
            return None
        with store.transaction():
            con.execute(f"DELETE FROM usage WHERE agent = ? AND kind = '{UNLOGGED}' "
                        "AND session IN (SELECT session FROM pw_sessions)", [agent])
            con.execute(
                f"""INSERT INTO usage (source_id, ts, provider_raw, model, session, project, kind, agent, {columns},
                        cost_usd_given)
                    SELECT source_id, ts, ?, model, session, project, '{UNLOGGED}', '{agent}', {columns}, cost
                    FROM pw_unlogged""", [provider_raw])
        return changed
    finally:
        con.unregister("pw_sessions")
        con.execute("DROP TABLE IF EXISTS pw_unlogged")


def sessions_with_totals(store: Connection, agent: str, sessions: set[str]) -> set[str]:
    """Those of ``sessions`` the agent wrote totals for (only they can have unlogged rows)."""
    if not sessions:
        return set()
    con = store.con
    con.register("pw_sessions", as_frame({"session": sorted(sessions)}, {"session": "String"}))
    try:
        rows = con.execute("""SELECT DISTINCT session FROM agent_totals
                              WHERE agent = ? AND session IN (SELECT session FROM pw_sessions)""", [agent]).fetchall()
    finally:
        con.unregister("pw_sessions")
    return {r[0] for r in rows}
