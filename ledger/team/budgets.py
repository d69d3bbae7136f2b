"""Budgets the team shares, kept in the team database with who changed what and when; the latest change
per scope (``all`` or a provider) is in force. Each machine honours them through its own control channel:
``apply_team_budgets`` writes a team budget into ``control.json`` (a change by ``team: <who>``, in
``controls.jsonl`` like any other) when the machine's controls differ from it, so every agent's plugin
and hook enforces it as it enforces a budget set on that machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from ..control.channel import ControlChannel
from ..control.model import ControlChange
from .connect import connect
from .schema import SCHEMA

LIMITS = ("daily_usd", "monthly_usd", "daily_tokens")


@dataclass(frozen=True)
class TeamBudget:
    scope: str
    daily_usd: float | None
    monthly_usd: float | None
    daily_tokens: int | None
    cleared: bool
    who: str
    changed_at: str

    def limits(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in LIMITS if getattr(self, k) is not None}


def set_team_budget(url: str, scope: str, *, who: str, clear: bool = False, **limits: float | int | None) -> TeamBudget:
    """Record a change of ``scope``'s team budget (the limits not given keep their team value)."""
    scope = scope.strip().lower() or "all"
    con = connect(url)
    try:
        with con.transaction():
            current = {b.scope: b for b in _latest(con)}.get(scope)
            merged = {} if clear or current is None or current.cleared else current.limits()
            merged.update({k: v for k, v in limits.items() if v is not None})
            con.execute(f"""INSERT INTO {SCHEMA}.budgets (scope, daily_usd, monthly_usd, daily_tokens, cleared, who)
                            VALUES (%s, %s, %s, %s, %s, %s)""",
                        [scope, *(merged.get(k) for k in LIMITS), clear, who])
        return {b.scope: b for b in _latest(con)}[scope]
    finally:
        con.close()


def team_budgets(url: str) -> list[TeamBudget]:
    con = connect(url)
    try:
        return _latest(con)
    finally:
        con.close()


def _latest(con: psycopg.Connection) -> list[TeamBudget]:
    rows = con.execute(f"""SELECT DISTINCT ON (scope) scope, daily_usd, monthly_usd, daily_tokens, cleared, who,
                               to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                           FROM {SCHEMA}.budgets ORDER BY scope, seq DESC""").fetchall()
    return [TeamBudget(*r) for r in rows]


def apply_team_budgets(budgets: list[TeamBudget], control_dir: Path) -> list[ControlChange]:
    """Lay the team's budgets into this machine's controls where they differ; the changes made."""
    changes = []
    for b in budgets:
        channel = ControlChannel(control_dir, who=f"team: {b.who} at {b.changed_at}")
        current = channel.read().controls.budgets.get(b.scope)
        have = {k: getattr(current, k) for k in LIMITS if current is not None and getattr(current, k) is not None}
        if b.cleared or not b.limits():
            if have:
                changes.append(channel.set_budget(b.scope, clear=True))
        elif have != b.limits():
            if have:
                channel.set_budget(b.scope, clear=True)  # limits the team lifted go too
            changes.append(channel.set_budget(b.scope, **b.limits()))
    return changes
