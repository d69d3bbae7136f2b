"""Regenerate the README screenshots from the real app on the seeded sample pack.

    .venv/bin/python screenshots/make.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from dashboard.app import PackwatchApp
from dashboard.demo.pack import write_sample
from ledger.agent.writer import LedgerWriter, event_record
from ledger.settings import Budget, load_settings

HERE = Path(__file__).parent
TZ = "Europe/Paris"
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo(TZ))  # the snapshot tests' frozen afternoon
FIXED = NOW.replace(tzinfo=None)  # naive local time, as the sample writer wants it
SHOTS = {"overview-120x36.svg": (120, 36), "overview-80x24.svg": (80, 24), "compact-60x24.svg": (60, 24),
         "spend-120x36.svg": (120, 36), "providers-120x36.svg": (120, 36), "events-120x36.svg": (120, 36),
         "pack-120x36.svg": (120, 36), "context-120x36.svg": (120, 36)}
# screenshots/report.png (the HTML report in Chromium) is written by tests/test_report_browser.py.


def pack_runs(folder: Path) -> None:
    """The pack's runs (as the demo records them), and one member waiting past the deadlock timeout."""
    events = LedgerWriter(folder / "events.jsonl")
    events.append(event_record("agent_run", ts=(FIXED - dt.timedelta(seconds=45)).isoformat(),
                               agent="python-programmer", session="python-programmer-late", model="glm-4.7",
                               phase="queued", workload="coder"))


async def shoot(folder: Path, name: str, size: tuple[int, int]) -> None:
    runs = name.startswith("pack")
    ledger = write_sample(folder / "agent", days=8, seed=7, now=FIXED, runs=runs)
    if runs:
        pack_runs(folder / "agent")
    budget = Budget(daily_usd=40, monthly_usd=900, hourly_usd=8, task_usd=1.5) if runs else \
        Budget(daily_usd=40, monthly_usd=900)
    settings = load_settings(ledgers=[ledger], db=folder / f"{name}.duckdb", timezone=TZ).model_copy(
        update={"budgets": {"all": budget}})
    app = PackwatchApp(settings, clock=lambda: NOW, live=False)
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            if app.overviews_shown:
                break
            await pilot.pause(0.05)
        else:
            raise SystemExit(f"{name}: the first overview never arrived")
        await pilot.pause(0.2)
        if name.startswith("spend"):
            await show_yesterday(pilot)
        elif name.startswith(("pack", "context")):
            await pilot.press("k" if name.startswith("pack") else "g")
            await pilot.pause(1.0)  # the pack is the overview's; the context screen loads in a worker
        elif name.startswith(("providers", "events")):
            await pilot.press("v" if name.startswith("providers") else "e")
            for _ in range(200):
                if getattr(app.screen, "view", None) is not None or getattr(app.screen, "shown", 0):
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.3)
        app.save_screenshot(name, path=str(HERE))
    print(f"wrote {HERE / name}")


async def show_yesterday(pilot) -> None:
    """$ opens the Spend screen, down and enter pick yesterday: the README's three keys."""
    await pilot.press("dollar_sign")
    screen = pilot.app.screen
    for _ in range(200):
        if getattr(screen, "reviews_shown", 0):
            break
        await pilot.pause(0.05)
    await pilot.press("down", "enter")
    pane = screen.query_one("#spend-breakdown")
    for _ in range(200):
        if str(pane.border_title).startswith("Thu 19 Nov"):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.3)


async def main() -> None:
    for name, size in SHOTS.items():
        with tempfile.TemporaryDirectory(prefix="packwatch-shots-") as tmp:
            await shoot(Path(tmp), name, size)


if __name__ == "__main__":
    asyncio.run(main())
