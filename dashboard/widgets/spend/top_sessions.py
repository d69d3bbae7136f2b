"""The most expensive sessions of the Spend screen's range."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.widgets import DataTable

from dashboard import numbers
from dashboard.tables import Cell, Table, number, sync_rows
from ledger.views.spend import SpendReview

from ..pane import Pane


class TopSessionsPane(Pane, can_focus=False):
    PANE_TITLE = "Most expensive sessions"
    DEFAULT_CSS = """
    TopSessionsPane > DataTable { height: 1fr; overflow-x: hidden; }
    """

    def compose(self) -> ComposeResult:
        table: DataTable = Table(cursor_type="row", id="top-sessions-table")
        for key, label in (("session", "session"), ("agent", "agent"), ("cost", "cost"), ("requests", "req"),
                           ("when", "when"), ("models", "models")):
            table.add_column(label, key=key)
        table.show_cursor = False
        yield table

    def show_review(self, review: SpendReview) -> None:
        self.border_subtitle = f"last {len(review.days)} days"
        rows = {}
        for s in review.top_sessions:
            rows[s.session] = [
                Cell(s.session[:22], s.session),
                Cell(s.agent, s.agent),
                number(numbers.usd(s.cost_usd), s.cost_usd),
                number(numbers.count(s.requests), s.requests),
                Cell(_when(s.first_seen, review.now), s.first_seen),
                Cell(s.models, s.models),
            ]
        table = self.query_one(DataTable)
        if list(rows) == [key.value for key in table.rows]:
            sync_rows(table, rows)
        else:  # the ranking changed: rows must follow it
            table.clear()
            for key, cells in rows.items():
                table.add_row(*cells, key=key)


def _when(moment: dt.datetime, now: dt.datetime) -> str:
    return moment.strftime("%H:%M") if moment.date() == now.date() else moment.strftime("%d %b %H:%M")
