"""The pack (seed 000 §1.3's governor): per workload role, the agents running now against the role's
limit, who waits for a slot, how long each has run, and who is stuck; per pack member today: runs,
requests, tokens and cost.

Runs are the ``agent_run`` events the Code Puppy plugin (``agent_run_start`` / ``agent_run_end``) and
the demo pack write: ``detail.phase`` is ``start`` or ``end`` (or ``queued``, when the agent says it
waits; its ``start`` then ends the wait), ``detail.workload`` the role. A run is open from its start
until its end. Per role, the started runs beyond the role's limit (the latest started) are *queued*:
they wait for a slot, as do the runs the agent said are queued. A queued run
past the deadlock timeout is *stuck*; a running one past ``long_running`` is *long-running*. Runs
without an end for a day are left out (the agent died without saying so).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
from pydantic import BaseModel, Field

from ..pack import ROLES, workload_of
from ..settings import PackSettings
from .sql import Priced, priced_source, rows

OPEN_HOURS = 24
RunState = Literal["running", "long-running", "queued", "stuck"]


class PackRun(BaseModel):
    member: str
    role: str
    session: str | None
    model: str | None
    started: dt.datetime
    seconds: float
    state: RunState


class RoleLoad(BaseModel):
    role: str
    limit: int | None
    running: int
    queued: int
    stuck: int
    runs: list[PackRun] = Field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.limit is not None and self.running >= self.limit


class MemberToday(BaseModel):
    member: str
    role: str
    runs: int
    requests: int
    tokens: int
    cost_usd: float
    open_runs: int = 0


class PackView(BaseModel):
    now: dt.datetime
    roles: list[RoleLoad]
    members: list[MemberToday]
    deadlock_timeout: float
    long_running: float

    @property
    def seen(self) -> bool:
        """Whether any run was recorded today (else the overview shows no pack line)."""
        return any(m.runs for m in self.members) or any(r.runs for r in self.roles)

    def line(self) -> str:
        """The overview's pack line: ``pack coder 2/2 +1 queued · librarian 1/3 · 1 stuck``."""
        parts = []
        for r in self.roles:
            if r.running or r.queued:
                limit = f"/{r.limit}" if r.limit is not None else ""
                parts.append(f"{r.role} {r.running}{limit}" + (f" +{r.queued} queued" if r.queued else ""))
        stuck = sum(r.stuck for r in self.roles)
        long = sum(1 for r in self.roles for run in r.runs if run.state == "long-running")
        tail = ([f"{stuck} stuck"] if stuck else []) + ([f"{long} long-running"] if long else [])
        return "pack " + (" · ".join(parts + tail) if parts else "idle")


def pack_view(cur: duckdb.DuckDBPyConnection, settings: PackSettings, now: dt.datetime,
              day_start: dt.datetime, source: Priced | None = None) -> PackView:
    open_runs, started_today = _runs(cur, settings, now, day_start)
    seen = bool(open_runs or started_today)  # no pack recorded its runs: its members' day is not asked for
    roles = []
    for role in dict.fromkeys([*ROLES, *(r.role for r in open_runs)]):
        mine = sorted((r for r in open_runs if r.role == role), key=lambda r: r.started)
        roles.append(_load(role, settings.limit_of(role), mine, settings))
    members = _members(cur, now, day_start, started_today, open_runs, settings, source) if seen else []
    return PackView(now=now, roles=roles, members=members, deadlock_timeout=settings.deadlock_timeout,
                    long_running=settings.long_running)


def _load(role: str, limit: int | None, runs: list[PackRun], settings: PackSettings) -> RoleLoad:
    """The first ``limit`` started runs (by start) hold the slots; the rest wait, as do the runs the
    agent said are queued; a wait past the deadlock timeout is stuck."""
    placed, holding = [], 0
    for run in runs:
        waiting = run.state == "queued" or (limit is not None and holding >= limit)
        if waiting:
            state: RunState = "stuck" if run.seconds > settings.deadlock_timeout else "queued"
        else:
            holding += 1
            state = "long-running" if run.seconds > settings.long_running else "running"
        placed.append(run.model_copy(update={"state": state}))
    queued = len(placed) - holding
    return RoleLoad(role=role, limit=limit, running=holding, queued=queued,
                    stuck=sum(1 for r in placed if r.state == "stuck"), runs=placed)


def _runs(cur: duckdb.DuckDBPyConnection, settings: PackSettings, now: dt.datetime,
          day_start: dt.datetime) -> tuple[list[PackRun], dict[str, int]]:
    """(the open runs: each run's last event is its start or its queueing; runs started today per
    member), from one grouped pass over the last day's ``agent_run`` events."""
    found = rows(cur, f"""
        WITH runs AS (
            SELECT coalesce(subagent, agent) AS member, session, model, ts, detail->>'phase' AS phase,
                   detail->>'workload' AS workload
            FROM events WHERE kind = 'agent_run' AND ts > $now - INTERVAL {OPEN_HOURS} HOUR AND ts <= $now)
        SELECT member, session, arg_max(model, ts), arg_max(phase, ts), max(ts), arg_max(workload, ts),
               count(*) FILTER (phase = 'start' AND ts >= $start)
        FROM runs GROUP BY member, session""", {"now": now, "start": day_start})
    open_runs: list[PackRun] = []
    today: dict[str, int] = {}
    for member, session, model, phase, last, workload, starts in found:
        today[member] = today.get(member, 0) + int(starts)
        if phase in ("start", "queued"):
            open_runs.append(PackRun(member=member, role=workload_of(member, workload, settings.roles),
                                     session=session, model=model, started=last,
                                     seconds=max(0.0, (now - last).total_seconds()),
                                     state="queued" if phase == "queued" else "running"))
    return open_runs, {m: n for m, n in today.items() if n}


def _members(cur: duckdb.DuckDBPyConnection, now: dt.datetime, day_start: dt.datetime, started: dict[str, int],
             open_runs: list[PackRun], settings: PackSettings, source: Priced | None) -> list[MemberToday]:
    table = (source or priced_source(cur)).rows_from(day_start)
    used = {member: (int(n), int(t), float(c)) for member, n, t, c in rows(cur, f"""
        SELECT subagent, count(*), sum(tokens)::BIGINT, sum(cost_usd) FROM {table}
        WHERE ts >= $start AND ts <= $now AND subagent IS NOT NULL GROUP BY subagent""",
        {"start": day_start, "now": now})}
    opened: dict[str, int] = {}
    for run in open_runs:
        opened[run.member] = opened.get(run.member, 0) + 1
    members = []
    for member in dict.fromkeys([*started, *used, *opened]):
        n, tokens, cost = used.get(member, (0, 0, 0.0))
        members.append(MemberToday(member=member, role=workload_of(member, None, settings.roles),
                                   runs=started.get(member, 0), requests=n, tokens=tokens, cost_usd=cost,
                                   open_runs=opened.get(member, 0)))
    return sorted(members, key=lambda m: (-m.cost_usd, m.member))
