"""The agent scope: which agent programs' rows a view, a screen, ``status`` or ``report`` counts.

One value, made once from the dashboard's ``a`` key or the ``--agent`` flags, passed to everything
that reads the store. Applied to a cursor, temporary views on that cursor alone shadow ``usage``
``usage_hourly`` and ``events``; the views over them (``usage_v``, ``usage_lite``, ``events_v``) read
them by name, so they follow, and no query needs an agent clause of its own; ``quota_snapshots`` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

LEDGER_AGENT = "code-puppy"
"""Rows read from a usage ledger are this agent's (DESIGN.md: ``code-puppy`` for the ledgers)."""

KNOWN_AGENTS = ("code-puppy", "claude-code", "codex", "gemini-cli", "opencode", "qwen-code", "copilot-cli")
"""Agent programs. An event names its program in ``agent`` when it is one of these; otherwise ``agent``
is a subagent (a pack member) of the program beside whose ledger the event log sits: Code Puppy."""

_PROGRAM = {
    "usage": f"coalesce(source_agent, '{LEDGER_AGENT}')",
    "usage_hourly": f"coalesce(source_agent, '{LEDGER_AGENT}')",
    "events": f"CASE WHEN agent IN ({', '.join(repr(a) for a in KNOWN_AGENTS)}) THEN agent ELSE '{LEDGER_AGENT}' END",
    "quota_snapshots": "agent",
}


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
        for name, program in _PROGRAM.items():
            cur.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{db}".main.{name}
                            WHERE {program} IN ({names})""")
        try:
            yield cur
        finally:
            for name in _PROGRAM:
                cur.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


EVERY_AGENT = AgentScope()
