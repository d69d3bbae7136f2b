"""``packwatch push`` and what every team command shares: the team database in force, this machine's
name, the machine and user filters, and a team cache caught up (this machine's rows pushed, the team's
pulled). A team database that cannot be used is one line and exit 2; this machine's own store has
caught up by then all the same."""

from __future__ import annotations

import argparse

from collectors.team_refresh import Team, sync
from ledger.settings import Settings
from ledger.store import Store
from ledger.team.connect import TeamError
from ledger.team.pull import open_cache

from .common import UsageError, describe, open_caught_up, report_missing, warn
from .team_choice import team_of, team_scope  # noqa: F401 (what the team commands share)


def open_team_cache(team: Team, settings: Settings) -> Store:
    """This machine caught up and pushed, the team pulled: the cache, for a report over the team's rows."""
    local, result = open_caught_up(settings)
    try:
        report_missing(result)
        cache = open_cache(settings)
        try:
            sync(local, team, settings, cache)
        except TeamError as exc:
            cache.close()
            raise UsageError(str(exc)) from None
    finally:
        local.close()
    return cache


def cmd_push(args: argparse.Namespace, settings: Settings) -> int:
    team = team_of(args, settings, needed=True)
    local, result = open_caught_up(settings)
    try:
        report_missing(result)
        print(describe(result))
        try:
            done = sync(local, team, settings)
        except TeamError as exc:
            raise UsageError(str(exc)) from None
    finally:
        local.close()
    print(done.describe())
    return 0


class Pusher:
    """``collect --push``: push after each batch; while the team database is away, say so once and try again
    every ``retry`` seconds (collection goes on meanwhile)."""

    def __init__(self, team: Team, settings: Settings, retry: float = 30.0):
        self.team, self.settings, self.retry = team, settings, retry
        self.failing = False
        self._next = 0.0

    def __call__(self, store: Store, force: bool = False) -> str | None:
        import time

        if not force and time.monotonic() < self._next:
            return None
        try:
            done = sync(store, self.team, self.settings)
        except TeamError as exc:
            self._next = time.monotonic() + self.retry
            if not self.failing:
                self.failing = True
                warn(f"{exc} (collecting goes on; pushing again every {self.retry:g} s)")
            return None
        self.failing, self._next = False, 0.0
        return done.describe()


def set_team_budget_cmd(args: argparse.Namespace, settings: Settings) -> int:
    """``control budget --team URL ...``: the team's budget, then this machine's controls follow it."""
    from ledger.control.channel import default_who
    from ledger.control.model import ControlError
    from ledger.team.budgets import apply_team_budgets, set_team_budget

    team = team_of(args, settings, needed=True)
    if not args.clear and all(getattr(args, k) is None for k in ("daily_usd", "monthly_usd", "daily_tokens")):
        raise UsageError("give at least one of --daily-usd, --monthly-usd, --daily-tokens (or --clear)")
    who = default_who().split(" (pid")[0]
    try:
        budget = set_team_budget(team.url, args.provider, who=who, clear=args.clear, daily_usd=args.daily_usd,
                                 monthly_usd=args.monthly_usd, daily_tokens=args.daily_tokens)
        changes = apply_team_budgets([budget], settings.control_dir)
    except TeamError as exc:
        raise UsageError(str(exc)) from None
    except ControlError as exc:
        raise UsageError(str(exc)) from None
    limits = ", ".join(f"{k} {v:g}" for k, v in budget.limits().items()) or "cleared"
    print(f"team budget {budget.scope}: {limits} (by {budget.who} at {budget.changed_at}); "
          f"{len(changes)} change(s) to this machine's controls")
    return 0
