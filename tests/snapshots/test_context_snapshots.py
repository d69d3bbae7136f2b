"""The context growth screen at 120x36 and 80x24: a Cerebras session whose prompt grows request by
request (seed 002), compacted once by the agent (its event) past the 50K input budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.pilot import Pilot

from dashboard.screens.context import ContextScreen
from ledger.agent.writer import LedgerWriter, event_record, usage_record
from ledger.settings import Settings, load_settings
from tests.support.pilot import FIXED, MEDIUM, TZ, WIDE, make_app, settle, wait_for_overview, wait_until

PROMPTS = [6_000, 9_500, 13_800, 17_900, 22_400, 27_000, 31_600, 36_900, 42_000, 47_500, 53_200,
           9_100, 13_000, 17_600, 21_900]


def growing_session(folder: Path) -> Path:
    usage, events = LedgerWriter(folder / "usage.jsonl"), LedgerWriter(folder / "events.jsonl")
    start = FIXED - dt.timedelta(minutes=len(PROMPTS) * 2)
    for i, prompt in enumerate(PROMPTS):
        at = start + dt.timedelta(minutes=2 * i)
        usage.append(usage_record(ts=at.isoformat(), provider="cerebras", model="glm-4.7", input_tokens=prompt,
                                  output_tokens=900, session="husky-refactor", agent="husky"))
        if i == 10:  # after request #11: the agent compacts (53.2K -> 8.4K)
            events.append(event_record("compaction", ts=(at + dt.timedelta(seconds=30)).isoformat(), agent="husky",
                                       session="husky-refactor", strategy="summarization", before_tokens=54_100,
                                       after_tokens=8_400))
    usage.append(usage_record(ts=(FIXED - dt.timedelta(minutes=40)).isoformat(), provider="anthropic",
                              model="claude-sonnet-4-5", input_tokens=12_000, output_tokens=400,
                              session="shepherd-review", agent="shepherd"))
    return folder / "usage.jsonl"


@pytest.fixture
def context_settings(tmp_path: Path) -> Settings:
    return load_settings(ledgers=[growing_session(tmp_path / "agent")], db=tmp_path / "store.duckdb", timezone=TZ)


async def open_context(pilot: Pilot) -> None:
    app = pilot.app
    await wait_for_overview(pilot, app)
    await pilot.press("g")
    await wait_until(pilot, lambda: isinstance(app.screen, ContextScreen) and app.screen.growth is not None,
                     "the session's context growth")
    await settle(pilot)


@pytest.mark.parametrize("size", [WIDE, MEDIUM], ids=["120x36", "80x24"])
def test_context_growth(snap_compare, context_settings: Settings, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(context_settings), terminal_size=size, run_before=open_context)


@pytest.mark.anyio
async def test_a_late_answer_for_a_session_the_cursor_left_leaves_the_chart_alone(context_settings: Settings) -> None:
    """↓ then ↑ quickly: the answer for the session passed over may arrive last (a thread worker runs on
    when a newer one starts); the chart and heading stay on the highlighted session."""
    from dashboard.messages import GrowthReady
    from ledger.views.context import ContextGrowth

    app = make_app(context_settings)
    async with app.run_test(size=WIDE) as pilot:
        await open_context(pilot)
        screen = app.screen
        assert screen.growth.session == "husky-refactor"
        screen.post_message(GrowthReady(ContextGrowth(session="shepherd-review")))
        await settle(pilot)
        assert screen.growth.session == "husky-refactor"
        assert "husky-refactor" in str(screen.query_one("#context-heading").render())
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.growth.session == "shepherd-review", "the session moved to")
        assert "shepherd-review" in str(screen.query_one("#context-heading").render())
