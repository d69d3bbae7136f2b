"""Burn rate, daily use and projected exhaustion, with the numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ledger.views.burn import projected_exhaustion
from ledger.views.overview import overview

from .fixtures import NOW, ZONE, Rows


def test_three_requests_in_the_last_five_minutes(rows: Rows) -> None:
    # 1,000 in + 200 out each, at 1, 2 and 4 minutes ago; one more 30 minutes ago.
    for minutes in (1, 2, 4):
        rows.add(minutes_ago=minutes, tokens_in=1_000, tokens_out=200)
    rows.add(minutes_ago=30, tokens_in=5_000, tokens_out=1_000)
    view = overview(rows.cursor(), rows.settings, NOW)
    w = {x.minutes: x for x in view.burn.windows}
    assert w[5].requests == 3
    assert w[5].tokens_per_min == 3 * 1_200 / 5  # 720 tokens a minute
    assert w[15].tokens_per_min == 3 * 1_200 / 15
    assert w[60].tokens_per_min == (3 * 1_200 + 6_000) / 60
    # acme/m1 costs $1 per million input tokens and $2 per million output tokens.
    cost_5 = 3 * (1_000 * 1e-6 + 200 * 2e-6)
    assert w[5].usd_per_hour == pytest.approx(cost_5 * 60 / 5)


def test_todays_use_against_the_daily_limit(rows: Rows) -> None:
    rows.settings = rows.settings.model_copy(update={"daily_token_limits": {"acme": 100_000}})
    rows.add(minutes_ago=300, tokens_in=20_000, tokens_out=0)  # this morning, outside the last hour
    rows.add(minutes_ago=10, tokens_in=6_000, tokens_out=0)
    (acme,) = overview(rows.cursor(), rows.settings, NOW).burn.providers
    assert acme.tokens_today == 26_000
    assert acme.usage_percent == 26.0
    assert acme.tokens_per_min_60 == 100.0  # 6,000 in the last hour
    # 74,000 left at 100 a minute: 740 minutes after 15:30 is 03:50 tomorrow, so not today.
    assert acme.projected_exhaustion is None


def test_a_limit_the_last_hours_rate_reaches_at_17_40() -> None:
    now = dt.datetime(2026, 11, 20, 7, 40, tzinfo=ZONE)
    midnight = dt.datetime(2026, 11, 21, tzinfo=ZONE)
    # 600,000 tokens left at 1,000 a minute: ten hours.
    assert projected_exhaustion(400_000, 1_000_000, 1_000.0, now, midnight) == now.replace(hour=17)
    assert projected_exhaustion(400_000, 1_000_000, 0.0, now, midnight) is None  # nothing burning
    assert projected_exhaustion(1_000_000, 1_000_000, 5.0, now, midnight) == now  # spent already
    assert projected_exhaustion(400_000, 1_000_000, 10.0, now, midnight) is None  # 1,000 hours: not today


def test_the_series_counts_tokens_per_ten_minutes(rows: Rows) -> None:
    rows.add(minutes_ago=1, tokens_in=100, tokens_out=0)
    rows.add(minutes_ago=3, tokens_in=200, tokens_out=0)
    rows.add(minutes_ago=25, tokens_in=400, tokens_out=0)
    series = overview(rows.cursor(), rows.settings, NOW).burn.series
    assert [t for _, t in series] == [400, 300]  # 15:00-15:10, then 15:20-15:30
    assert series[-1][0] == dt.datetime(2026, 11, 20, 15, 20, tzinfo=ZoneInfo("Europe/Paris"))
