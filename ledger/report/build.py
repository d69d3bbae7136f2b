"""Building the report: its queries run once, in steps a progress bar can follow and a cancel can
stop, into one typed ``Report`` that every format renders (the CLI's ``report`` and the dashboard's
export modal share every step, so a report says the same thing wherever it was made)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import duckdb

from ..pricing import genai_prices_version
from ..scope import EVERY_AGENT, AgentScope
from ..settings import Settings
from ..views.quota import blocks
from . import GROUPINGS, TEAM_GROUPINGS, queries
from .model import (
    AgentRow,
    BlockRow,
    BudgetUsed,
    Counts,
    DayRow,
    MachineRow,
    ModelRow,
    PricesUsed,
    ProviderRow,
    Report,
    SessionRow,
    SubagentRow,
    UnpricedModel,
    UserRow,
    cost,
)

TOP_SESSIONS = 10

Progress = Callable[[int, int, str], None]
"""(steps done, steps in all, what is happening now)."""


class ReportCancelled(Exception):
    """The user cancelled; nothing was written."""


def _rows(frame, dates: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for row in frame.to_dicts():
        if "cost_usd" in row:
            row["cost_usd"] = cost(row["cost_usd"])
        for key in dates:
            if row.get(key) is not None:
                row[key] = row[key].isoformat()
        rows.append(row)
    return rows


def prices_used(settings: Settings) -> PricesUsed:
    return PricesUsed(
        genai_prices_version=genai_prices_version(),
        overrides={k: v.model_dump(exclude_none=True) for k, v in sorted(settings.prices.items())},
        model_aliases=dict(sorted(settings.model_aliases.items())),
        provider_aliases=dict(sorted(settings.provider_aliases.items())),
    )


def _agents(frames) -> tuple[list[AgentRow], list[SubagentRow]]:
    agents, subagents = frames
    return [AgentRow(**r) for r in _rows(agents)], [SubagentRow(**r) for r in _rows(subagents)]


def _blocks(cur: duckdb.DuckDBPyConnection, settings: Settings, since: dt.date | None,
            until: dt.date | None) -> list[BlockRow]:
    zone = ZoneInfo(settings.timezone)
    now = dt.datetime.now(zone)
    start = dt.datetime.combine(since, dt.time(), zone) if since else dt.datetime(2000, 1, 1, tzinfo=zone)
    end = min(now, dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)) if until else now
    return [BlockRow(agent=b.agent, start=b.start.isoformat(), end=b.end.isoformat(), requests=b.requests,
                     tokens=b.tokens, cost_usd=cost(b.cost_usd), active=b.active) for b in blocks(cur, end, start)]


def _steps(cur: duckdb.DuckDBPyConnection, since: dt.date | None, until: dt.date | None,
           by: str, settings: Settings) -> list[tuple[str, Callable[[], object]]]:
    sessions_limit = None if by == "session" else TOP_SESSIONS
    return [
        ("days", lambda: [DayRow(**r) for r in _rows(queries.daily(cur, since, until), ("date",))]),
        ("models", lambda: [ModelRow(**r) for r in _rows(queries.by_model(cur, since, until))]),
        ("providers", lambda: [ProviderRow(**r) for r in _rows(queries.grouped(cur, "provider", since, until))]),
        ("agents", lambda: _agents(queries.by_agent(cur, since, until))),
        ("sessions", lambda: [SessionRow(**r) for r in _rows(
            queries.grouped(cur, "session", since, until, limit=sessions_limit), ("first_seen", "last_seen"))]),
        ("unpriced", lambda: [UnpricedModel(**r) for r in queries.unpriced_models(cur, since, until).to_dicts()]),
        ("rejected", lambda: queries.rejected_count(cur)),
        ("blocks", lambda: _blocks(cur, settings, since, until)),
        *([("machines", lambda: [MachineRow(**r) for r in _rows(queries.grouped(cur, "machine", since, until))]),
           ("users", lambda: [UserRow(**r) for r in _rows(queries.grouped(cur, "user", since, until))])]
          if queries.has_team_columns(cur) else []),
    ]


def build_report(cur: duckdb.DuckDBPyConnection, settings: Settings, since: dt.date | None = None,
                 until: dt.date | None = None, *, by: str = "day", now: dt.datetime | None = None,
                 scope: AgentScope = EVERY_AGENT, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> Report:
    """The report for local days [since, until] (open ends: everything), for ``scope``'s agents."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}: use one of {', '.join(GROUPINGS)}")
    if by in TEAM_GROUPINGS and not queries.has_team_columns(cur):
        raise ValueError(f"--by {by} needs the team's rows: pass --team URL")
    steps = _steps(cur, since, until, by, settings)
    got: dict[str, object] = {}
    with scope.applied(cur):
        for done, (name, step) in enumerate(steps):
            if cancel is not None and cancel.is_set():
                raise ReportCancelled()
            if progress:
                progress(done, len(steps), f"reading {name}")
            try:
                got[name] = step()
            except duckdb.InterruptException:
                raise ReportCancelled() from None
    days: list[DayRow] = got["days"]  # type: ignore[assignment]
    totals = Counts(**{k: sum(getattr(d, k) for d in days) for k in Counts.model_fields})
    totals.cost_usd = cost(totals.cost_usd)
    sessions: list[SessionRow] = got["sessions"]  # type: ignore[assignment]
    budget = settings.budgets.get("all")
    report = Report(
        timezone=settings.timezone, days=days, models=got["models"], rejected_lines=got["rejected"],
        since=since.isoformat() if since else (days[0].date if days else None),
        until=until.isoformat() if until else (days[-1].date if days else None),
        generated_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"), by=by,
        totals=totals, prices=prices_used(settings),
        budget=BudgetUsed(**budget.model_dump()) if budget else BudgetUsed(),
        unpriced_models=got["unpriced"], providers=got["providers"], agents=got["agents"][0],
        subagents=got["agents"][1],
        top_sessions=sessions[:TOP_SESSIONS], sessions=sessions if by == "session" else None,
        blocks=got["blocks"], machines=got.get("machines"), users=got.get("users"),
    )
    if progress:
        progress(len(steps), len(steps), "read")
    return report
