"""The dashboard's tables show whole values, whenever their rows were first painted."""

from __future__ import annotations

import html
import re

import pytest
from textual.app import App, ComposeResult

from dashboard.tables import Table

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def screen_text(app: App) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield Table()


async def test_rows_painted_before_they_were_measured_are_repainted_whole() -> None:
    app = OneTable()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(Table)
        table.add_column("day", key="day")
        table.add_column("cost", key="cost")
        await pilot.pause()
        for i in range(5):
            table.add_row(f"Wed {i}", "$57.44", key=str(i))
        for y in range(6):  # a paint before the table measures its new rows, as on a busy machine
            table.render_line(y)
        await pilot.pause()
        # A plain DataTable shows "$57." on every row until something else repaints it.
        assert screen_text(app).count("$57.44") == 5


async def test_a_value_that_grew_wider_is_shown_whole() -> None:
    app = OneTable()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(Table)
        table.add_column("model", key="model")
        table.add_column("cost", key="cost")
        for i in range(5):
            table.add_row(f"model-{i}", "$9.99", key=str(i))
        await pilot.pause()
        for i in range(5):  # the next refresh: every cost crossed $10
            table.update_cell(str(i), "cost", "$10.01", update_width=True)
        for y in range(6):
            table.render_line(y)
        await pilot.pause()
        assert screen_text(app).count("$10.01") == 5
