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
from ledger.sample import write_sample
from ledger.settings import load_settings

HERE = Path(__file__).parent
TZ = "Europe/Paris"
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo(TZ))  # the snapshot tests' frozen afternoon
FIXED = NOW.replace(tzinfo=None)  # naive local time, as the sample writer wants it
SHOTS = {"overview-120x36.svg": (120, 36), "overview-80x24.svg": (80, 24), "compact-60x24.svg": (60, 24)}


async def shoot(folder: Path, name: str, size: tuple[int, int]) -> None:
    ledger = write_sample(folder / "agent", days=8, seed=7, now=FIXED)
    settings = load_settings(ledgers=[ledger], db=folder / f"{name}.duckdb", timezone=TZ)
    app = PackwatchApp(settings, clock=lambda: NOW, live=False)
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            if app.overviews_shown:
                break
            await pilot.pause(0.05)
        else:
            raise SystemExit(f"{name}: the first overview never arrived")
        await pilot.pause(0.2)
        app.save_screenshot(name, path=str(HERE))
    print(f"wrote {HERE / name}")


async def main() -> None:
    for name, size in SHOTS.items():
        with tempfile.TemporaryDirectory(prefix="packwatch-shots-") as tmp:
            await shoot(Path(tmp), name, size)


if __name__ == "__main__":
    asyncio.run(main())
