"""``packwatch status``: what the panes show, once; exit 0 normal, 10 warning, 11 a limit reached."""

from __future__ import annotations

import argparse
import json

from collectors.refresh import Refresher
from ledger.settings import Settings
from ledger.text import one_line, printable
from ledger.views.limits import describe
from ledger.views.overview import Overview

from .common import UsageError, report_missing, scope_of, stderr_progress, warn


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from .team_choice import team_of, team_scope

    team = team_of(args, settings)
    if team is None:
        scope, refresher = scope_of(args), Refresher(settings)
    else:  # (the team store's modules load only for it)
        from collectors.team_refresh import TeamRefresher

        scope, refresher = team_scope(args), TeamRefresher(settings, team)
    refresher.progress = stderr_progress()
    if refresher.controls.warning:
        warn(refresher.controls.warning)
    busy = refresher.open()
    if busy:
        warn(busy.replace("reading the ledgers into memory instead", "reading the ledgers directly this time"))
    try:
        result = refresher.run(force=True, scope=scope)
    finally:
        refresher.close() if team else refresher.store.close()
    if getattr(refresher, "problem", None):
        raise UsageError(refresher.problem)  # (this machine's store caught up all the same)
    report_missing(result.catch_up)
    view = result.overview
    if args.json:
        print(json.dumps({**view.model_dump(mode="json"), "exit_code": view.status_code}, indent=2))
        return view.status_code
    print(printable(status_text(view)))  # names from files: never a terminal escape
    return view.status_code


def status_text(view: Overview) -> str:
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
    for lim in view.limits:
        lines.append(f"limit {one_line(describe(lim))} ({lim.percent:.0f}%)"
                     f"{' [' + lim.level + ']' if lim.level != 'ok' else ''}")
    for q in view.quota:
        state = "reset" if q.reset else f"{q.used_percent:.0f}%"
        pace = f", 100% at {q.full_at.astimezone():%H:%M} at this pace" if q.full_at else ""
        kind = " (estimated)" if q.source == "estimated" else ""
        lines.append(f"quota {one_line(q.agent)} {one_line(q.window)}{kind}: {state}, "
                     f"resets {q.resets_at.astimezone():%Y-%m-%d %H:%M}{pace}")
    for c in view.circuits:
        if c.state != "CLOSED":
            lines.append(f"circuit {c.provider}: {c.state}" + (f" ({c.last_error})" if c.last_error else ""))
    for r in view.recommendations[:3]:
        lines.append(f"[{r.priority}] {r.message}")
    return "\n".join(lines)
