"""``packwatch`` (the dashboard) and ``packwatch demo`` (the dashboard on a simulated pack): the only
commands that start Textual."""

from __future__ import annotations

import argparse
import sys

from ledger.settings import Settings

from .common import UsageError, scope_of


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    if not sys.stdout.isatty():
        raise UsageError("the dashboard needs a terminal; use `packwatch status` or `report` in scripts")
    from dashboard.app import PackwatchApp

    PackwatchApp(settings, scope=scope_of(args)).run()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    if not sys.stdout.isatty():
        raise UsageError("the dashboard needs a terminal; use `packwatch status` or `report` in scripts")
    from dashboard import demo

    running = demo.start(settings, days=args.days, pace=args.pace)
    print(f"demo pack ledger: {running.ledger}", file=sys.stderr)
    try:
        return cmd_dashboard(args, running.settings)
    finally:
        running.stop()
