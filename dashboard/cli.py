"""The ``packwatch`` command. Every failure a user can cause ends in one line that says what to do.

Exit codes: 0 ok, 2 bad usage or input, 1 anything else (DESIGN.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from collectors.sources import agent_logs, catch_up_all
from collectors.tail import CatchUp, discover
from ledger import queries
from ledger.export import ExportError, check_target, write_report
from ledger.report import FORMATS, GROUPINGS, build_report, render, table_renderables
from ledger.sample import PACE
from ledger.settings import DEFAULT_LEDGER, Settings, explain, load_settings
from ledger.store import Store, StoreBusy, StoreError


class UsageError(Exception):
    """Bad usage or input: exit 2."""


def _common(p: argparse.ArgumentParser, *, nested: bool = False) -> None:
    # A subcommand's parser must not reset what the top-level one already parsed (argparse copies
    # every default of a subparser over the outer namespace): its options default to "not given"
    # (SUPPRESS) and the top-level parser supplies the None defaults. So `packwatch --ledger X report`
    # and `packwatch report --ledger X` mean the same; given in both places, the later one wins.
    default = {"default": argparse.SUPPRESS} if nested else {}
    p.add_argument("--ledger", action="append", type=Path, metavar="PATH",
                   help="a usage ledger file or folder (repeatable)", **default)
    p.add_argument("--db", type=Path, metavar="PATH", help="the DuckDB store", **default)
    p.add_argument("--config", type=Path, metavar="PATH", help="the TOML config file", **default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="packwatch", description="An operations dashboard for AI coding agents."
    )
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    collect = sub.add_parser("collect", help="follow the ledgers into the store (headless)")
    _common(collect, nested=True)
    collect.add_argument("--once", action="store_true", help="catch up once and exit")

    report = sub.add_parser("report", help="per-day and per-model totals")
    _common(report, nested=True)
    report.add_argument("--since", metavar="DAY", help="first day: YYYY-MM-DD, today, yesterday, 7d")
    report.add_argument("--until", metavar="DAY", help="last day, inclusive")
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument("--by", choices=GROUPINGS, default="day",
                        help="which table a CSV or Parquet file holds (default: day)")
    report.add_argument("--output", type=Path, metavar="FILE", help="write to FILE, not stdout")
    report.add_argument("--force", action="store_true", help="overwrite an existing --output file")

    rejected = sub.add_parser("rejected", help="ledger lines that were not valid records")
    _common(rejected, nested=True)
    rejected.add_argument("--json", action="store_true")
    rejected.add_argument("--limit", type=at_least(1), default=200)

    rebuild = sub.add_parser("rebuild", help="recreate the store from the ledgers")
    _common(rebuild, nested=True)

    status = sub.add_parser("status", help="what the panes show, once (exit 0 ok, 10 warning, 11 limit)")
    _common(status, nested=True)
    status.add_argument("--json", action="store_true")

    demo = sub.add_parser("demo", help="packwatch on a simulated agent pack (no keys, no network)")
    _common(demo, nested=True)
    demo.add_argument("--days", type=at_least(0), default=4, help="days of history to simulate")
    demo.add_argument("--pace", type=at_least(1), default=PACE, metavar="N",
                      help="model requests an hour while the pack is busy (08-22 local; a third at night)")

    _control_parser(sub)

    config = sub.add_parser("config", help="the effective settings and where each came from")
    _common(config, nested=True)
    config.add_argument("--json", action="store_true")
    return parser


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is below {low}")
        return value

    return parse


def _control_parser(sub: Any) -> None:
    control = sub.add_parser("control", help="steer the agent: budgets, failover, compaction, review-only")
    _common(control, nested=True)
    verbs = control.add_subparsers(dest="control_command", metavar="CONTROL", required=True)
    review = verbs.add_parser("review-only", help="stop (on) or allow (off) file edits and shell commands")
    _common(review, nested=True)
    review.add_argument("state", choices=("on", "off"))
    budget = verbs.add_parser("budget", help="set USD budgets and daily token limits")
    _common(budget, nested=True)
    budget.add_argument("--provider", metavar="P", default="all", help="a provider (default: all)")
    budget.add_argument("--daily-usd", type=float, metavar="X")
    budget.add_argument("--monthly-usd", type=float, metavar="X")
    budget.add_argument("--daily-tokens", type=int, metavar="N")
    budget.add_argument("--clear", action="store_true", help="remove this scope's limits")
    failover = verbs.add_parser("failover", help="force a provider or model onto another model")
    _common(failover, nested=True)
    failover.add_argument("source", metavar="PROVIDER_OR_MODEL")
    target = failover.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="MODEL")
    target.add_argument("--clear", action="store_true", help="stop forcing it")
    compact = verbs.add_parser("compact", help="ask the agent to compact its context")
    _common(compact, nested=True)
    compact.add_argument("--session", help="the session to compact (default: the agent's current one)")
    enforce = verbs.add_parser("enforce", help="what the agent does at a budget level: warn, review-only, block")
    _common(enforce, nested=True)
    enforce.add_argument("level", type=int, metavar="PERCENT")
    enforce.add_argument("policy", choices=("warn", "review-only", "block", "off"))
    show = verbs.add_parser("show", help="the controls and whether the agent applied the recent changes")
    _common(show, nested=True)
    show.add_argument("--json", action="store_true")


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.config, ledgers=args.ledger, db=args.db)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise UsageError(f"bad setting {where}: {err['msg']}; fix the config file or flag") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the config: {exc}") from None


def _warn(message: str) -> None:
    print(f"packwatch: {message}", file=sys.stderr)


def _describe(result: CatchUp) -> str:
    text = f"{result.rows} new rows"
    if result.events:
        text += f", {result.events} new events"
    if result.rejected:
        text += f", {result.rejected} rejected lines (see `packwatch rejected`)"
    return text


def _report_missing(result: CatchUp) -> None:
    for path in result.missing:
        if result.agent_files and path == DEFAULT_LEDGER.expanduser():
            continue  # Claude Code or Codex logs were found: no Code Puppy ledger is normal
        if path.name in ("projects", "sessions"):
            _warn(f"no agent logs at {path}: fix [sources] in the config file, or set it to auto")
        else:
            _warn(f"no ledger at {path}: pass --ledger, or try `packwatch demo`")
    for error in result.errors:
        _warn(f"cannot read {error}")


def _open_caught_up(settings: Settings) -> tuple[Store, CatchUp]:
    """The store, caught up. When another packwatch holds it, answer from a private in-memory
    index built from the ledgers instead (the store is only ever a derived index)."""
    try:
        store = Store.open(settings)
    except StoreBusy as exc:
        _warn(f"{exc}; reading the ledgers directly this time")
        store = Store.open(settings, memory=True)
    return store, catch_up_all(store, settings)


def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    from collectors import probes
    from collectors.follow import follow

    targets = probes.plan(settings.probes)
    store = Store.open(settings)
    stop_probes = None
    try:
        if args.once:
            result = catch_up_all(store, settings)
            _report_missing(result)
            print(_describe(result))
            if targets:
                outcomes = probes.probe_once(targets, settings.probes)
                store.record_probes([r.row() for r in outcomes])
                print(f"probes: {probes.describe(outcomes)}")
            return 0
        if targets:
            print(f"probing {', '.join(t.provider for t in targets)} every {settings.probes.interval:g} s",
                  flush=True)

            def on_probes(outcomes: list[probes.ProbeResult]) -> None:
                store.record_probes([r.row() for r in outcomes])
                failed = [r for r in outcomes if r.error_class]
                if failed:
                    print(f"{dt.datetime.now().astimezone():%H:%M:%S} probes: {probes.describe(failed)}", flush=True)

            stop_probes = probes.start_in_thread(targets, settings.probes, on_probes)

        def on_batch(result: CatchUp) -> None:
            _report_missing(result)
            print(f"{dt.datetime.now().astimezone():%H:%M:%S} {_describe(result)}", flush=True)

        logs = [str(root) for log in agent_logs(settings) for root in log.roots if root.is_dir()]
        print(f"following {', '.join(map(str, [*settings.ledgers, *logs]))} into {settings.db} (Ctrl-C stops)",
              flush=True)
        follow(store, settings, on_batch, poll=max(settings.poll_interval, 1.0))
        return 0
    finally:
        if stop_probes is not None:
            stop_probes.set()
        store.close()


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    today = _today(settings)
    try:
        since = queries.parse_day(args.since, today) if args.since else None
        until = queries.parse_day(args.until, today) if args.until else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    if args.format == "parquet" and not args.output:
        raise UsageError("parquet is a binary format: pass --output FILE.parquet")
    if args.output:
        try:
            check_target(args.output, force=args.force)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
    store, result = _open_caught_up(settings)
    try:
        _report_missing(result)
        data = build_report(store.con, settings, since, until, by=args.by,
                            now=dt.datetime.now(ZoneInfo(settings.timezone)))
    finally:
        store.close()
    if result.missing and not result.agent_files and not data["days"] and not data["rejected_lines"]:
        raise UsageError("nothing to report yet: no ledger found (see above)")
    if args.output:
        try:
            size = write_report(data, args.format, args.output, by=args.by, force=args.force)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
        print(f"wrote {args.output} ({size:,} bytes)", file=sys.stderr)
    elif args.format == "table":
        from rich.console import Console

        Console().print(*table_renderables(data))
    else:
        sys.stdout.write(render(data, args.format, args.by))
    return 0


def cmd_rejected(args: argparse.Namespace, settings: Settings) -> int:
    store, result = _open_caught_up(settings)
    try:
        _report_missing(result)
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
        print(f"{row['file']}:{row['offset']}  {row['reason']}  {row['excerpt']!r}")
    if total > frame.height:
        print(f"... and {total - frame.height} more (--limit)")
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    # Opening first proves no other process holds the store before anything is deleted.
    Store.open(settings, wait=0.5).close()
    for suffix in ("", ".wal"):
        p = Path(str(settings.db) + suffix)
        if p.exists():
            p.unlink()
    store = Store.open(settings)
    try:
        result = catch_up_all(store, settings)
    finally:
        store.close()
    _report_missing(result)
    print(f"rebuilt {settings.db}: {_describe(result)}")
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    rows = explain(settings)
    if args.json:
        print(json.dumps({n: {"value": v, "from": o} for n, v, o, _ in rows}, indent=2, default=_jsonable))
        return 0
    from rich.console import Console
    from rich.table import Table

    files, missing = discover(settings.ledgers)
    table = Table(title=f"config file: {getattr(settings, '_config_path', '?')}", title_justify="left")
    for col in ("setting", "value", "from", "meaning"):
        table.add_column(col, overflow="fold")
    for name, value, origin, doc in rows:
        table.add_row(name, json.dumps(value, default=_jsonable), origin, doc)
    console = Console()
    console.print(table)
    console.print(f"{len(files)} ledger file(s) found; missing: {', '.join(map(str, missing)) or 'none'}")
    for log in agent_logs(settings):
        found, _ = discover([r for r in log.roots if r.is_dir()], "*.jsonl")
        roots = ", ".join(f"{r}{'' if r.is_dir() else ' (missing)'}" for r in log.roots)
        console.print(f"{log.parser.agent}: {len(found)} log file(s) in {roots}", markup=False)
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from ledger.control import ControlChannel
    from ledger.insights import controlled_overview

    controls = ControlChannel(settings.control_dir).read()
    if controls.warning:
        _warn(controls.warning)
    store, result = _open_caught_up(settings)
    try:
        _report_missing(result)
        view = controlled_overview(store.con, settings, controls.controls, dt.datetime.now(ZoneInfo(settings.timezone)))
    finally:
        store.close()
    if args.json:
        print(json.dumps({**view.model_dump(mode="json"), "exit_code": view.status_code}, indent=2))
        return view.status_code
    print(status_text(view))
    return view.status_code


def status_text(view: Any) -> str:
    """A few plain lines for scripts and status bars."""
    w = {x.minutes: x for x in view.burn.windows}
    seen = f"last line {view.last_seen:%Y-%m-%d %H:%M:%S}" if view.last_seen else "no data yet"
    lines = [
        f"{view.health}{' (' + '; '.join(view.health_reasons) + ')' if view.health_reasons else ''}"
        f" · {seen}{' · ' + ' '.join(view.modes) if view.modes else ''}",
        f"burn: {w[5].tokens_per_min:,.0f} / {w[15].tokens_per_min:,.0f} / {w[60].tokens_per_min:,.0f} "
        f"tokens/min (5/15/60 min) · ${w[60].usd_per_hour:,.2f}/h",
        f"today: {view.requests_today:,} requests, {view.errors_today:,} errors",
    ]
    for p in view.burn.providers:
        if p.daily_limit:
            when = f"{p.projected_exhaustion:%H:%M}" if p.projected_exhaustion else "not today"
            lines.append(f"  {p.provider}: {p.tokens_today:,} / {p.daily_limit:,} tokens "
                         f"({p.usage_percent:.0f}%), runs out: {when}")
    for sl in view.spend:
        budget = f" of ${sl.budget_daily:,.2f}" if sl.budget_daily else ""
        lines.append(f"spend {sl.scope}: ${sl.cost_today:,.2f}{budget} today, ${sl.cost_month:,.2f} this month"
                     f"{' [' + sl.level + ']' if sl.level != 'ok' else ''}")
    for c in view.circuits:
        if c.state != "CLOSED":
            lines.append(f"circuit {c.provider}: {c.state}" + (f" ({c.last_error})" if c.last_error else ""))
    for r in view.recommendations[:3]:
        lines.append(f"[{r.priority}] {r.message}")
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from ledger.sample import backfilled, start_live
    from ledger.settings import Budget, PriceOverride

    from .demo_providers import DemoProviders

    folder = Path(tempfile.mkdtemp(prefix="packwatch-demo-"))
    sim = backfilled(folder, days=args.days, per_hour=args.pace)
    ledger = sim.usage.path
    demo = settings.model_copy(update={
        "ledgers": [ledger], "db": folder / "demo.duckdb",
        # Budgets the simulated pack reaches by the evening, so the alert levels show their colours.
        "budgets": {"all": Budget(daily_usd=250, monthly_usd=6000), "anthropic": Budget(daily_usd=90),
                    **settings.budgets},
        # Cerebras' pay-as-you-go GLM price; genai-prices lists GLM only under Z.ai.
        "prices": {"cerebras/glm-4.7": PriceOverride(input_mtok=2.25, output_mtok=2.75),
                   **settings.prices},
    })
    providers = DemoProviders()
    demo = demo.model_copy(update={"probes": providers.probe_settings()})
    print(f"demo pack ledger: {ledger}", file=sys.stderr)
    stop = start_live(sim, demo)
    try:
        return _run_dashboard(args, demo)
    finally:
        stop.set()
        providers.stop()


def cmd_control(args: argparse.Namespace, settings: Settings) -> int:
    from ledger.control import ControlChannel, ControlError

    channel = ControlChannel(settings.control_dir)
    verb = args.control_command
    if verb == "show":
        return _control_show(args, settings, channel)
    try:
        if verb == "review-only":
            change = channel.set_review_only(args.state == "on")
        elif verb == "budget":
            change = channel.set_budget(args.provider, daily_usd=args.daily_usd, monthly_usd=args.monthly_usd,
                                        daily_tokens=args.daily_tokens, clear=args.clear)
        elif verb == "failover":
            change = channel.set_failover(args.source, None if args.clear else args.to)
        elif verb == "compact":
            change = channel.request_compaction(args.session)
        else:
            if not 0 < args.level <= 1000:
                raise UsageError("the level is a percentage of the budget, 1 to 1000")
            change = channel.set_enforcement(args.level, None if args.policy == "off" else args.policy)
    except ControlError as exc:
        raise UsageError(str(exc)) from None
    print(f"{change.action} {change.key}: {_short(change.old)} -> {_short(change.new)} "
          f"(id {change.id}, pending until the agent acknowledges it)")
    return 0


def _short(value: Any) -> str:
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    return json.dumps(value, separators=(",", ":"))


def _control_show(args: argparse.Namespace, settings: Settings, channel: Any) -> int:
    from ledger.control import change_statuses

    state = channel.read()
    if state.warning:
        _warn(state.warning)
    store, result = _open_caught_up(settings)
    try:
        statuses = change_statuses(store.cursor(), channel, limit=20)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"file": str(channel.path), "warning": state.warning,
                          "controls": state.controls.model_dump(mode="json"),
                          "changes": [s.model_dump(mode="json") for s in statuses]}, indent=2))
        return 0
    c = state.controls
    print(f"controls in {channel.path} (revision {c.revision})")
    print(f"  review-only: {'ON' if c.review_only else 'off'}")
    for scope, b in sorted(c.budgets.items()):
        parts = [f"${b.daily_usd:,.2f}/day" if b.daily_usd is not None else "",
                 f"${b.monthly_usd:,.2f}/month" if b.monthly_usd is not None else "",
                 f"{b.daily_tokens:,} tokens/day" if b.daily_tokens is not None else ""]
        print(f"  budget {scope}: {', '.join(p for p in parts if p)}")
    for source, target in sorted(c.failovers.items()):
        print(f"  failover: {source} -> {target}")
    if c.compaction:
        print(f"  compaction requested {c.compaction.requested_at} (id {c.compaction.id})")
    print("  enforcement: " + ", ".join(f"{p} at {lvl}%" for lvl, p in c.enforcement.items()))
    for s in statuses:
        ch = s.change
        why = f": {s.reason}" if s.reason else ""
        print(f"{ch.ts}  {ch.id}  {ch.action:<12} {ch.key:<24} {_short(ch.new):<28} {s.state}{why}")
    if not statuses:
        print("no changes yet")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "status": cmd_status,
    "demo": cmd_demo,
    "collect": cmd_collect,
    "report": cmd_report,
    "rejected": cmd_rejected,
    "rebuild": cmd_rebuild,
    "config": cmd_config,
    "control": cmd_control,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    try:
        settings = _settings(args)
        if command is None:
            return _run_dashboard(args, settings)
        return COMMANDS[command](args, settings)
    except UsageError as exc:
        _warn(str(exc))
        return 2
    except StoreError as exc:
        _warn(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _run_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    if not sys.stdout.isatty():
        raise UsageError("the dashboard needs a terminal; use `packwatch status` or `report` in scripts")
    from .app import PackwatchApp

    PackwatchApp(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
