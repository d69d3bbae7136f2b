"""Spend per scope (all, then each provider): today against the daily budget, month to date."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from dashboard import numbers
from ledger.text import one_line
from ledger.views.budgets import SpendLine
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
        if not wide:
            total = next((s for s in self._overview.spend if s.scope == "all"), None)
            if total is not None:
                text.append(f"\nmonth to date {numbers.usd(total.cost_month)}", style=heading)
        self.query_one("#spend-lines", Static).update(text)

    def _line(self, line: SpendLine, wide: bool) -> Text:
        text = Text(f"{one_line(line.scope)[:10]:<10}{numbers.usd(line.cost_today):>9} ")
        if line.percent is None:
            text.append(f"{'no budget':<{BAR_CELLS + 5}}", style=self.style_of("spend--track"))
        else:
            filled = min(BAR_CELLS, round(BAR_CELLS * line.percent / 100))
            text.append("█" * filled, style=self.style_of(f"spend--{line.level}"))
            text.append("░" * (BAR_CELLS - filled), style=self.style_of("spend--track"))
            text.append(f"{numbers.percent(line.percent):>5}", style=self.style_of(f"spend--{line.level}"))
        if wide:
            text.append(f"{numbers.usd(line.cost_month):>10}")
        return text
