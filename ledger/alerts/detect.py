"""Which alerts an overview holds (seed 000 §2.3): a budget, a quota window or a provider's daily token
limit at 50 / 75 / 90 / 100 % (INFO, WARNING, CRITICAL, EMERGENCY: the configured alert levels), an
open circuit, and anomalous spend.

An alert is keyed by (scope, period, level): it is sent once per level per scope per period, and only
the highest level reached is sent (a budget found at 95 % is one CRITICAL, not three alerts). The
period is what the limit counts over: the local day, the month, the clock hour for the rolling-hour
budget and for anomalies, the task itself, a quota window's reset time, the day a circuit opened.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
from pydantic import BaseModel

from ..settings import Settings
from ..text import one_line
from ..views.budgets import alert_level
from ..views.limits import describe
from ..views.overview import Overview
from ..views.sql import rows

AlertKind = Literal["budget", "tokens", "quota", "circuit", "anomaly"]
SEVERITY = {"info": "INFO", "warning": "WARNING", "critical": "CRITICAL", "exceeded": "EMERGENCY"}
ANOMALY_DAYS = 7
ANOMALY_MIN_USD = 0.50
"""The last hour must cost at least this much to be called anomalous (pennies are never a spike)."""


class Alert(BaseModel):
    kind: AlertKind
    scope: str
    """What it is about: ``budget:all:daily``, ``quota:claude-code:five_hour``, ``circuit:anthropic``..."""
    period: str
    level: str
    """``info``, ``warning``, ``critical``, ``exceeded`` (shown INFO, WARNING, CRITICAL, EMERGENCY)."""
    percent: float | None = None
    text: str

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.level, self.level.upper())

    @property
    def key(self) -> tuple[str, str, str]:
        return self.scope, self.period, self.level


def _alert(kind: AlertKind, scope: str, period: str, percent: float | None, text: str,
           levels: list[int], level: str | None = None) -> Alert | None:
    level = level or alert_level(percent, levels)
    if level == "ok":
        return None
    return Alert(kind=kind, scope=scope, period=period, level=level, percent=percent,
                 text=f"packwatch {SEVERITY[level]}: {one_line(text)}")


def alerts_of(view: Overview, settings: Settings, anomaly: tuple[float, float] | None = None) -> list[Alert]:
    """Every alert ``view`` holds now, measured against ``settings`` (the controls laid over)."""
    levels, day, month = settings.alert_levels, view.now.date().isoformat(), view.now.strftime("%Y-%m")
    found: list[Alert | None] = []
    for s in view.spend:
        if s.budget_daily:
            found.append(_alert("budget", f"budget:{s.scope}:daily", day, 100 * s.cost_today / s.budget_daily,
                                f"{s.scope} budget at {100 * s.cost_today / s.budget_daily:.0f}% "
                                f"(${s.cost_today:,.2f} of ${s.budget_daily:,.2f} today)", levels))
        if s.budget_monthly:
            found.append(_alert("budget", f"budget:{s.scope}:monthly", month,
                                100 * s.cost_month / s.budget_monthly,
                                f"{s.scope} budget at {100 * s.cost_month / s.budget_monthly:.0f}% "
                                f"(${s.cost_month:,.2f} of ${s.budget_monthly:,.2f} this month)", levels))
    for lim in view.limits:
        kind = lim.kind.removesuffix("_usd")
        scope = f"budget:{lim.scope}:{kind}" + (f":{lim.task}" if lim.task else "")
        period = view.now.strftime("%Y-%m-%dT%H") if lim.kind == "hourly_usd" else "task"
        found.append(_alert("budget", scope, period, lim.percent, f"{describe(lim)} ({lim.percent:.0f}%)", levels))
    for p in view.burn.providers:
        if p.usage_percent is not None and p.daily_limit:
            found.append(_alert("tokens", f"tokens:{p.provider}", day, p.usage_percent,
                                f"{p.provider} at {p.usage_percent:.0f}% of its daily token limit "
                                f"({p.tokens_today:,} of {p.daily_limit:,})", levels))
    for q in view.quota:
        if not q.reset:
            found.append(_alert("quota", f"quota:{q.agent}:{q.window}", q.resets_at.isoformat(), q.used_percent,
                                f"{q.agent} {q.window.replace('_', '-')} quota at {q.used_percent:.0f}% "
                                f"(resets {q.resets_at.astimezone(view.now.tzinfo):%H:%M})", levels))
    for c in view.circuits:
        if c.state == "OPEN":
            since = (c.since or view.now).astimezone(view.now.tzinfo)
            why = f": {c.last_error}" if c.last_error else ""
            found.append(_alert("circuit", f"circuit:{c.provider}", since.isoformat(timespec="seconds"), None,
                                f"circuit open for {c.provider} since {since:%H:%M}{why}", levels,
                                level="critical"))
    if anomaly is not None:
        found.append(_anomaly(view, settings, *anomaly))
    return [a for a in found if a is not None]


def _anomaly(view: Overview, settings: Settings, last_hour: float, mean_hour: float) -> Alert | None:
    factor = settings.alerts.anomaly_factor
    if last_hour < ANOMALY_MIN_USD or mean_hour <= 0 or last_hour < factor * mean_hour:
        return None
    return _alert("anomaly", "anomaly:all", view.now.strftime("%Y-%m-%dT%H"), None,
                  f"anomalous spend: ${last_hour:,.2f} in the last hour, {last_hour / mean_hour:.1f}x the "
                  f"hourly mean of the last {ANOMALY_DAYS} days (${mean_hour:,.2f})", [], level="warning")


def spend_pace(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> tuple[float, float]:
    """(USD in the last 60 minutes, mean USD per hour over the 7 days before that hour), from the hourly
    rollup for the week and the priced rows for the last hour."""
    found = rows(cur, f"""
        SELECT (SELECT coalesce(sum(cost_usd), 0) FROM usage_v WHERE ts > $now - INTERVAL 60 MINUTE AND ts <= $now),
               (SELECT coalesce(sum(cost_usd), 0) FROM usage_hourly
                WHERE hour >= $now - INTERVAL {ANOMALY_DAYS} DAY AND hour < $now - INTERVAL 60 MINUTE)""",
                 {"now": now})
    last, week = found[0]
    return float(last), float(week) / (ANOMALY_DAYS * 24)
