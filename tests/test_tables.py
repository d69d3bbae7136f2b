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
        shown = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
        # A plain DataTable shows "$57." on every row until something else repaints it.
        assert shown.count("$57.44") == 5
