"""The Spend screen's day table: one row per local day, newest first; moving the cursor selects
the day whose breakdown is shown."""

from __future__ import annotations

from textual.widgets import DataTable

from dashboard import numbers
from dashboard.tables import Cell, Table, number, sync_rows
from ledger.views.spend import SpendReview


class SpendDaysTable(Table):
    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {"spend-days--over", "spend-days--idle"}
    DEFAULT_CSS = """
    SpendDaysTable { height: 1fr; }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.border_title = "Days"
        for key, label in (("day", "day"), ("cost", "cost"), ("budget", "budget"), ("requests", "req"),
                           ("tokens", "tokens")):
            self.add_column(label, key=key)

    def show(self, review: SpendReview) -> None:
        over = self.get_component_rich_style("spend-days--over", partial=True)
        idle = self.get_component_rich_style("spend-days--idle", partial=True)
        rows = {}
        for day in reversed(review.days):
            style = over if review.budget_daily and day.cost_usd > review.budget_daily else ""
            label = day.date.strftime("%a %d %b")
            if day.unpriced_requests:
                label += " *"  # some requests are unpriced: the cost is a lower bound
            percent = 100 * day.cost_usd / review.budget_daily if review.budget_daily else None
            rows[day.date.isoformat()] = [
                Cell(label, day.date, style=idle if not day.requests else ""),
                number(numbers.usd(day.cost_usd), day.cost_usd, style),
                number(numbers.percent(percent), percent, style),
                number(numbers.count(day.requests), day.requests),
                number(numbers.tokens(day.tokens), day.tokens),
            ]
        if list(rows) != [key.value for key in self.rows]:  # a new day or range: rebuild, keep the day
            selected = self.selected_day()
            self.clear()
            for key, cells in rows.items():
                self.add_row(*cells, key=key)
            if selected in rows:
                self.move_cursor(row=list(rows).index(selected))
        else:
            sync_rows(self, rows)  # the same days: touch only changed cells
        self.border_subtitle = f"{len(review.days)} days · * = some requests unpriced" \
            if any(d.unpriced_requests for d in review.days) else f"{len(review.days)} days"

    def selected_day(self) -> str | None:
        """The ISO date under the cursor, if any."""
        if not self.row_count:
            return None
        key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return key.value
