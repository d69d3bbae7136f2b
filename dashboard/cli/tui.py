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


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    _need_a_terminal()
    from dashboard.app import PackwatchApp

    from .team_choice import team_of, team_scope

    team = team_of(args, settings)
    if team is None:
        PackwatchApp(settings, scope=scope_of(args)).run()
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
    from dashboard import demo

    running = demo.start(settings, days=args.days, pace=args.pace)
    print(f"demo pack ledger: {running.ledger}", file=sys.stderr)
    try:
        return cmd_dashboard(args, running.settings)
    finally:
        running.stop()
