"""The dashboard's tables show whole values, however early their lines were first painted."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult

from dashboard.tables import Table

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield Table()


async def shown_after(change: Callable[[Table], None]) -> str:
    """The screen's text once ``change`` was painted before the table measured it, as a busy
    machine does. A plain DataTable keeps those lines at the old widths ("$9.9" for "$10.01")
    until something else repaints them."""
    app = OneTable()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(Table)
        table.add_column("model", key="model")
        table.add_column("cost", key="cost")
        table.add_row("model-0", "$0", key="0")
        await pilot.pause()
        change(table)
        for y in range(table.row_count + 1):
            table.render_line(y)
        await pilot.pause()
        return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))


async def test_new_rows_are_shown_whole() -> None:
    shown = await shown_after(lambda table: [table.add_row(f"model-{i}", "$57.44") for i in range(1, 6)])
    assert shown.count("$57.44") == 5


async def test_a_value_that_grew_wider_is_shown_whole() -> None:
    def every_cost_crosses_ten_dollars(table: Table) -> None:
        table.update_cell("0", "cost", "$10.01", update_width=True)
        for i in range(1, 6):
            table.add_row(f"model-{i}", "$10.02")

    shown = await shown_after(every_cost_crosses_ten_dollars)
    assert shown.count("$10.01") == 1 and shown.count("$10.02") == 5
