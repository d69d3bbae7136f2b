"""Daily use against budgets (DESIGN.md): cost today ÷ the daily budget, this month ÷ the monthly
one, and the alert level that use has reached (50/75/90/100 % by default)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ..settings import Settings
from .burn import Totals

AlertLevel = Literal["ok", "info", "warning", "critical", "exceeded"]  # <50, 50, 75, 90, 100 %


class SpendLine(BaseModel):
    scope: str
    """``all`` or a provider."""
    cost_today: float
    budget_daily: float | None
    percent: float | None
    level: AlertLevel
    cost_month: float
    budget_monthly: float | None = None


def alert_level(percent: float | None, levels: list[int]) -> AlertLevel:
    if percent is None:
        return "ok"
    names: list[AlertLevel] = ["info", "warning", "critical", "exceeded"]
    level: AlertLevel = "ok"
    for threshold, name in zip(sorted(levels), names, strict=False):
        if percent >= threshold:
            level = name
    return level


def spend_lines(settings: Settings, totals: dict[str | None, Totals]) -> list[SpendLine]:
    """Cost today and this month, overall and per provider, against the budgets."""
    scopes = [("all", totals[None].cost_today, totals[None].cost_month)] + sorted(
        ((p, t.cost_today, t.cost_month) for p, t in totals.items() if p is not None),
        key=lambda r: (-r[1], r[0]))
    lines = []
    for scope, today, month in scopes:
        budget = settings.budgets.get(scope)
        daily = budget.daily_usd if budget else None
        monthly = budget.monthly_usd if budget else None
        percent = max((p for p in (_pct(today, daily), _pct(month, monthly)) if p is not None), default=None)
        lines.append(SpendLine(scope=scope, cost_today=today, budget_daily=daily,
                               percent=percent, level=alert_level(percent, settings.alert_levels),
                               cost_month=month, budget_monthly=monthly))
    return lines


def _pct(value: float, budget: float | None) -> float | None:
    return 100 * value / budget if budget else None
