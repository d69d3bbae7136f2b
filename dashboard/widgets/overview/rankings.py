"""Model rankings: speed, cost, reliability and the balanced score, sortable by any column."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from dashboard import numbers
from dashboard.tables import Cell, Table, number, sync_rows
from ledger.views.overview import Overview
from ledger.views.rankings import ModelRank

from ..pane import Pane


@dataclass(frozen=True)
class RankColumn:
    key: str
    label: str
    best_first_descending: bool
    """The order that puts the best model on top: more requests, higher score, lower latency…"""


COLUMNS = [
    RankColumn("model", "model", False),
    RankColumn("provider", "provider", False),
    RankColumn("requests", "req", True),
    RankColumn("success", "ok%", True),
    RankColumn("p50", "p50", False),
    RankColumn("p95", "p95", False),
    RankColumn("tok_s", "tok/s", True),
    RankColumn("usd_1k", "$/1k", False),
    RankColumn("score", "score", True),
]
BY_KEY = {c.key: c for c in COLUMNS}


class RankingsPane(Pane, can_focus=False):
    PANE_TITLE = "Model rankings"
    DEFAULT_CSS = """
    RankingsPane > DataTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sort_column = "score"
        self.sort_descending = True

    def compose(self) -> ComposeResult:
        table: DataTable = Table(cursor_type="row", id="rankings-table")
        table.tooltip = "$/1k: USD per 1,000 output tokens. Click a header (or press s) to sort."
        for column in COLUMNS:
            table.add_column(column.label, key=column.key)
        table.show_cursor = False
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self._label_headers()

    # The row cursor only means something while the table has focus; unfocused it would hide
    # the first row's colours.
    def on_descendant_focus(self) -> None:
        self.query_one(DataTable).show_cursor = True

    def on_descendant_blur(self) -> None:
        self.query_one(DataTable).show_cursor = False

    def show(self, overview: Overview) -> None:
        table = self.query_one(DataTable)
        sync_rows(table, {f"{r.provider}/{r.model}": self._cells(r) for r in overview.rankings})
        self._sort()

    def cycle_sort(self, step: int = 1) -> None:
        """The next column, in its best-first order (the ``s`` key)."""
        keys = [c.key for c in COLUMNS]
        column = BY_KEY[keys[(keys.index(self.sort_column) + step) % len(keys)]]
        self.sort_by(column.key, column.best_first_descending)

    def sort_by(self, key: str, descending: bool) -> None:
        self.sort_column, self.sort_descending = key, descending
        self._label_headers()
        self._sort()
        self.border_subtitle = f"sorted by {BY_KEY[key].label} {'▼' if descending else '▲'}"

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_column:  # a second click flips the direction
            self.sort_by(key, not self.sort_descending)
        else:
            self.sort_by(key, BY_KEY[key].best_first_descending)

    def _sort(self) -> None:
        table = self.query_one(DataTable)
        # Missing values stay last in both directions; ties fall back to the model name.
        table.sort(
            self.sort_column, "model",
            key=lambda cells: (cells[0].sort_key[0], _signed(cells[0], self.sort_descending), cells[1].value),
        )

    def _label_headers(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            arrow = (" ▼" if self.sort_descending else " ▲") if column.key == self.sort_column else ""
            table.columns[column.key].label = Text(column.label + arrow)  # type: ignore[index]
        table.refresh()

    @staticmethod
    def _cells(rank: ModelRank) -> list[Cell]:
        return [
            Cell(rank.model),
            Cell(rank.provider),
            number(f"{rank.requests:,}", rank.requests),
            number(numbers.fraction(rank.success_rate, digits=1), rank.success_rate),
            number(numbers.millis(rank.latency_p50_ms), rank.latency_p50_ms),
            number(numbers.millis(rank.latency_p95_ms), rank.latency_p95_ms),
            number("—" if rank.output_tokens_per_s is None else f"{rank.output_tokens_per_s:,.0f}",
                   rank.output_tokens_per_s),
            number(numbers.usd(rank.usd_per_1k_output), rank.usd_per_1k_output),
            number(f"{rank.score:.2f}", rank.score),
        ]


def _signed(cell: Cell, descending: bool) -> object:
    """A sort value that puts the chosen direction first without reversing the None-last rule."""
    value = cell.value
    if value is None:
        return 0
    if isinstance(value, int | float):
        return -value if descending else value
    return _Reversed(value) if descending else value


class _Reversed:
    """Orders strings backwards, for a descending text column."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value
