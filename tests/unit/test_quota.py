"""Quota windows: the agents' own snapshots (reset when their time came, projected from their own
pace), Codex's rate limits from real 0.171.0 rollout lines, and 5-hour blocks estimated as ccusage's
``blocks`` does, never standing in for an agent's own window; cost per block in reports and the
Spend screen's day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from collectors.agents.codex import CodexParser
from collectors.sources import catch_up_all
from ledger.report.build import build_report
from ledger.settings import Sources, load_settings
from ledger.store import Store
from ledger.views.quota import blocks, project, quota_windows
from ledger.views.spend import day_breakdown
from tests.support.agent_lines import claude

UTC = dt.UTC
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def at(hh: int, mm: int = 0, day: int = 20) -> dt.datetime:
    return dt.datetime(2026, 11, day, hh, mm, tzinfo=UTC)


@pytest.fixture
def rig(tmp_path: Path):
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    ledger.touch()
    claude_dir = tmp_path / "claude"
    (claude_dir / "projects" / "p").mkdir(parents=True)
    settings = load_settings(ledgers=[ledger], db=tmp_path / "s.duckdb", timezone="UTC")
    settings = settings.model_copy(update={"sources": Sources(claude_code=True, claude_code_dirs=[claude_dir],
                                                              codex=False)})
    store = Store.open(settings)
    yield settings, store, claude_dir / "projects" / "p" / "s.jsonl", ledger.parent / "quota.jsonl"
    store.close()


def _requests(path: Path, times: list[dt.datetime], out: int = 1000) -> None:
    with open(path, "a") as fh:
        for i, t in enumerate(times):
            fh.write(claude(f"m{t:%d%H%M}{i}", f"r{t:%d%H%M}{i}", ts=t.isoformat().replace("+00:00", "Z"), inp=0,
                            out=out))


def _snapshot(path: Path, ts: dt.datetime, window: str, used: float, resets: dt.datetime, agent="claude-code",
              minutes: int = 300) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps({"ts": ts.isoformat(), "agent": agent, "window": window, "window_minutes": minutes,
                             "used_percent": used, "resets_at": resets.isoformat(), "source": "agent"}) + "\n")


def test_blocks_start_on_the_hour_of_their_first_request(rig) -> None:
    settings, store, log, _ = rig
    _requests(log, [at(8, 10), at(9, 30), at(12, 50), at(13, 20), at(20, 0), at(20, 5)])
    catch_up_all(store, settings)
    found = blocks(store.cursor(), at(21), at(0))
    assert [(b.start, b.end, b.requests, b.tokens) for b in found] == [
        (at(8), at(13), 3, 3000), (at(13), at(18), 1, 1000), (at(20), at(1, day=21), 2, 2000)]
    assert [b.active for b in found] == [False, False, True]
    assert all(b.cost_usd > 0 for b in found)


def test_the_estimated_window_measures_the_block_against_the_largest_before_it(rig) -> None:
    settings, store, log, quota = rig
    _requests(log, [at(8, 10), at(9, 30), at(12, 50), at(20, 0)])
    catch_up_all(store, settings)
    (window,) = quota_windows(store.cursor(), at(21), {})
    assert (window.agent, window.window, window.source) == ("claude-code", "block", "estimated")
    assert window.used_percent == pytest.approx(100 / 3, abs=0.1) and window.resets_at == at(1, day=21)
    assert quota_windows(store.cursor(), at(21), {"claude-code": 4000})[0].used_percent == 25.0
    assert quota_windows(store.cursor(), at(21, day=22), {}) == []  # no active block: no window

    _snapshot(quota, at(20, 30), "five_hour", 42.0, at(23))  # the agent's own number: no estimate
    catch_up_all(store, settings)
    assert [(w.window, w.source) for w in quota_windows(store.cursor(), at(21), {})] == [("five_hour", "agent")]


def test_a_snapshot_past_its_reset_shows_reset(rig) -> None:
    settings, store, _, quota = rig
    _snapshot(quota, at(10), "five_hour", 80.0, at(12))
    _snapshot(quota, at(10), "seven_day", 30.0, at(12, day=22), minutes=10080)
    catch_up_all(store, settings)
    windows = {w.window: w for w in quota_windows(store.cursor(), at(18), {})}
    assert windows["five_hour"].reset and windows["five_hour"].used_percent == 0.0
    assert windows["five_hour"].resets_at == at(22)  # 12:00 + 2 × 5 h: the next reset after 18:00
    assert not windows["seven_day"].reset and windows["seven_day"].used_percent == 30.0


def test_the_projection_follows_the_windows_own_pace(rig) -> None:
    settings, store, _, quota = rig
    _snapshot(quota, at(10), "five_hour", 20.0, at(14))
    _snapshot(quota, at(11), "five_hour", 50.0, at(14))  # 30 points an hour
    catch_up_all(store, settings)
    (window,) = quota_windows(store.cursor(), at(11, 5), {})
    assert window.used_percent == 50.0 and window.projected_percent == pytest.approx(140.0)
    assert window.full_at == at(12, 40)  # 50 more points at 30 an hour: 1 h 40 min after 11:00
    # One snapshot only: the pace since the window began (its reset less 5 hours) at 0 %.
    assert project(50.0, at(11), at(14), None, 300) == (pytest.approx(125.0), at(13))  # 25 points an hour since 09:00


def test_codex_rate_limits_from_real_rollout_lines(tmp_path: Path) -> None:
    data = (FIXTURES / "codex_rate_limits.jsonl").read_bytes()  # Codex 0.171.0: two runs' token_count lines
    parsed = CodexParser().parse(data, 0, tmp_path / "rollout-x.jsonl", 7, None)
    windows = [(q[5], q[6], q[7]) for q in parsed.quota]
    # Labelled by length; repeats of the same snapshot stored once; the 429's (info: null) kept.
    assert windows == [("five_hour", 300, 12.5), ("seven_day", 10080, 40.0), ("five_hour", 300, 55.0),
                       ("seven_day", 10080, 61.5), ("five_hour", 300, 100.0), ("seven_day", 10080, 93.0)]
    assert parsed.quota[0][8] == dt.datetime.fromtimestamp(1796114066, UTC).isoformat()
    assert {q[2] for q in parsed.quota} == {"codex"} and {q[11] for q in parsed.quota} == {"codex"}
    assert not parsed.rejects


def test_cost_per_block_in_the_report_and_the_spend_day(rig) -> None:
    settings, store, log, _ = rig
    _requests(log, [at(22, 30, day=19), at(1, 0), at(9, 15), at(10, 0)])
    catch_up_all(store, settings)
    report = build_report(store.cursor(), settings, dt.date(2026, 11, 19), dt.date(2026, 11, 20))
    assert [(b.start[:16], b.requests) for b in report.blocks] == [("2026-11-19T22:00", 2), ("2026-11-20T09:00", 2)]
    assert sum(b.cost_usd for b in report.blocks) == pytest.approx(report.totals.cost_usd, abs=1e-5)
    day = day_breakdown(store.cursor(), dt.date(2026, 11, 20), dt.UTC)
    assert [(r.key, r.requests) for r in day.blocks] == [("claude-code 09:00", 2)]  # 01:00 is in the 22:00 block


def _rate_limits(ts: str, used: object, minutes: object = 300, resets: object = 1796114066) -> str:
    return json.dumps({"timestamp": ts, "type": "event_msg", "payload": {"type": "token_count", "info": None,
                       "rate_limits": {"limit_id": "codex", "primary": {"used_percent": used, "window_minutes": minutes,
                                                                        "resets_at": resets}}}}) + "\n"


def test_codex_rate_limits_out_of_range_are_rejected_not_stored(tmp_path: Path) -> None:
    rollout = tmp_path / "codex" / "sessions" / "2026" / "11" / "20" / "rollout-x.jsonl"
    rollout.parent.mkdir(parents=True)
    rollout.write_text(_rate_limits("nope", 10.0) + _rate_limits("2026-11-20T10:00:00Z", 20.0, minutes=2**40)
                       + _rate_limits("2026-11-20T10:01:00Z", -5.0) + _rate_limits("2026-11-20T10:02:00Z", 1e300)
                       + _rate_limits("294247-01-01T00:00:00Z", 30.0) + _rate_limits("2026-11-20T10:03:00Z", 40.0))
    settings = load_settings(ledgers=[tmp_path / "usage.jsonl"], db=tmp_path / "s.duckdb", timezone="UTC")
    settings = settings.model_copy(update={"sources": Sources(claude_code=False, codex=True,
                                                              codex_home=tmp_path / "codex")})
    with Store.open(settings) as store:
        got = catch_up_all(store, settings)
        stored = store.con.execute("SELECT window_name, used_percent FROM quota_snapshots").fetchall()
    assert got.errors == [] and got.rejected == 5  # each bad window a rejected line, with its reason
    assert stored == [("five_hour", 40.0)]
