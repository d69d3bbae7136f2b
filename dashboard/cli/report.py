"""``packwatch report`` and ``packwatch rejected``: what the ledgers add up to, and the lines that
were not records."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

from collectors.tail import CatchUp
from ledger.report import TEAM_GROUPINGS, queries
from ledger.report.build import build_report
from ledger.report.export import ExportError, check_target, write_report
from ledger.report.text import render
from ledger.settings import Settings
from ledger.text import printable

from . import answers
from .common import UsageError, open_caught_up, report_missing, scope_of

KEPT_FORMATS = ("json", "csv", "md")
"""The formats a report answer is kept in (``answers``): text on stdout, the same on any terminal."""


def _days(args: argparse.Namespace, settings: Settings) -> tuple[dt.date | None, dt.date | None]:
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    try:
        since = queries.parse_day(args.since, today) if args.since else None
        until = queries.parse_day(args.until, today) if args.until else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    return since, until


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from .team_choice import team_of, team_scope

    since, until = _days(args, settings)
    team = team_of(args, settings)
    scope = team_scope(args) if team else scope_of(args)
    if args.by in TEAM_GROUPINGS and team is None:
        raise UsageError(f"--by {args.by} groups the team's rows: pass --team URL (or set PACKWATCH_TEAM_URL)")
    if args.format == "parquet" and not args.output:
        raise UsageError("parquet is a binary format: pass --output FILE.parquet")
    if args.output:
        try:
            check_target(args.output, force=args.force)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
    if team is not None:
        from .team import open_team_cache

        store, result = open_team_cache(team, settings), CatchUp(agent_files=1)
    else:
        keeps = not args.output and args.format in KEPT_FORMATS
        store, result = open_caught_up(settings, (lambda s: answers.start(settings, s)) if keeps else None)
    recording = answers.current()
    try:
        report_missing(result)
        now = dt.datetime.now(ZoneInfo(settings.timezone))
        report = build_report(store.con, settings, since, until, by=args.by, scope=scope, now=now)
        if recording is not None and not result.errors:
            recording.check(now, report.blocks)
    finally:
        store.close()
    if result.missing and not result.agent_files and not report.days and not report.rejected_lines:
        raise UsageError("nothing to report yet: no ledger found (see above)")
    if args.output:
        try:
            size = write_report(report, args.format, args.output, by=args.by, force=args.force)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
        print(f"wrote {args.output} ({size:,} bytes)", file=sys.stderr)
    elif args.format == "table":
        from rich.console import Console

        from ledger.report.tables import table_renderables

        Console().print(*table_renderables(report))
    else:
        text = render(report, args.format, args.by)
        sys.stdout.write(text)
        if recording is not None:
            recording.keep(text, report.generated_at)
    return 0


def cmd_rejected(args: argparse.Namespace, settings: Settings) -> int:
    store, result = open_caught_up(settings)
    try:
        report_missing(result)
        frame = queries.rejected_lines(store.con, args.limit)
        total = queries.rejected_count(store.con)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"total": total, "lines": frame.to_dicts()}, indent=2))
        return 0
    if not total:
        print("no rejected lines")
        return 0
    for row in frame.iter_rows(named=True):
        print(printable(f"{row['file']}:{row['offset']}  {row['reason']}  {row['excerpt']!r}"))
    if total > frame.height:
        print(f"... and {total - frame.height} more (--limit)")
    return 0
