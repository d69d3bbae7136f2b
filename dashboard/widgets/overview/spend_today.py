"""Spend per scope (all, then each provider): today against the daily budget, month to date; then the
hourly and per-task limits in force (the task nearest each)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from dashboard import numbers
from ledger.text import one_line
from ledger.views.budgets import SpendLine
from ledger.views.limits import LimitLine
from ledger.views.overview import Overview

from ..pane import Pane

BAR_CELLS = 8
WIDE_ENOUGH_FOR_MONTH = 44  # below this the month-to-date column moves to a line of its own


class SpendPane(Pane):
    PANE_TITLE = "Spend today"
    COMPONENT_CLASSES = {
        "spend--heading", "spend--ok", "spend--info", "spend--warning", "spend--critical", "spend--exceeded",
        "spend--track",
    }
    DEFAULT_CSS = """
    SpendPane { overflow-y: auto; }
    SpendPane > Static { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._overview: Overview | None = None

    def compose(self) -> ComposeResult:
        yield Static("—", id="spend-lines")

    def show(self, overview: Overview) -> None:
        self._overview = overview
        self._render_lines()

    def on_resize(self, _event: events.Resize) -> None:
        self._render_lines()  # the month column comes and goes with the width

    def _render_lines(self) -> None:
        if self._overview is None:
            return
        wide = self.content_size.width >= WIDE_ENOUGH_FOR_MONTH
        heading = self.style_of("spend--heading")
        text = Text(f"{'scope':<10}{'today':>9} {'budget':<{BAR_CELLS + 5}}", style=heading)
        if wide:
            text.append(f"{'month':>10}", style=heading)
        for line in self._overview.spend:
            text.append("\n")
            text.append_text(self._line(line, wide))
        for limit in self._overview.limits:
            text.append("\n")
            text.append_text(self._limit(limit, wide))
        if not wide:
            total = next((s for s in self._overview.spend if s.scope == "all"), None)
            if total is not None:
                text.append(f"\nmonth to date {numbers.usd(total.cost_month)}", style=heading)
        self.query_one("#spend-lines", Static).update(text)

    def _limit(self, line: LimitLine, wide: bool) -> Text:
        """An hourly or task limit: ``hour all`` / ``task all``, the amount, its bar, and the task nearest it."""
        label = {"hourly_usd": "hour", "task_usd": "task", "task_tokens": "task tok"}[line.kind]
        amount = numbers.usd(line.amount) if line.kind != "task_tokens" else numbers.tokens(int(line.amount))
        text = Text(f"{(label + ' ' + one_line(line.scope))[:10]:<10}{amount:>9} ")
        text.append_text(self._bar(line.percent, line.level))
        if line.task and wide:
            text.append(f" {one_line(line.task)[:9]}", style=self.style_of("spend--track"))
        return text

    def _bar(self, percent: float, level: str) -> Text:
        text = Text()
        filled = min(BAR_CELLS, round(BAR_CELLS * percent / 100))
        text.append("█" * filled, style=self.style_of(f"spend--{level}"))
        text.append("░" * (BAR_CELLS - filled), style=self.style_of("spend--track"))
        text.append(f"{numbers.percent(percent):>5}", style=self.style_of(f"spend--{level}"))
        return text

    def _line(self, line: SpendLine, wide: bool) -> Text:
        text = Text(f"{one_line(line.scope)[:10]:<10}{numbers.usd(line.cost_today):>9} ")
        if line.percent is None:
            text.append(f"{'no budget':<{BAR_CELLS + 5}}", style=self.style_of("spend--track"))
        else:
            text.append_text(self._bar(line.percent, line.level))
        if wide:
            text.append(f"{numbers.usd(line.cost_month):>10}")
        return text
