"""The summary beside the ledger (``packwatch-summary.json``) that the status line, the hooks and
the MCP server read instead of the store: today's and this month's spend per scope, the config's
budgets, the quota windows, review-only, health. Written after every overview (the dashboard,
``packwatch status``) and after every batch of ``packwatch collect``, atomically.

Shape (version 1)::

    {"version": 1, "written_at": ISO, "date": "YYYY-MM-DD" (local), "timezone": str,
     "spend": {scope: {"cost_today", "cost_month", "tokens_today", "cost_hour"}},  # hour: last 60 min
     "budgets": {scope: {"daily_usd"?, "monthly_usd"?, "hourly_usd"?, "task_usd"?, "task_tokens"?}},
                                                              # the config file's, before control.json
     "tasks": {task: {"agent", "cost_usd", "tokens", "last_seen", "providers": {p: [usd, tokens]}}},
                                                              # the last day's tasks (sessions), this month's rows
     "alert_levels": [50, 75, 90, 100], "review_only": bool, "health": str, "usd_per_hour": float,
     "quota": [{"agent", "window", "used_percent", "resets_at", "source", "window_minutes", "full_at"}]}

The light readers lay control.json's budgets over ``budgets`` themselves, so a budget changed since
the summary was written counts at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.agent.small_files import summary_path, write_json
from ledger.clock import now_iso
from ledger.control.model import Controls
from ledger.settings import Settings
from ledger.views.overview import Overview

VERSION = 1
BUDGET_KEYS = ("daily_usd", "monthly_usd", "hourly_usd", "task_usd", "task_tokens")


def summary_of(overview: Overview, settings: Settings, controls: Controls) -> dict[str, Any]:
    tokens = {p.provider: p.tokens_today for p in overview.burn.providers}
    short = overview.short
    spend = {s.scope: {"cost_today": round(s.cost_today, 6), "cost_month": round(s.cost_month, 6),
                       "tokens_today": sum(tokens.values()) if s.scope == "all" else tokens.get(s.scope, 0),
                       "cost_hour": round(short.hour_of(s.scope), 6)}
             for s in overview.spend}
    budgets = {scope: {k: getattr(b, k) for k in BUDGET_KEYS if getattr(b, k) is not None}
               for scope, b in settings.budgets.items()}
    tasks = {t.task: {"agent": t.agent, "cost_usd": round(t.cost_usd, 6), "tokens": t.tokens,
                      "last_seen": t.last_seen.isoformat(),
                      "providers": {p: [round(c, 6), n] for p, (c, n) in t.providers.items()}}
             for t in short.tasks}
    return {
        "version": VERSION, "written_at": now_iso(), "date": overview.now.date().isoformat(),
        "timezone": overview.timezone, "spend": spend, "budgets": {k: v for k, v in budgets.items() if v},
        "tasks": tasks, "alert_levels": controls.alert_levels or settings.alert_levels,
        "review_only": controls.review_only,
        "health": overview.health, "usd_per_hour": round(overview.burn.windows[-1].usd_per_hour, 4),
        "quota": [{**q.model_dump(mode="json"), "window_minutes": q.window_minutes,
                   "full_at": q.full_at.isoformat() if q.full_at else None} for q in overview.quota],
    }


def write_summary(folder: Path, overview: Overview, settings: Settings, controls: Controls) -> str | None:
    """Write the summary; a one-line reason when the folder cannot take it (never raises). No folder yet
    (the agent has not run): nothing reads a summary there, and packwatch never makes an agent's folder."""
    if not folder.is_dir():
        return None
    try:
        write_json(summary_path(folder), summary_of(overview, settings, controls))
    except OSError as exc:
        return f"cannot write the summary in {folder}: {exc.strerror or exc}"
    return None
