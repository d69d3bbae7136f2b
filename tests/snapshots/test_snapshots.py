"""How each screen looks, approved: frozen clock, seeded ledger, no live triggers. After a deliberate
visual change: review, then ``pytest tests/snapshots --snapshot-update``."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from dashboard.app import PackwatchApp
from ledger.settings import Settings, load_settings
from tests.support.pilot import (
    COMPACT,
    MEDIUM,
    TZ,
    WIDE,
    make_app,
    open_events,
    open_providers,
    open_spend,
    settle,
    wait_for_day,
    wait_for_overview,
)


class TestSnapshots:
    """One per screen at fixed sizes: frozen clock, seeded ledger, no live triggers."""

    @staticmethod
    async def _first_overview(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, PackwatchApp)
        await wait_for_overview(pilot, app)
        await settle(pilot)

    @pytest.mark.parametrize("size", [WIDE, MEDIUM, COMPACT], ids=["120x36", "80x24", "60x24"])
    def test_overview(self, snap_compare, sample_settings: Settings, size: tuple[int, int]) -> None:
        assert snap_compare(make_app(sample_settings), terminal_size=size, run_before=self._first_overview)

    @pytest.mark.parametrize("size", [WIDE, MEDIUM, COMPACT], ids=["120x36", "80x24", "60x24"])
    def test_overview_with_quota(self, snap_compare, quota_settings: Settings, size: tuple[int, int]) -> None:
        async def to_quota(pilot: Pilot) -> None:  # below the fold where the panes scroll
            await self._first_overview(pilot)
            pilot.app.screen.query_one("#quota").scroll_visible(animate=False)
            await settle(pilot)

        assert snap_compare(make_app(quota_settings), terminal_size=size, run_before=to_quota)

    def test_help(self, snap_compare, sample_settings: Settings) -> None:
        async def open_help(pilot: Pilot) -> None:
            await self._first_overview(pilot)
            await pilot.press("question_mark")
            await settle(pilot)

        assert snap_compare(make_app(sample_settings), terminal_size=WIDE, run_before=open_help)

    def test_empty(self, snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        # Fixed paths, because the screen prints them.
        monkeypatch.setenv("PACKWATCH_CONFIG", "/nonexistent/packwatch/config.toml")
        settings = load_settings(ledgers=[Path("/nonexistent/agent/usage.jsonl")], db=tmp_path / "store.duckdb",
                                 timezone=TZ)
        assert snap_compare(make_app(settings), terminal_size=MEDIUM, run_before=self._first_overview)


class TestControlSnapshots:
    """Each control modal at 80x24, over the seeded overview."""

    @staticmethod
    def _open(*keys: str):
        async def run(pilot: Pilot) -> None:
            app = pilot.app
            assert isinstance(app, PackwatchApp)
            await wait_for_overview(pilot, app)
            await pilot.press(*keys)
            await settle(pilot)
        return run

    @pytest.mark.parametrize("key", ["b", "f", "c", "r", "x"])
    def test_modal(self, snap_compare, sample_settings: Settings, key: str) -> None:
        assert snap_compare(make_app(sample_settings), terminal_size=MEDIUM, run_before=self._open(key))


class TestProviderEventSnapshots:
    """The two screens at 80x24 and 120x36: frozen clock, seeded ledger, events and probes."""

    @pytest.mark.parametrize("size", [WIDE, MEDIUM], ids=["120x36", "80x24"])
    def test_providers(self, snap_compare, probed_settings: Settings, size: tuple[int, int]) -> None:
        assert snap_compare(make_app(probed_settings), terminal_size=size, run_before=open_providers)

    @pytest.mark.parametrize("size", [WIDE, MEDIUM], ids=["120x36", "80x24"])
    def test_events(self, snap_compare, probed_settings: Settings, size: tuple[int, int]) -> None:
        assert snap_compare(make_app(probed_settings), terminal_size=size, run_before=open_events)


class TestSpendSnapshots:
    """The Spend screen on yesterday, and the export modal, at 80x24 and 120x36."""

    @pytest.mark.parametrize("size", [WIDE, MEDIUM], ids=["120x36", "80x24"])
    def test_spend(self, snap_compare, spend_settings: Settings, size: tuple[int, int]) -> None:
        async def to_yesterday(pilot: Pilot) -> None:
            screen = await open_spend(pilot, pilot.app)
            await pilot.press("down", "enter")
            await wait_for_day(pilot, screen, "Thu 19 Nov 2026")
            await settle(pilot)

        assert snap_compare(make_app(spend_settings), terminal_size=size, run_before=to_yesterday)

    @pytest.mark.parametrize("size", [WIDE, MEDIUM], ids=["120x36", "80x24"])
    def test_export_modal(self, snap_compare, spend_settings: Settings, size: tuple[int, int],
                          monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir("/")  # the suggested path is printed

        async def open_modal(pilot: Pilot) -> None:
            await open_spend(pilot, pilot.app)
            await pilot.press("e")
            await settle(pilot)

        assert snap_compare(make_app(spend_settings), terminal_size=size, run_before=open_modal)
