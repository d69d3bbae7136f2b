"""The demo's Claude Code subscriber: its status-line snapshots reach the Quota pane's numbers through the
collectors, each window at the percentage its last payload said and starting again at its reset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from collectors.sources import catch_up_all
from dashboard.demo.pack import write_sample
from dashboard.demo.subscriber import FIVE_HOURS, Subscriber
from ledger.settings import load_settings
from ledger.store import Store
from ledger.views.quota import reported

NOW = dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)


def windows(tmp_path: Path, now: dt.datetime) -> dict[str, tuple[float, dt.datetime, bool]]:
    settings = load_settings(ledgers=[tmp_path / "agent" / "usage.jsonl"], db=tmp_path / "s.duckdb", timezone="UTC")
    with Store.open(settings) as store:
        catch_up_all(store, settings, with_agent_logs=False)
        return {w.window: (w.used_percent, w.resets_at, w.reset) for w in reported(store.con.cursor(), now)
                if w.agent == "claude-code"}


def test_the_subscribers_windows_reach_the_quota_pane_and_start_again_at_their_reset(tmp_path: Path) -> None:
    folder = tmp_path / "agent"
    write_sample(folder, days=1, now=NOW.replace(tzinfo=None))
    sub = Subscriber(folder)
    sub.backfill(NOW - dt.timedelta(hours=6), NOW)
    last = sub.payload(NOW - dt.timedelta(minutes=5))["rate_limits"]
    got = windows(tmp_path, NOW)
    assert set(got) == {"five_hour", "seven_day"}
    for name in got:
        used, resets_at, reset = got[name]
        assert used == last[name]["used_percentage"] and not reset
        assert resets_at.timestamp() == last[name]["resets_at"]
    assert 0 < got["five_hour"][0] <= 100 and got["five_hour"][1] - NOW <= FIVE_HOURS
    # No snapshot since: past its reset the 5-hour window shows as started again, the week does not.
    later = got["five_hour"][1] + dt.timedelta(minutes=1)
    again = windows(tmp_path, later)
    assert again["five_hour"][0] == 0 and again["five_hour"][2]
    assert again["seven_day"][0] == got["seven_day"][0]
