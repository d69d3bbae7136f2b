"""The agent scope: which agent programs' rows a view, a screen, ``status`` or ``report`` counts.

One value, made once from the dashboard's ``a`` key or the ``--agent`` flags, passed to everything
that reads the store. Applied to a cursor, temporary views on that cursor alone shadow ``usage``,
``usage_hourly``, ``events`` and ``quota_snapshots``; the views over them (``usage_v``, ``usage_lite``,
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

SCOPED_TABLES = ("usage", "usage_hourly", "events", "quota_snapshots")


@dataclass(frozen=True)
class AgentScope:
    agents: tuple[str, ...] = ()
    """The agent programs counted; empty: every agent."""

    @classmethod
    def of(cls, agents: list[str] | tuple[str, ...] | str | None) -> AgentScope:
        if agents is None:
            return cls()
        if isinstance(agents, str):
            agents = (agents,)
        return cls(tuple(dict.fromkeys(a.strip() for a in agents if a and a.strip())))

    @property
    def everything(self) -> bool:
        return not self.agents

    def label(self) -> str | None:
        """What the header shows (None: every agent)."""
        return ", ".join(self.agents) if self.agents else None

    @contextmanager
    def applied(self, cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """``cur`` seeing only this scope's rows while inside."""
        if self.everything:
            yield cur
            return
        (db,) = cur.execute("SELECT current_database()").fetchall()[0]
        names = ", ".join("'" + a.replace("'", "''") + "'" for a in self.agents)
        for name in SCOPED_TABLES:
            cur.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{db}".main.{name}
                            WHERE agent IN ({names})""")
        try:
            yield cur
        finally:
            for name in SCOPED_TABLES:
                cur.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


EVERY_AGENT = AgentScope()
