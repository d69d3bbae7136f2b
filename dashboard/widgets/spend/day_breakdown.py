"""One day's spend by provider, model, agent program (each with its subagents under it) and session, and
by 5-hour block for the subscription agents."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from dashboard import numbers
from ledger.text import one_line
from ledger.views.spend import BreakdownRow, DayBreakdown

from ..pane import Pane

KEY_WIDTH = 18
TWO_COLUMNS_MIN_WIDTH = 52  # narrower: the four tables stack


class DayBreakdownPane(Pane):
    PANE_TITLE = "Day"
    COMPONENT_CLASSES = {"breakdown--heading", "breakdown--unpriced"}
    DEFAULT_CSS = """
    DayBreakdownPane { overflow-y: auto; }
    DayBreakdownPane > Static { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._breakdown: DayBreakdown | None = None

    def compose(self) -> ComposeResult:
        yield Static("select a day", id="breakdown-tables")

    def on_resize(self, _event: events.Resize) -> None:
        if self._breakdown is not None:
            self.show_day(self._breakdown)

    def _table(self, title: str, rows: list[BreakdownRow]) -> Table:
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), show_edge=False, expand=True,
                      header_style=self.style_of("breakdown--heading"))
        table.add_column(title, no_wrap=True, overflow="ellipsis", min_width=10, max_width=KEY_WIDTH, ratio=1)
        table.add_column("cost", justify="right", no_wrap=True)
        table.add_column("req", justify="right", no_wrap=True)
        for row in rows:
            cost = numbers.usd(row.cost_usd)
            if row.unpriced_requests and row.unpriced_requests == row.requests:
                cost = "unpriced"
            style = self.style_of("breakdown--unpriced") if row.unpriced_requests else ""
            key = f"  {one_line(row.key)}" if row.depth else one_line(row.key)  # a subagent, under its program
            table.add_row(Text(key), cost, numbers.count(row.requests), style=style)
        return table

    def show_day(self, breakdown: DayBreakdown) -> None:
        self._breakdown = breakdown
        self.border_title = f"{breakdown.date:%a %d %b %Y} · {numbers.usd(breakdown.cost_usd)}"
        self.border_subtitle = f"{breakdown.session_count} sessions"
        if not breakdown.providers:
            self.query_one("#breakdown-tables", Static).update("no requests that day")
            return
        tables = [self._table("provider", breakdown.providers), self._table("model", breakdown.models),
                  self._table("agent", breakdown.agents), self._table("session", breakdown.sessions)]
        if breakdown.blocks:  # Claude Code's and Codex's 5-hour windows, as ccusage's blocks
            tables.append(self._table("5-hour block", breakdown.blocks))
        columns = 2 if self.content_size.width >= TWO_COLUMNS_MIN_WIDTH else 1
        grid = Table.grid(expand=True, padding=(0, 2))
        for _ in range(columns):
            grid.add_column(ratio=1)
        for i in range(0, len(tables), columns):
            grid.add_row(*tables[i:i + columns])
        self.query_one("#breakdown-tables", Static).update(grid)
