"""The dashboard and the agents' hooks together: the summary the hooks read is written after each
overview, and a change the Claude Code hook applies turns *applied* in the controls strip."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from ledger.settings import Settings
from tests.support.cli import ROOT
from tests.support.pilot import WIDE, make_app, strip_text, wait_for_overview, wait_until

pytestmark = pytest.mark.anyio


async def test_the_claude_code_hook_acknowledges_what_the_dashboard_set(sample_settings: Settings) -> None:
    app = make_app(sample_settings)
    folder = sample_settings.control_dir
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        summary = json.loads((folder / "packwatch-summary.json").read_text())
        assert summary["spend"]["all"]["cost_today"] == pytest.approx(app.overview.spend[0].cost_today, abs=1e-6)
        await pilot.press("r", "y")
        await wait_until(pilot, lambda: "review-only on … pending" in strip_text(app))
        env = {**os.environ, "PACKWATCH_LEDGERS": str(sample_settings.ledgers[0])}
        hook = await asyncio.to_thread(  # the hook's own process, as Claude Code runs it
            subprocess.run, [sys.executable, "-m", "dashboard.cli", "hook", "claude-code", "pre-tool-use"],
            input=json.dumps({"session_id": "cc-1", "tool_name": "Edit", "tool_input": {}}),
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        assert json.loads(hook.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "review-only on ✓ applied" in strip_text(app))


async def test_the_spend_day_shows_claude_codes_5_hour_blocks(sample_settings: Settings) -> None:
    from pathlib import Path

    from dashboard.widgets.spend.day_breakdown import DayBreakdownPane
    from tests.support.pilot import open_spend, rendered, write_claude_today

    write_claude_today(Path(os.environ["HOME"]), 3)  # 09:00-09:02 local: one block starting at 09:00
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await open_spend(pilot, app)
        text = rendered(app.screen.query_one(DayBreakdownPane).query_one("#breakdown-tables"))
        assert "5-hour block" in text and "claude-code 09:00" in text
