"""The short budgets (seed 003's cost tracker): USD per rolling 60 minutes, and USD and tokens per task,
a task being a session or run id. Daily and monthly use is ``budgets.py``; both reach the same alert
levels (50/75/90/100 % by default).

Per scope (``all`` or a provider) the hourly line is the last 60 minutes' spend; the task lines name
the task nearest its limit among the tasks seen in the last day (``status --json`` and the Spend pane
show which).
"""

from __future__ import annotations

import datetime as dt

import duckdb
from pydantic import BaseModel, Field

from ..settings import Settings
from .budgets import AlertLevel, alert_level
from .sql import Priced, priced_source, rows

TASK_HOURS = 24
"""A task is measured by its rows of the last 24 hours (a task is a session or a run: far shorter)."""
TASKS_KEPT = 50
"""Tasks listed in the summary the hooks read (the most recent first)."""
LimitKind = str  # "hourly_usd" | "task_usd" | "task_tokens"


class TaskSpend(BaseModel):
    """One task's spend so far (this month's rows of it), per priced provider too."""

    task: str
    agent: str
    cost_usd: float
    tokens: int
    last_seen: dt.datetime
    providers: dict[str, tuple[float, int]] = Field(default_factory=dict)
    """Provider -> (USD, tokens)."""


class LimitLine(BaseModel):
    scope: str
    kind: LimitKind
    limit: float
    amount: float
    percent: float
    level: AlertLevel
    task: str | None = None
    """For a task limit: the task nearest it."""
    agent: str | None = None


class ShortSpend(BaseModel):
    """What the short budgets measure: the last hour per provider, and the recent tasks."""

    hour: dict[str, float] = Field(default_factory=dict)
    """Provider -> USD over the last 60 minutes."""
    tasks: list[TaskSpend] = Field(default_factory=list)

    def hour_of(self, scope: str) -> float:
        return sum(self.hour.values()) if scope == "all" else self.hour.get(scope, 0.0)


def has_short_limits(settings: Settings) -> bool:
    """Whether any hourly or task limit is in force (else the overview skips measuring them)."""
    return any(b.hourly_usd is not None or b.task_usd is not None or b.task_tokens is not None
               for b in settings.budgets.values())


def short_spend(cur: duckdb.DuckDBPyConnection, now: dt.datetime, source: Priced | None = None) -> ShortSpend:
    """One pass over the last day's priced rows: the hour per provider, and each task's spend."""
    table = (source or priced_source(cur)).rows_from(now - dt.timedelta(hours=TASK_HOURS))
    found = rows(cur, f"""
        SELECT session, provider, arg_max(agent, ts), sum(cost_usd), sum(tokens)::BIGINT, max(ts),
               coalesce(sum(cost_usd) FILTER (ts > $now - INTERVAL 60 MINUTE), 0)
        FROM {table} WHERE ts > $now - INTERVAL {TASK_HOURS} HOUR AND ts <= $now
        GROUP BY session, provider""", {"now": now})
    hour: dict[str, float] = {}
    tasks: dict[str, TaskSpend] = {}
    for session, provider, agent, cost, tokens, last, in_hour in found:
        if in_hour:
            hour[provider] = hour.get(provider, 0.0) + float(in_hour)
        if session is None:
            continue
        task = tasks.get(session)
        if task is None:
            task = tasks[session] = TaskSpend(task=session, agent=agent, cost_usd=0.0, tokens=0, last_seen=last)
        task.providers[provider] = (float(cost), int(tokens))
        task.cost_usd += float(cost)
        task.tokens += int(tokens)
        if last > task.last_seen:
            task.last_seen, task.agent = last, agent
    recent = sorted(tasks.values(), key=lambda t: t.last_seen, reverse=True)[:TASKS_KEPT]
    return ShortSpend(hour=hour, tasks=recent)


def limit_lines(settings: Settings, spent: ShortSpend) -> list[LimitLine]:
    """One line per short limit in force: the hour's, and per task limit the task nearest it."""
    lines = []
    for scope, budget in sorted(settings.budgets.items()):
        if budget.hourly_usd is not None:
            lines.append(_line(settings, scope, "hourly_usd", budget.hourly_usd, spent.hour_of(scope)))
        for kind, limit in (("task_usd", budget.task_usd), ("task_tokens", budget.task_tokens)):
            if limit is None:
                continue
            index = 0 if kind == "task_usd" else 1
            measured = [(sum(v[index] for v in t.providers.values()) if scope == "all"
                         else t.providers.get(scope, (0.0, 0))[index], t) for t in spent.tasks]
            if not measured:
                continue
            amount, task = max(measured, key=lambda m: (m[0], m[1].last_seen))
            lines.append(_line(settings, scope, kind, limit, amount, task))
    return lines


def _line(settings: Settings, scope: str, kind: str, limit: float, amount: float,
          task: TaskSpend | None = None) -> LimitLine:
    percent = 100.0 * amount / limit if limit else 100.0
    return LimitLine(scope=scope, kind=kind, limit=limit, amount=amount, percent=percent,
                     level=alert_level(percent, settings.alert_levels),
                     task=task.task if task else None, agent=task.agent if task else None)


def describe(line: LimitLine) -> str:
    """``all $3.10 of $10.00 in the last hour`` / ``all 80,000 of 100,000 tokens in task s-1``."""
    if line.kind == "task_tokens":
        return f"{line.scope} {int(line.amount):,} of {int(line.limit):,} tokens in task {line.task}"
    where = "in the last hour" if line.kind == "hourly_usd" else f"in task {line.task}"
    return f"{line.scope} ${line.amount:,.2f} of ${line.limit:,.2f} {where}"
