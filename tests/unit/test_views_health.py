"""Cache rates, budget alert levels, and overall health, on hand-made numbers."""

from __future__ import annotations

import pytest

from ledger.settings import Budget
from ledger.views.budgets import alert_level
from ledger.views.cache import CacheStats
from ledger.views.circuits import Circuit
from ledger.views.health import health
from ledger.views.overview import overview

from .fixtures import NOW, Rows


def test_cache_hit_rate_and_prompt_cache_share(rows: Rows) -> None:
    for minutes in (10, 20, 30):
        rows.add(minutes_ago=minutes, tokens_in=600, cache_read=400)
    rows.add(minutes_ago=40, tokens_in=0, tokens_out=0, cached=True)  # the response cache answered
    cache = overview(rows.cursor(), rows.settings, NOW).cache
    assert cache.hit_rate_today == 0.25  # one hit in four requests
    assert cache.hit_rate_60m == 0.25
    assert cache.prompt_cache_share_today == pytest.approx(1_200 / (1_800 + 1_200))  # 40 %
    # the hit saved an average served request (1,100 tokens) plus the 1,200 cache-read tokens
    assert cache.tokens_saved_today == 1_100 + 1_200


@pytest.mark.parametrize(("percent", "level"), [
    (None, "ok"), (49.9, "ok"), (50, "info"), (75, "warning"), (90, "critical"), (100, "exceeded"), (250, "exceeded"),
])
def test_alert_levels(percent: float | None, level: str) -> None:
    assert alert_level(percent, [50, 75, 90, 100]) == level


def test_spend_against_a_daily_and_a_monthly_budget(rows: Rows) -> None:
    rows.settings = rows.settings.model_copy(update={"budgets": {"all": Budget(daily_usd=0.01, monthly_usd=1.0)}})
    rows.add(minutes_ago=10, tokens_in=7_500, tokens_out=1_000)  # $0.0095
    (line, acme) = overview(rows.cursor(), rows.settings, NOW).spend
    assert (line.scope, acme.scope) == ("all", "acme")
    assert line.cost_today == pytest.approx(0.0095)
    assert line.percent == pytest.approx(95.0)  # the daily budget is the nearer one (month: 0.95 %)
    assert line.level == "critical"
    assert acme.budget_daily is None and acme.level == "ok"


def circuit(provider: str, state: str) -> Circuit:
    return Circuit(provider=provider, state=state, since=None, failures_15m=0, rate_limited_15m=0, requests_15m=0)


NO_CACHE = CacheStats(hit_rate_today=None, hit_rate_60m=None, hit_rate_prev_60m=None,
                      prompt_cache_share_today=None, tokens_saved_today=0, usd_saved_today=0.0)


def test_health_from_errors_circuits_and_cache() -> None:
    assert health(0, 100, [], NO_CACHE, [], []) == ("HEALTHY", [])
    assert health(8, 100, [], NO_CACHE, [], []) == ("DEGRADED", ["error rate 8% in the last hour"])
    assert health(11, 100, [], NO_CACHE, [], [])[0] == "UNHEALTHY"
    assert health(3, 4, [], NO_CACHE, [], [])[0] == "HEALTHY"  # fewer than 5 requests say nothing
    one_of_three = [circuit("a", "OPEN"), circuit("b", "CLOSED"), circuit("c", "CLOSED")]
    assert health(0, 100, one_of_three, NO_CACHE, [], []) == ("DEGRADED", ["circuit open: a"])
    two_of_three = [circuit("a", "OPEN"), circuit("b", "OPEN"), circuit("c", "CLOSED")]
    assert health(0, 100, two_of_three, NO_CACHE, [], [])[0] == "UNHEALTHY"
    fell = NO_CACHE.model_copy(update={"hit_rate_60m": 0.1, "hit_rate_prev_60m": 0.3})
    assert health(0, 100, [], fell, [], []) == ("DEGRADED", ["cache hit rate fell to 10%"])
