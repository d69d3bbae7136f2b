"""The team's passes: catch up on this machine's ledgers, push what is new to the team database, pull the
team's new rows into the local cache, and lay the team's budgets into this machine's controls. The
dashboard and ``status`` run ``TeamRefresher`` (the overview over the cache); ``report``, ``push`` and
``collect --push`` run ``sync``."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ledger.scope import EVERY_AGENT, AgentScope
from ledger.settings import Settings
from ledger.store import Store
from ledger.team.budgets import apply_team_budgets, team_budgets
from ledger.team.connect import TeamError
from ledger.team.pull import Pulled, open_cache, refresh_cache
from ledger.team.push import Pushed, push
from ledger.views.overview import Overview, controlled_overview

from .refresh import Refreshed, Refresher, open_store
from .sources import catch_up_all


@dataclass(frozen=True)
class Team:
    url: str
    machine: str | None
    """This machine's name (None: the name its store pushed under before, else the host name)."""
    user: str


@dataclass
class Synced:
    pushed: Pushed | None = None
    pulled: Pulled | None = None
    budgets: int = 0
    """Team budget changes laid into this machine's controls."""

    def describe(self) -> str:
        parts = [p.describe() for p in (self.pushed, self.pulled) if p is not None]
        if self.budgets:
            parts.append(f"{self.budgets} team budget changes applied")
        return "; ".join(parts)


def sync(local: Store, team: Team, settings: Settings, cache: Store | None = None) -> Synced:
    """Push ``local``'s new rows; pull into ``cache`` when given; apply the team budgets. ``TeamError``
    when the team database cannot be used (what was committed on either side is kept)."""
    done = Synced(push(local.con, team.url, machine=team.machine, user=team.user, control_dir=settings.control_dir))
    if cache is not None:
        done.pulled = refresh_cache(cache, team.url)
    done.budgets = len(apply_team_budgets(team_budgets(team.url), settings.control_dir))
    return done


class TeamRefresher(Refresher):
    """A ``Refresher`` whose store is the team cache: each pass catches up this machine's own store, syncs
    with the team database and computes the overview over the cache. While the team database is away the
    cache keeps what it had and ``problem`` says why (once a minute at most it is tried again)."""

    RETRY_SECONDS = 30.0

    def __init__(self, settings: Settings, team: Team, **kw) -> None:
        super().__init__(settings, **kw)
        self.team = team
        self.local: Store | None = None
        self.problem: str | None = None
        self._next_try = 0.0

    def open(self) -> str | None:
        warning = None
        if self.local is None:
            self.local, warning = open_store(self.settings)
        if self.store is None:
            self.store = open_cache(self.settings)
        return warning

    def close(self) -> None:
        for store in (self.store, self.local):
            if store is not None:
                store.close()
        self.store = self.local = None

    def _run(self, *, force: bool, with_agent_logs: bool, scope: AgentScope = EVERY_AGENT) -> Refreshed:
        assert self.local is not None and self.store is not None
        caught = catch_up_all(self.local, self.settings, with_agent_logs=with_agent_logs)
        if force or caught.changed or time.monotonic() >= self._next_try:
            try:
                sync(self.local, self.team, self.settings, self.store)
                self.problem = None
            except TeamError as exc:
                self.problem = str(exc)
            self._next_try = time.monotonic() + self.RETRY_SECONDS
        if self.problem:  # the dashboard tells each problem once; the panes keep what the cache holds
            caught.errors.append(self.problem.removeprefix("cannot reach "))
        result = Refreshed(caught)
        before = self.controls.controls
        if self._read_controls(again=True, into=result):
            force = force or result.controls.controls != before
        # the team's numbers move with every machine: the overview is computed each pass
        result.overview = self.overview(scope)
        return result

    def overview(self, scope: AgentScope = EVERY_AGENT) -> Overview:
        """The overview over the cache; never written as this machine's summary (the status line and the
        hooks show this machine's own numbers)."""
        cursor = self.store.cursor()
        try:
            return controlled_overview(cursor, self.settings, self.controls.controls, self.clock(), scope=scope)
        finally:
            cursor.close()
