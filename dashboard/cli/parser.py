"""The ``packwatch`` command line: every command's options, in one parser. Cheap to build: it imports
nothing a command needs to run (``--help`` answers at once)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from ledger.report import FORMATS, GROUPINGS

from .team_args import add_team_commands, pusher_options, team_option


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


def _agents(p: argparse.ArgumentParser, *, nested: bool = False) -> None:
    default = {"default": argparse.SUPPRESS} if nested else {}
    p.add_argument("--agent", action="append", metavar="NAME", dest="agent",
                   help="count only this agent program: code-puppy (the ledgers), claude-code, codex, gemini-cli, "
                        "opencode, qwen-code, copilot-cli (repeatable)",
                   **default)


DEMO_DAYS = 4
"""Days of history the demo simulates unless told (``demo --days``; ``--demo-if-empty``)."""


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


def amount(text: str) -> float:
    """An argparse type: a finite, non-negative amount of money (not ``inf``, ``nan`` or ``-1``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite amount; use --clear to lift a budget")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value:g} is below 0")
    return value


class OneLineParser(argparse.ArgumentParser):
    """Bad usage is one line on stderr and exit 2, not argparse's usage block (``--help`` has it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="packwatch", description="An operations dashboard for AI coding agents.")
    _common(parser)
    _agents(parser)
    team_option(parser)
    parser.add_argument("--demo-if-empty", action="store_true",
                        help="open the demo instead while no ledger and no agent log exists yet (make run)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    collect = sub.add_parser("collect", help="follow the ledgers into the store (headless)")
    _common(collect, nested=True)
    collect.add_argument("--once", action="store_true", help="catch up once and exit")
    collect.add_argument("--push", action="store_true", help="also push new rows to the team database (--team)")
    pusher_options(collect)

    report = sub.add_parser("report", help="per-day and per-model totals")
    _common(report, nested=True)
    _agents(report, nested=True)
    team_option(report, nested=True)
    report.add_argument("--since", metavar="DAY", help="first day: YYYY-MM-DD, today, yesterday, 7d")
    report.add_argument("--until", metavar="DAY", help="last day, inclusive")
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument("--by", choices=GROUPINGS, default="day",
                        help="which table a CSV or Parquet file holds: per day, model, provider, agent program, "
                             "subagent (who inside it), session, or with --team machine or user (default: day)")
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
    _agents(status, nested=True)
    team_option(status, nested=True)
    status.add_argument("--json", action="store_true")

    demo = sub.add_parser("demo", help="packwatch on a simulated agent pack (no keys, no network)")
    _common(demo, nested=True)
    demo.add_argument("--days", type=at_least(0), default=DEMO_DAYS, help="days of history to simulate")
    demo.add_argument("--pace", type=at_least(1), default=None, metavar="N",
                      help="model requests an hour while the pack is busy (08-22 local; a third at night; default 300)")

    _control_parser(sub)
    add_team_commands(sub, _common)

    _agent_side_parsers(sub)

    alerts = sub.add_parser("alerts", help="what alerts were sent, when and where")
    _common(alerts, nested=True)
    alerts.add_argument("--json", action="store_true")
    alerts.add_argument("--limit", type=at_least(1), default=100, metavar="N", help="the newest N (default 100)")

    config = sub.add_parser("config", help="the effective settings and where each came from")
    _common(config, nested=True)
    config.add_argument("--json", action="store_true")
    return parser


def _control_parser(sub: Any) -> None:
    control = sub.add_parser("control", help="steer the agent: budgets, failover, compaction, review-only")
    _common(control, nested=True)
    verbs = control.add_subparsers(dest="control_command", metavar="CONTROL", required=True)
    review = verbs.add_parser("review-only", help="stop (on) or allow (off) file edits and shell commands")
    _common(review, nested=True)
    review.add_argument("state", choices=("on", "off"))
    budget = verbs.add_parser("budget", help="set USD budgets (day, month, hour, task) and token limits (day, task)")
    _common(budget, nested=True)
    budget.add_argument("--provider", metavar="P", default="all", help="a provider (default: all)")
    budget.add_argument("--daily-usd", type=amount, metavar="X")
    budget.add_argument("--monthly-usd", type=amount, metavar="X")
    budget.add_argument("--daily-tokens", type=at_least(0), metavar="N")
    budget.add_argument("--hourly-usd", type=amount, metavar="X", help="USD per rolling 60 minutes")
    budget.add_argument("--task-usd", type=amount, metavar="X", help="USD per task (a session or run id)")
    budget.add_argument("--task-tokens", type=at_least(0), metavar="N", help="tokens per task")
    budget.add_argument("--clear", action="store_true", help="remove this scope's limits")
    team_option(budget, nested=True, filters=False)
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


def _agent_side_parsers(sub: Any) -> None:
    statusline = sub.add_parser("statusline", help="Claude Code's statusLine command: JSON on stdin, one line out")
    _common(statusline, nested=True)
    hook = sub.add_parser("hook", help="an agent's hook command, e.g. `hook claude-code pre-tool-use`")
    _common(hook, nested=True)
    hook.add_argument("agent_name", metavar="AGENT", help="claude-code or codex")
    hook.add_argument("event", metavar="EVENT",
                      help="pre-tool-use, user-prompt-submit, pre-compact, session-start, session-end")
    install = sub.add_parser("install",
                             help="write packwatch's status line, hooks and MCP entry into an agent's settings")
    _common(install, nested=True)
    install.add_argument("target", metavar="AGENT", choices=("claude-code", "codex"), help="claude-code or codex")
    install.add_argument("--uninstall", action="store_true", help="take packwatch's entries out again")
    install.add_argument("--mcp", action="store_true", help="also register `packwatch mcp` as an MCP server")
    mcp = sub.add_parser("mcp", help="an MCP server over stdio with read-only tools (spend, quota, circuits...)")
    _common(mcp, nested=True)
