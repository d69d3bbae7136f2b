"""``packwatch`` (the dashboard) and ``packwatch demo`` (the dashboard on a simulated pack): the only
commands that start Textual."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from ledger.settings import Settings

from .common import UsageError, scope_of


def _need_a_terminal() -> None:
    try:
        found = importlib.util.find_spec("textual") is not None
    except ImportError:
        found = False
    if not found:
        raise UsageError("the dashboard needs Textual (pip install textual); `packwatch status` and "
                         "`report` work without it")
    if not sys.stdout.isatty() and "web_driver" not in os.environ.get("TEXTUAL_DRIVER", ""):  # (packwatch serve)
        raise UsageError("the dashboard needs a terminal; use `packwatch status` or `report` in scripts")


def has_data(settings: Settings) -> bool:
    """Whether any configured ledger or any agent's log folder exists (a store alone, with nothing to follow,
    counts too: it holds what was read before)."""
    from collectors.agents import enabled

    return (any(p.exists() for p in settings.ledgers) or settings.db.exists()
            or any(root.exists() for log in enabled(settings) for root in log.roots))


def cmd_dashboard(args: argparse.Namespace, settings: Settings, *, demo: bool = False) -> int:
    _need_a_terminal()
    from .team_choice import team_of, team_scope

    team = team_of(args, settings)
    if team is None and not demo and getattr(args, "demo_if_empty", False) and not has_data(settings):
        from .parser import DEMO_DAYS

        print("packwatch: no agent has written a ledger or a log here yet: opening the demo "
              f"(`packwatch` opens your own data once {settings.ledgers[0]} or an agent's log exists)", file=sys.stderr)
        return _demo(args, settings, DEMO_DAYS, None)
    from dashboard.app import PackwatchApp

    if team is None:
        PackwatchApp(settings, scope=scope_of(args), demo=demo).run()
        return 0
    from collectors.team_refresh import TeamRefresher

    refresher = TeamRefresher(settings, team, who="packwatch dashboard")
    try:
        PackwatchApp(settings, scope=team_scope(args), refresher=refresher).run()
    finally:
        refresher.close()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    _need_a_terminal()
    return _demo(args, settings, args.days, args.pace)


def _demo(args: argparse.Namespace, settings: Settings, days: int, pace: int | None) -> int:
    from dashboard import demo

    running = demo.start(settings, days=days, pace=pace)
    print(f"demo pack ledger: {running.ledger}", file=sys.stderr)
    try:
        return cmd_dashboard(args, running.settings, demo=True)
    finally:
        running.stop()
