"""``usage_recent`` (the last day's rows, priced; ledger/store/rollup.py) answers the overview's trailing
windows exactly as ``usage_v`` does, and stays current: a line appended, a price changed, rows older than
it holds, a store whose newest row is far from now."""

from __future__ import annotations

import datetime as dt

from ledger.settings import PriceOverride
from ledger.views.overview import overview
from ledger.views.rankings import rankings
from ledger.views.sql import Priced, priced_source

from .fixtures import NOW, Rows

COLUMNS = "ts, provider, model, agent, session, latency_ms, cached, is_error, tokens, cost_usd"


def _spread(rows: Rows) -> None:
    """Rows over two days, some failed, some cached, two providers, a few sessions."""
    for i in range(60):
        minutes = i * 47 % (48 * 60)  # now back to two days ago, out of order
        rows.add(minutes_ago=minutes, tokens_in=1_000 + i, tokens_out=100 + i, latency=200 + 13 * i,
                 provider="acme" if i % 3 else "zeta", model="m1" if i % 3 else "z1", session=f"s{i % 4}",
                 cached=i % 7 == 0, error="429 Too Many Requests" if i % 11 == 0 else None)


def _without_recent(rows: Rows):
    """The overview as usage_v alone answers it (no usage_recent: the start it holds from forgotten)."""
    cur = rows.cursor()
    held = cur.execute("SELECT value FROM meta WHERE key = 'recent_from'").fetchall()
    cur.execute("DELETE FROM meta WHERE key = 'recent_from'")
    try:
        assert priced_source(cur) == Priced(None)
        return overview(cur, rows.settings, NOW)
    finally:
        cur.execute("INSERT INTO meta VALUES ('recent_from', ?)", [held[0][0]])


def test_the_overview_from_recent_rows_is_the_one_from_every_row(rows: Rows) -> None:
    _spread(rows)
    cur = rows.cursor()
    assert priced_source(cur).rows_from(NOW - dt.timedelta(hours=24)) == "usage_recent"
    fast = overview(cur, rows.settings, NOW)
    slow = _without_recent(rows)
    assert fast.model_dump() == slow.model_dump()
    assert fast.burn.windows[-1].requests > 0 and fast.rankings and fast.circuits  # the windows held rows


def test_recent_rows_are_the_priced_rows_from_where_they_start(rows: Rows) -> None:
    _spread(rows)
    cur = rows.cursor()
    (held,) = cur.execute("SELECT value::TIMESTAMPTZ FROM meta WHERE key = 'recent_from'").fetchone()
    newest = cur.execute("SELECT max(ts) FROM usage").fetchone()[0]
    assert held == newest - dt.timedelta(hours=26)  # the store's newest row is before now: counted from it
    stored = f"SELECT {COLUMNS} FROM usage_recent"
    every = f"SELECT {COLUMNS} FROM usage_v WHERE ts >= $held"
    assert sorted(cur.execute(stored).fetchall()) == sorted(cur.execute(every, {"held": held}).fetchall())
    assert cur.execute("SELECT count(*) FROM usage WHERE ts < $held", {"held": held}).fetchone()[0] > 0


def test_an_appended_line_is_counted_at_once(rows: Rows) -> None:
    _spread(rows)
    before = overview(rows.cursor(), rows.settings, NOW).burn.windows[0]
    rows.add(minutes_ago=0.5, tokens_in=7_000, tokens_out=700, session="s9")
    rows.add(minutes_ago=47 * 60, tokens_in=5, tokens_out=5)  # and one older than the recent rows
    cur = rows.cursor()
    after = overview(cur, rows.settings, NOW)
    assert after.burn.windows[0].requests == before.requests + 1
    assert after.burn.windows[0].tokens_per_min == before.tokens_per_min + 7_700 / 5
    assert after.model_dump() == _without_recent(rows).model_dump()


def test_a_changed_price_prices_the_recent_rows_again(rows: Rows) -> None:
    _spread(rows)
    first = overview(rows.cursor(), rows.settings, NOW).burn.windows[-1].usd_per_hour
    rows.close()
    rows.store = None
    rows.settings = rows.settings.model_copy(update={"prices": {
        **rows.settings.prices, "acme/m1": PriceOverride(input_mtok=10.0, output_mtok=20.0)}})
    again = overview(rows.cursor(), rows.settings, NOW)
    assert again.burn.windows[-1].usd_per_hour > first
    assert again.model_dump() == _without_recent(rows).model_dump()


def test_a_window_older_than_the_recent_rows_reads_every_row(rows: Rows) -> None:
    _spread(rows)
    cur = rows.cursor()
    assert priced_source(cur).rows_from(NOW - dt.timedelta(hours=48)) == "usage_v"
    two_days = {r.model: r.requests for r in rankings(cur, NOW, hours=48)}
    one_day = {r.model: r.requests for r in rankings(cur, NOW, hours=24)}
    assert sum(two_days.values()) > sum(one_day.values())


def test_recent_rows_move_on_with_the_newest_row(rows: Rows) -> None:
    rows.add(minutes_ago=3 * 24 * 60, tokens_in=1, tokens_out=1)  # three days ago, alone
    cur = rows.cursor()
    (old,) = cur.execute("SELECT value::TIMESTAMPTZ FROM meta WHERE key = 'recent_from'").fetchone()
    rows.add(minutes_ago=1)
    cur = rows.cursor()
    (new,) = cur.execute("SELECT value::TIMESTAMPTZ FROM meta WHERE key = 'recent_from'").fetchone()
    assert new > old  # far behind the new row: started again from it, the old row dropped
    assert cur.execute("SELECT count(*) FROM usage_recent").fetchone() == (1,)
    assert overview(cur, rows.settings, NOW).model_dump() == _without_recent(rows).model_dump()


def test_another_zone_rolls_the_hours_up_again_and_a_name_of_the_same_zone_does_not(rows: Rows, monkeypatch) -> None:
    import ledger.store.store as store_module
    from ledger.store import Store

    rows.add(minutes_ago=10)
    rows.cursor()
    rows.close()
    kolkata = rows.settings.model_copy(update={"timezone": "Asia/Kolkata"})  # +05:30: other local hours
    with Store.open(kolkata) as store:
        cur = store.cursor()
        assert cur.execute("SELECT DISTINCT hour FROM usage_hourly").fetchall() == cur.execute(
            "SELECT DISTINCT date_trunc('hour', ts) FROM usage").fetchall()
        assert cur.execute("SELECT value FROM meta WHERE key = 'rollup_zone'").fetchone() == ("Asia/Kolkata",)
    calls: list[object] = []
    for name in ("UTC", "Etc/UTC"):  # one zone under two names: rolled up once
        with Store.open(rows.settings.model_copy(update={"timezone": name})):
            pass
        calls.clear()
        monkeypatch.setattr(store_module, "refresh_rollup", lambda *a, **k: calls.append(a))
        with Store.open(rows.settings.model_copy(update={"timezone": "Etc/UTC" if name == "UTC" else "UTC"})):
            pass
        assert calls == []
        monkeypatch.undo()
