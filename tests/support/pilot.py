"""What the dashboard's Pilot and snapshot tests share: a seeded ledger at a frozen afternoon, the app
made on it, and waits that are bounded (an overview arrived, the tables measured, a condition held)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static

from dashboard.app import PackwatchApp
from dashboard.demo.pack import write_sample
from dashboard.screens.export import ExportModal
from dashboard.screens.spend import SpendScreen
from dashboard.widgets.spend.day_breakdown import DayBreakdownPane
from ledger.agent.writer import LedgerWriter, usage_record
from ledger.settings import Budget, Settings, load_settings

TZ = "Europe/Paris"


NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo(TZ))


FIXED = NOW.replace(tzinfo=None)  # naive local time, as the sample writer wants it


WIDE, MEDIUM, COMPACT = (120, 36), (80, 24), (60, 24)




@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def frozen_clock() -> dt.datetime:
    return NOW


@pytest.fixture
def sample_ledger(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "agent", days=8, seed=7, now=FIXED)


@pytest.fixture
def sample_settings(tmp_path: Path, sample_ledger: Path) -> Settings:
    return load_settings(ledgers=[sample_ledger], db=tmp_path / "store.duckdb", timezone=TZ)


def make_app(settings: Settings, live: bool = False) -> PackwatchApp:
    return PackwatchApp(settings, clock=frozen_clock, live=live)


async def wait_for_overview(pilot: Pilot, app: PackwatchApp, after: int = 0, seconds: float = 10) -> None:
    """Until an overview newer than the ``after``-th reached the screen (bounded)."""
    for _ in range(int(seconds / 0.05)):
        if app.overviews_shown > after:
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"no overview after {seconds}s (shown {app.overviews_shown})")


async def settle(pilot: Pilot) -> None:
    """Until every table on screen has measured its rows, then a pause for the paint. Textual
    measures a DataTable's new rows when the table next goes idle; on a loaded machine a
    screenshot can land before that and show every column at its header's width. Text cursors
    stop blinking (shown), or a slow run would catch one half-way through a blink."""
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False

    def measured() -> bool:
        return not any(table._require_update_dimensions or table._updated_cells
                       for screen in pilot.app.screen_stack for table in screen.query(DataTable))

    await pilot.pause(0.1)
    await wait_until(pilot, measured, "the tables to measure their rows")


def requests_today_in(ledger: Path) -> int:
    """Counted from the file itself, so the test does not trust the code it checks."""
    today = 0
    for line in ledger.read_text().splitlines():
        ts = dt.datetime.fromisoformat(json.loads(line)["ts"])
        if ts.date() == FIXED.date() and ts <= FIXED:
            today += 1
    return today


def header_text(app: PackwatchApp) -> str:
    return str(app.screen.query_one("#reasons", Label).render())


def append_request(ledger: Path) -> None:
    ts = (FIXED - dt.timedelta(minutes=1)).isoformat()
    LedgerWriter(ledger).append(usage_record(provider="cerebras", model="glm-4.7", input_tokens=5000,
                                             output_tokens=700, latency_ms=900, ts=ts))


def write_claude_today(home: Path, responses: int) -> None:
    """Claude Code's own log under the test's HOME, with ``responses`` responses this morning."""
    from tests.support.agent_lines import append, claude

    morning = NOW.replace(hour=9).astimezone(ZoneInfo("UTC"))
    for i in range(responses):
        ts = (morning + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        append(home / ".claude" / "projects" / "-home-me-app" / "s.jsonl", claude(f"m{i}", f"r{i}", ts=ts))


def write_quota(folder: Path) -> None:
    """Claude Code's status line snapshots and a Codex window around the frozen afternoon: a 5-hour
    window whose own pace runs it out before its reset, a weekly one, and one already reset."""
    def at(hours: float) -> str:
        return (NOW + dt.timedelta(hours=hours)).astimezone(dt.UTC).isoformat()

    snapshots = [("claude-code", "five_hour", 300, -1.5, 40.0, 1.5), ("claude-code", "five_hour", 300, -0.2, 78.0, 1.5),
                 ("claude-code", "seven_day", 10080, -0.2, 35.0, 90), ("codex", "primary", 60, -2, 90.0, -1)]
    writer = LedgerWriter(folder / "quota.jsonl")
    for agent, window, minutes, when, used, resets in snapshots:
        writer.append({"ts": at(when), "agent": agent, "window": window, "window_minutes": minutes,
                       "used_percent": used, "resets_at": at(resets), "source": "agent"})


@pytest.fixture
def quota_settings(sample_settings: Settings) -> Settings:
    write_quota(sample_settings.control_dir)
    return sample_settings


@pytest.fixture
def spend_settings(sample_settings: Settings) -> Settings:
    return sample_settings.model_copy(update={"budgets": {"all": Budget(daily_usd=40, monthly_usd=900)}})


async def open_spend(pilot: Pilot, app: PackwatchApp) -> SpendScreen:
    await wait_for_overview(pilot, app)
    await pilot.press("dollar_sign")
    screen = app.screen
    assert isinstance(screen, SpendScreen)
    for _ in range(200):
        if screen.reviews_shown and screen.breakdowns_shown:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    return screen


async def wait_for_day(pilot: Pilot, screen: SpendScreen, label: str) -> DayBreakdownPane:
    pane = screen.query_one(DayBreakdownPane)
    for _ in range(200):
        if str(pane.border_title).startswith(label):
            return pane
        await pilot.pause(0.05)
    raise AssertionError(f"the breakdown never showed {label} (shows {pane.border_title})")


def rendered(widget: Static) -> str:
    """What a Static holding a Rich renderable (a table) shows, as plain text."""
    from rich.console import Console

    console = Console(width=120, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


def ledger_cost_by_provider(store_settings: Settings, day: dt.date) -> dict[str, int]:
    """Requests per raw provider on ``day``, counted from the ledger file itself."""
    counts: dict[str, int] = {}
    for line in store_settings.ledgers[0].read_text().splitlines():
        record = json.loads(line)
        if dt.datetime.fromisoformat(record["ts"]).date() == day:
            counts[record["provider"]] = counts.get(record["provider"], 0) + 1
    return counts


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def open_export(pilot: Pilot, app: PackwatchApp, target: Path) -> ExportModal:
    await open_spend(pilot, app)
    await pilot.press("e")
    modal = app.screen
    assert isinstance(modal, ExportModal)
    modal.query_one("#export-path", Input).value = str(target)
    await pilot.pause()
    return modal


def control_file(settings: Settings) -> dict:
    return json.loads((settings.control_dir / "control.json").read_text())


def strip_text(app: PackwatchApp) -> str:
    return str(app.screen_stack[0].query_one("#controls-strip", Static).render())


def seed_probes(settings: Settings) -> None:
    """A deterministic last hour of probes: anthropic healthy, openrouter down then recovering."""
    from ledger.store import Store

    rows = []
    for i in range(40):
        at = NOW - dt.timedelta(minutes=60) + dt.timedelta(seconds=90 * i + 30)
        rows.append((at, "anthropic", "http://127.0.0.1/anthropic/v1/models", 200, 180.0 + (i * 37) % 120,
                     None, None))
        down = 20 <= i < 32
        rows.append((at, "openrouter", "http://127.0.0.1/openrouter/v1/models", 500 if down else 200,
                     90.0 + (i * 53) % 200, "http_5xx" if down else None,
                     "500 Internal Server Error: Upstream provider unavailable" if down else None))
    store = Store.open(settings)
    try:
        store.record_probes(rows)
    finally:
        store.close()


@pytest.fixture
def probed_settings(sample_settings: Settings) -> Settings:
    seed_probes(sample_settings)
    return sample_settings


async def wait_until(pilot: Pilot, condition, what: str = "the condition", seconds: float = 10) -> None:
    """Until ``condition()`` holds (bounded), then one more pause so the screen catches up."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def open_providers(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, PackwatchApp)
    await wait_for_overview(pilot, app)
    await pilot.press("v")
    await wait_until(pilot, lambda: getattr(app.screen, "view", None) is not None)
    await settle(pilot)


async def open_events(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, PackwatchApp)
    await wait_for_overview(pilot, app)
    await pilot.press("e")
    await wait_until(pilot, lambda: getattr(app.screen, "shown", 0) > 0)
    await settle(pilot)
