"""Each kind of recommendation on the smallest case that triggers it, and one that must not."""

from __future__ import annotations

import datetime as dt

from ledger.views.burn import BurnRate, ProviderBurn
from ledger.views.circuits import Circuit
from ledger.views.rankings import ModelRank
from ledger.views.recommendations import (
    cheaper_alternatives,
    contexts_near_budget,
    daily_limits,
    latency_regressions,
    open_circuits,
    spend_above_baseline,
    unpriced_models,
)

from .fixtures import NOW


def test_spend_against_the_same_hour_of_the_previous_days() -> None:
    # $7 in that hour over 7 days is $1 a day; $3 in the last hour is 200 % above it.
    (rec,) = spend_above_baseline(3.0, (7.0, 7))
    assert (rec.priority, rec.category) == ("HIGH", "COST")
    assert rec.message == "Spending rate 200% above the 7-day baseline"
    assert spend_above_baseline(1.4, (7.0, 7)) == []  # within 1.5 x
    assert spend_above_baseline(9.0, (0.0, 0)) == []  # no history yet


def model(name: str, *, p95: float, p95_60: float, n_60: int, usd1k: float | None = 0.01, success: float = 1.0,
          requests: int = 100) -> ModelRank:
    return ModelRank(model=name, provider="acme", requests=requests, success_rate=success, latency_p50_ms=p95 / 2,
                     latency_p95_ms=p95, output_tokens_per_s=None, usd_per_1k_output=usd1k, score=0.5,
                     latency_p95_60m_ms=p95_60, requests_60m=n_60)


def test_a_p95_latency_up_thirty_percent() -> None:
    (rec,) = latency_regressions([model("slow", p95=1_000, p95_60=1_500, n_60=10)])
    assert rec.message == "slow p95 latency up 50%"
    assert latency_regressions([model("fine", p95=1_000, p95_60=1_250, n_60=50)]) == []
    assert latency_regressions([model("few", p95=1_000, p95_60=5_000, n_60=9)]) == []  # too few to say


def test_daily_limits_reached_or_running_out_today() -> None:
    at = dt.datetime(2026, 11, 20, 17, 40, tzinfo=NOW.tzinfo)
    burn = BurnRate(windows=[], providers=[
        ProviderBurn(provider="spent", tokens_today=120, cost_today=0, daily_limit=100, usage_percent=120),
        ProviderBurn(provider="soon", tokens_today=50, cost_today=0, daily_limit=100, usage_percent=50,
                     projected_exhaustion=at, tokens_per_min_60=1.0),
        ProviderBurn(provider="fine", tokens_today=10, cost_today=0, daily_limit=100, usage_percent=10)])
    spent, soon = daily_limits(burn)
    assert (spent.priority, spent.action.kind) == ("CRITICAL", "review_only")
    assert soon.message == "soon daily limit runs out at 17:40"


def test_a_context_near_its_providers_input_budget() -> None:
    budgets = {"cerebras": 50_000}
    (high, medium) = contexts_near_budget([("cerebras", "s1", 45_000), ("cerebras", "s2", 36_000),
                                           ("cerebras", "s3", 30_000), ("other", "s4", 99_999)], budgets)
    assert (high.priority, high.action.kind, high.action.target) == ("HIGH", "compact", "s1")  # 90 %
    assert medium.priority == "MEDIUM"  # 72 %; s3 at 60 % and s4 (no budget) say nothing


def test_an_open_circuit_fails_over_to_the_best_model_its_workloads_used() -> None:
    opened = Circuit(provider="cerebras", state="OPEN", since=NOW, failures_15m=5, rate_limited_15m=5,
                     requests_15m=5, last_error="429")
    chains = {"coding": ["glm-4.7", "claude-haiku-4-5", "gemini-2.5-flash"]}
    providers = {"glm-4.7": "cerebras", "claude-haiku-4-5": "anthropic", "gemini-2.5-flash": "google"}
    (rec,) = open_circuits([opened], chains, providers)
    assert (rec.action.kind, rec.action.target, rec.action.value) == ("failover", "cerebras", "claude-haiku-4-5")
    (alone,) = open_circuits([opened], {"coding": ["glm-4.7"]}, providers)
    assert alone.action is None  # no other model seen: nothing to apply with one key


def test_a_cheaper_model_as_reliable_for_the_same_workload() -> None:
    dear = model("dear", p95=1, p95_60=1, n_60=0, usd1k=0.10, success=0.99)
    cheap = model("cheap", p95=1, p95_60=1, n_60=0, usd1k=0.04, success=0.985)
    (rec,) = cheaper_alternatives([("coding", ["cheap", "dear"])], [dear, cheap])
    assert rec.message == "cheap costs 60% less than dear for coding work"
    assert (rec.action.target, rec.action.value) == ("dear", "cheap")
    flaky = model("flaky", p95=1, p95_60=1, n_60=0, usd1k=0.01, success=0.9)
    assert cheaper_alternatives([("coding", ["flaky", "dear"])], [dear, flaky]) == []


def test_unpriced_models_say_how_to_price_them() -> None:
    (rec,) = unpriced_models([("cerebras", "glm-4.7", 12)])
    assert rec.priority == "LOW" and '[prices."cerebras/glm-4.7"]' in rec.evidence
