"""``packwatch control``: steer the agent from a script (budgets, failover, compaction, review-only,
enforcement) and show the controls with what the agent made of each change."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ledger.control.channel import ControlChannel
from ledger.control.model import ControlBusy, ControlError
from ledger.control.status import change_statuses
from ledger.settings import Settings
from ledger.text import printable

from .common import UsageError, open_caught_up, warn


def cmd_control(args: argparse.Namespace, settings: Settings) -> int:
    channel = ControlChannel(settings.control_dir)
    verb = args.control_command
    if verb == "show":
        return _control_show(args, settings, channel)
    if verb == "budget" and getattr(args, "team", None):
        from .team import set_team_budget_cmd

        return set_team_budget_cmd(args, settings)
    try:
        if verb == "review-only":
            change = channel.set_review_only(args.state == "on")
        elif verb == "budget":
            change = channel.set_budget(args.provider, daily_usd=args.daily_usd, monthly_usd=args.monthly_usd,
                                        daily_tokens=args.daily_tokens, hourly_usd=args.hourly_usd,
                                        task_usd=args.task_usd, task_tokens=args.task_tokens, clear=args.clear)
        elif verb == "failover":
            change = channel.set_failover(args.source, None if args.clear else args.to)
        elif verb == "compact":
            change = channel.request_compaction(args.session)
        else:
            if not 0 < args.level <= 1000:
                raise UsageError("the level is a percentage of the budget, 1 to 1000")
            change = channel.set_enforcement(args.level, None if args.policy == "off" else args.policy)
    except ControlBusy as exc:
        warn(str(exc))
        return 1
    except ControlError as exc:
        raise UsageError(str(exc)) from None
    print(f"{change.action} {change.key}: {_short(change.old)} -> {_short(change.new)} "
          f"(id {change.id}, pending until the agent acknowledges it)")
    return 0


def _short(value: Any) -> str:
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    return json.dumps(value, separators=(",", ":"))


def say(text: str) -> None:
    """A line of ``control show``: the names and reasons in it came from files (never an escape)."""
    print(printable(text))


def _control_show(args: argparse.Namespace, settings: Settings, channel: ControlChannel) -> int:
    state = channel.read()
    if state.warning:
        warn(state.warning)
    store, result = open_caught_up(settings)
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
    say(f"controls in {channel.path} (revision {c.revision})")
    say(f"  review-only: {'ON' if c.review_only else 'off'}")
    for scope, b in sorted(c.budgets.items()):
        parts = [f"${b.daily_usd:,.2f}/day" if b.daily_usd is not None else "",
                 f"${b.monthly_usd:,.2f}/month" if b.monthly_usd is not None else "",
                 f"{b.daily_tokens:,} tokens/day" if b.daily_tokens is not None else "",
                 f"${b.hourly_usd:,.2f}/hour" if b.hourly_usd is not None else "",
                 f"${b.task_usd:,.2f}/task" if b.task_usd is not None else "",
                 f"{b.task_tokens:,} tokens/task" if b.task_tokens is not None else ""]
        say(f"  budget {scope}: {', '.join(p for p in parts if p)}")
    for source, target in sorted(c.failovers.items()):
        say(f"  failover: {source} -> {target}")
    if c.compaction:
        say(f"  compaction requested {c.compaction.requested_at} (id {c.compaction.id})")
    say("  enforcement: " + ", ".join(f"{p} at {lvl}%" for lvl, p in c.enforcement.items()))
    for s in statuses:
        ch = s.change
        why = f": {s.reason}" if s.reason else ""
        say(f"{ch.ts}  {ch.id}  {ch.action:<12} {ch.key:<24} {_short(ch.new):<28} {s.state}{why}")
    if not statuses:
        say("no changes yet")
    return 0
