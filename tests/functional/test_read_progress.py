"""The dashboard says how far its first, long, read of agents' logs got (files and MB), then that it is done."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collectors.progress import Throttled
from dashboard.messages import LogsReading
from ledger.settings import Settings
from tests.support.pilot import WIDE, make_app, wait_for_overview, wait_until, write_claude_today

pytestmark = pytest.mark.anyio


async def test_the_first_catch_up_shows_its_progress(sample_settings: Settings) -> None:
    write_claude_today(Path(os.environ["HOME"]), 4)
    app = make_app(sample_settings, live=True)
    # As the app wires it when live, without the one-second wait (the read here is quick).
    app.refresher.progress = Throttled(lambda p: app.post_message(LogsReading(p)), after=0, every=0)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await wait_until(pilot, lambda: any(n.message == "agent logs read" for n in app._notifications))
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("reading claude-code logs: 1/1 files") for m in messages), messages
