"""Names and texts from files reach every screen and every printed output as plain text: a model name
holding terminal escapes cannot blank the screen or retitle the terminal, ``[red]`` is not markup, and an
error text with ``\\r\\n`` stays on its row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable

from ledger.settings import Settings, load_settings
from tests.support.cli import packwatch
from tests.support.pilot import FIXED, TZ, WIDE, make_app, wait_for_overview, wait_until

pytestmark = pytest.mark.anyio

ESCAPES = "\x1b[2J\x1b]0;PWNED\x07"


def hostile_ledger(folder: Path) -> Path:
    ledger = folder / "agent" / "usage.jsonl"
    ledger.parent.mkdir(parents=True)
    lines = []
    for i in range(6):
        ts = FIXED.replace(minute=20 + i).isoformat()
        lines.append({"ts": ts, "provider": "[red]evil[/red]", "model": f"glm{ESCAPES}", "in": 100, "out": 10,
                      "latency": 900, "session": f"s{ESCAPES}", "status": 500, "error": "boom\r\nsecond line"})
    ledger.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return ledger


@pytest.fixture
def hostile(tmp_path: Path) -> Settings:
    return load_settings(ledgers=[hostile_ledger(tmp_path)], db=tmp_path / "store.duckdb", timezone=TZ)


async def test_escapes_and_markup_from_a_file_show_as_plain_text(hostile: Settings) -> None:
    app = make_app(hostile)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        shot = app.export_screenshot()
        assert "\x1b" not in shot and "\x07" not in shot and "PWNED\x07" not in shot
        assert "[red]evil" in shot  # shown as typed, not taken for markup
        circuits = app.screen.query_one("#circuits-table", DataTable)
        await wait_until(pilot, lambda: circuits.row_count == 1)
        cells = [str(c) for c in circuits.get_row_at(0)]
        assert any("boom second line" in c for c in cells), repr(cells)
        assert not any("\n" in c or "\r" in c for c in cells)


def test_printed_outputs_carry_no_escape(tmp_path: Path) -> None:
    ledger = hostile_ledger(tmp_path)
    flags = ["--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb")]
    for args in (["status"], ["report", "--format", "table"], ["report", "--format", "md"],
                 ["report", "--format", "csv", "--by", "model"], ["rejected"], ["control", "show"]):
        out = packwatch(*args, *flags)
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout, args
    md = packwatch("report", "--format", "md", *flags).stdout
    assert all(row.count(" | ") == row.count("|") - 2 - row.count("\\|") for row in md.splitlines()
               if row.startswith("| ") and "evil" in row)


def test_csv_cells_are_never_formulas(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(json.dumps({"ts": FIXED.isoformat(), "provider": "x", "model": "=HYPERLINK(\"http://e\")",
                                  "in": 1, "out": 1, "session": "@SUM(A1)"}) + "\n")
    flags = ["--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb"), "--format", "csv"]
    models = packwatch("report", "--by", "model", *flags, check=True).stdout
    assert "'=HYPERLINK" in models and "\n=HYPERLINK" not in models
    sessions = packwatch("report", "--by", "session", *flags, check=True).stdout
    assert "'@SUM(A1)" in sessions
