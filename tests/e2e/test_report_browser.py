"""The HTML report in a real browser: Debian's headless Chromium opens the file with networking
off, and its screenshot goes to screenshots/report.png (shown in the README)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.tail import catch_up
from dashboard.demo.pack import write_sample
from ledger.report.build import build_report
from ledger.report.export import write_report
from ledger.settings import Budget, PriceOverride, load_settings
from ledger.store import Store

ROOT = Path(__file__).resolve().parents[2]
SHOT = ROOT / "screenshots" / "report.png"
TZ = "Europe/Paris"
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo(TZ))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it"
)


def sample_report(folder: Path) -> dict:
    """Two weeks of the demo pack, priced the way `packwatch demo` prices it."""
    ledger = write_sample(folder / "agent", days=14, seed=7, now=NOW.replace(tzinfo=None), per_hour=60)
    settings = load_settings(ledgers=[ledger], db=folder / "store.duckdb", timezone=TZ).model_copy(update={
        "budgets": {"all": Budget(daily_usd=38)},
        "prices": {"cerebras/glm-4.7": PriceOverride(input_mtok=2.25, output_mtok=2.75)},
    })
    with Store.open(settings) as store:
        catch_up(store, settings.ledgers)
        return build_report(store.con, settings, dt.date(2026, 11, 7), dt.date(2026, 11, 20), now=NOW)


def headless(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_the_html_report_renders_in_chromium(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    page = tmp_path / "report.html"
    write_report(report, "html", page)
    # What the browser built: the DOM after layout, with every chart and table present.
    dom = headless("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 3  # per day, per model, per agent
    assert f"${report.totals.cost_usd:,.2f}" in dom.stdout
    assert "daily budget $38.00" in dom.stdout
    shot = tmp_path / "report.png"
    run = headless(f"--screenshot={shot}", "--window-size=1100,1500", page.as_uri(), profile=tmp_path / "profile")
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000  # a rendered page, not a blank one
    SHOT.write_bytes(png)
