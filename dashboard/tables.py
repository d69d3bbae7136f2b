"""Keyed, diffing updates for DataTables: only changed cells are touched, so a refresh
never clears a table (no flicker, cursor and scroll position stay where the user left them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from ledger.text import one_line

_SAME_AS_TEXT = object()


class Cell(Text):
    """Text that remembers the value it shows, so sorting is numeric, not alphabetical."""

    def __init__(
        self, text: str, value: Any = _SAME_AS_TEXT, *, style: Style | str = "", justify: str = "left"
    ) -> None:
        # Data from files is shown as plain text, on one line: never an escape sequence or markup.
        super().__init__(one_line(text), style=style, justify=justify)  # type: ignore[arg-type]
        self.value = text.lower() if value is _SAME_AS_TEXT else value

    @property
    def sort_key(self) -> tuple[int, Any]:
        # Missing values (None) sort after every real one, whichever the direction.
        return (1, 0) if self.value is None else (0, self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and super().__eq__(other) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]


class Table(DataTable):
    """A DataTable that repaints every row when measuring its rows changed a column's width.

    Textual measures new rows when the table goes idle and caches rendered lines under a counter
    that measuring does not move, so lines painted before that kept the old column widths
    ("$57." for "$57.44") until something else touched them: the cursor's row was right, the
    rest stayed cut."""

    _measured: tuple[int, ...] = ()

    def _update_dimensions(self, new_rows: Any) -> None:
        super()._update_dimensions(new_rows)
        widths = tuple(column.get_render_width(self) for column in self.columns.values())
        if widths != self._measured:  # widths change in this pass, or just before it (updated cells)
            self._measured = widths
            self._update_count += 1  # part of every render cache key
            self.refresh()


def number(text: str, value: float | int | None, style: Style | str = "") -> Cell:
    return Cell(text, value, style=style, justify="right")


def sync_rows(table: DataTable, rows: Mapping[str, Sequence[Cell]]) -> None:
    """Make ``table`` hold exactly ``rows`` (row key -> cells in column order)."""
    existing = {key.value for key in table.rows}
    columns = list(table.columns)
    with table.app.batch_update():
        for key in existing - rows.keys():
            table.remove_row(key)
        for key, cells in rows.items():
            if key not in existing:
                table.add_row(*cells, key=key)
                continue
            for column, cell in zip(columns, cells, strict=True):
                if table.get_cell(key, column) != cell:
                    table.update_cell(key, column, cell, update_width=True)
