"""The Pack view at 120x36 and 80x24, and the overview with the pack line and the hourly and task
limits: frozen clock, the demo pack's ledger with its runs, one member queued past the deadlock
timeout. After a deliberate visual change: review, then ``pytest tests/snapshots --snapshot-update``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.pilot import Pilot

from dashboard.demo.pack import write_sample
from dashboard.screens.pack import PackScreen
from ledger.agent.writer import LedgerWriter, event_record
from ledger.settings import Budget, Settings, load_settings
from tests.support.pilot import FIXED, MEDIUM, TZ, WIDE, make_app, settle, wait_for_overview, wait_until


def pack_ledger(folder: Path) -> Path:
    """Two days of the demo pack with its runs, and at the end: python-programmer queued for a coder slot
    for 45 s (stuck: past the 30 s deadlock timeout), the summarizer started 20 s ago."""
    ledger = write_sample(folder, days=2, seed=7, now=FIXED, runs=True)
    events = LedgerWriter(folder / "events.jsonl")
    for ago, member, phase, workload in ((45, "python-programmer", "queued", "coder"),
                                        (20, "summarization-agent", "start", "summarizer")):
        ts = (FIXED - dt.timedelta(seconds=ago)).isoformat(timespec="milliseconds")
        events.append(event_record("agent_run", ts=ts, agent=member, session=f"{member}-late", model="glm-4.7",
                                   phase=phase, workload=workload))
    return ledger


@pytest.fixture
def pack_settings(tmp_path: Path) -> Settings:
    settings = load_settings(ledgers=[pack_ledger(tmp_path / "agent")], db=tmp_path / "store.duckdb", timezone=TZ)
    return settings.model_copy(update={"budgets": {"all": Budget(daily_usd=60, hourly_usd=8, task_usd=1.5)}})


async def open_pack(pilot: Pilot) -> None:
    app = pilot.app
    await wait_for_overview(pilot, app)
    await pilot.press("k")
    await wait_until(pilot, lambda: isinstance(app.screen, PackScreen) and app.screen.query_one("#pack-runs").row_count,
                     "the pack's runs")
    await settle(pilot)


@pytest.mark.parametrize("size", [WIDE, MEDIUM], ids=["120x36", "80x24"])
def test_pack(snap_compare, pack_settings: Settings, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(pack_settings), terminal_size=size, run_before=open_pack)


def test_overview_with_the_pack_and_short_limits(snap_compare, pack_settings: Settings) -> None:
    async def first(pilot: Pilot) -> None:
        await wait_for_overview(pilot, pilot.app)
        await settle(pilot)

    assert snap_compare(make_app(pack_settings), terminal_size=WIDE, run_before=first)
