"""The agent scope: which agent programs' rows a view, a screen, ``status`` or ``report`` counts.

One value, made once from the dashboard's ``a`` key or the ``--agent`` flags, passed to everything
that reads the store. Applied to a cursor, temporary views on that cursor alone shadow ``usage``,
``usage_hourly``, ``usage_recent``, ``events`` and ``quota_snapshots``; the views over them (``usage_v``,
``usage_lite``,
``events_v``) read them by name, so they follow, and no query needs an agent clause of its own. Every
row of those tables names its agent program in ``agent`` (DESIGN.md "Agents and subagents"); who inside
the program made it is ``subagent``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

LEDGER_AGENT = "code-puppy"
"""Rows read from a usage ledger are this agent's (DESIGN.md: ``code-puppy`` for the ledgers)."""

KNOWN_AGENTS = ("code-puppy", "claude-code", "codex", "gemini-cli", "opencode", "qwen-code", "copilot-cli")
"""Agent programs. An event line names its program in ``agent`` when it is one of these; otherwise its
``agent`` is a subagent (a pack member) of the program beside whose ledger the event log sits: Code
Puppy (the store splits the two when it reads the line)."""

SCOPED_TABLES = ("usage", "usage_hourly", "usage_recent", "events", "quota_snapshots")

HOURLY_SELECT = """SELECT date_trunc('hour', ts) AS hour, provider, model, workload, agent, count(*) AS requests,
                count_if(is_error) AS errors, count_if(coalesce(cached, false)) AS cached,
                count_if(unpriced) AS unpriced, sum(input_tokens) AS input_tokens,
                sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,
                sum(cache_write_tokens) AS cache_write_tokens, coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
                sum(tokens) AS tokens, sum(cost_usd) AS cost_usd, sum(cache_saved_usd) AS cache_saved_usd,
                count(*) FILTER (NOT coalesce(cached, false) AND NOT is_error) AS served,
                coalesce(sum(tokens) FILTER (NOT coalesce(cached, false) AND NOT is_error), 0) AS served_tokens,
                coalesce(sum(cost_usd) FILTER (NOT coalesce(cached, false) AND NOT is_error), 0) AS served_cost_usd
            FROM usage_v"""
"""``usage_hourly``'s rows from ``usage_v`` (its rollup, and its stand-in under a machine or user filter)."""
RECENT_COLUMNS = ("ts, provider, model, agent, subagent, session, workload, latency_ms, cached, error, status, "
                  "is_error, tokens, cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens")
RECENT_SELECT = f"SELECT {RECENT_COLUMNS} FROM usage_v"
"""``usage_recent``'s rows (the last day's priced rows, ``ledger.store.rollup``) from ``usage_v``: its refresh,
and its stand-in under a machine or user filter."""
TEAM_TABLES = ("usage", "events", "quota_snapshots")
"""The tables whose rows name their ``machine`` and ``user_name`` in a team cache (``ledger.team.pull``)."""


@dataclass(frozen=True)
class AgentScope:
    agents: tuple[str, ...] = ()
    """The agent programs counted; empty: every agent."""
    machines: tuple[str, ...] = ()
    """On a team cache: only these machines' rows (empty: every machine)."""
    users: tuple[str, ...] = ()
    """On a team cache: only these users' rows."""

    @classmethod
    def of(cls, agents: list[str] | tuple[str, ...] | str | None) -> AgentScope:
        if agents is None:
            return cls()
        if isinstance(agents, str):
            agents = (agents,)
        return cls(tuple(dict.fromkeys(a.strip() for a in agents if a and a.strip())))

    @property
    def everything(self) -> bool:
        return not (self.agents or self.machines or self.users)

    def label(self) -> str | None:
        """What the header shows (None: every agent)."""
        return ", ".join((*self.agents, *self.machines, *self.users)) or None

    @contextmanager
    def applied(self, cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """``cur`` seeing only this scope's rows while inside."""
        if self.everything:
            yield cur
            return
        (db,) = cur.execute("SELECT current_database()").fetchall()[0]
        for name in SCOPED_TABLES:
            if name in ("usage_hourly", "usage_recent") and (self.machines or self.users):
                continue  # made from the scoped usage below: the rollups hold no machine or user
            where = self._where(name)
            cur.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{db}".main.{name} WHERE {where}""")
        if self.machines or self.users:
            cur.execute(f"CREATE OR REPLACE TEMP VIEW usage_hourly AS {HOURLY_SELECT} GROUP BY ALL")
            cur.execute(f"CREATE OR REPLACE TEMP VIEW usage_recent AS {RECENT_SELECT}")
        try:
            yield cur
        finally:
            for name in SCOPED_TABLES:
                cur.execute(f"DROP VIEW IF EXISTS temp.main.{name}")

    def _where(self, table: str) -> str:
        def among(column: str, names: tuple[str, ...]) -> str:
            return f"{column} IN (" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + ")"

        clauses = [among("agent", self.agents)] if self.agents else []
        if table in TEAM_TABLES:
            clauses += [among("machine", self.machines)] if self.machines else []
            clauses += [among("user_name", self.users)] if self.users else []
        return " AND ".join(clauses) or "true"


EVERY_AGENT = AgentScope()
