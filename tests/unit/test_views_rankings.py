"""Model rankings and the balanced score (cost .3, speed .3, reliability .2, capability .2), and where a
failover goes: worked out by hand on two or three models."""

from __future__ import annotations

import pytest

from ledger.views.failover import ALL_MODELS, best_alternative, failover_chains
from ledger.views.rankings import ModelRank, rankings, scored

from .fixtures import NOW, Rows


def rank(model: str, usd1k: float | None, p50: float | None, success: float, provider: str = "acme") -> ModelRank:
    return ModelRank(model=model, provider=provider, requests=100, success_rate=success, latency_p50_ms=p50,
                     latency_p95_ms=None, output_tokens_per_s=None, usd_per_1k_output=usd1k, score=0.0)


def test_the_weights_on_two_models() -> None:
    cheap_slow = rank("cheap-slow", usd1k=0.01, p50=2_000, success=1.0)
    dear_fast = rank("dear-fast", usd1k=0.04, p50=500, success=0.9)
    first, second = scored([cheap_slow, dear_fast])
    # dear-fast: cost 0.01/0.04 = .25, speed 1, reliability .9, capability (price share) 1
    assert first.model == "dear-fast"
    assert first.score == pytest.approx(0.3 * 0.25 + 0.3 * 1 + 0.2 * 0.9 + 0.2 * 1)  # 0.755
    # cheap-slow: cost 1, speed 500/2000 = .25, reliability 1, capability .25
    assert second.score == pytest.approx(0.3 * 1 + 0.3 * 0.25 + 0.2 * 1 + 0.2 * 0.25)  # 0.625


def test_a_model_missing_a_measure_scores_half_on_it() -> None:
    (only,) = scored([rank("unpriced", usd1k=None, p50=None, success=1.0)])
    assert only.score == pytest.approx(0.3 * 0.5 + 0.3 * 0.5 + 0.2 * 1 + 0.2 * 0.5)


def test_rankings_from_the_store(rows: Rows) -> None:
    for i, latency in enumerate((1_000, 2_000, 3_000, 4_000)):
        rows.add(minutes_ago=10 + i, model="m1", tokens_in=1_000, tokens_out=500, latency=latency)
    rows.add(minutes_ago=20, model="m1", tokens_in=1_000, tokens_out=0, latency=900, error="500 Internal")
    rows.add(minutes_ago=5, model="m2", tokens_in=1_000, tokens_out=1_000, latency=500)
    by_model = {r.model: r for r in rankings(rows.cursor(), NOW)}
    m1, m2 = by_model["m1"], by_model["m2"]
    assert (m1.requests, m1.success_rate) == (5, 0.8)
    assert m1.latency_p50_ms == 2_500  # the median of the four successes, not the error
    assert m1.output_tokens_per_s == pytest.approx(2_000 / 10)  # 2,000 tokens over 10 s of generation
    # m1: $1/M in, $2/M out -> 5 requests cost 5,000 * 1e-6 + 2,000 * 2e-6 = $0.009 for 2,000 out tokens
    assert m1.usd_per_1k_output == pytest.approx(0.009 * 1000 / 2_000)
    assert m2.usd_per_1k_output == pytest.approx((1_000 * 4e-6 + 1_000 * 8e-6) * 1000 / 1_000)


def test_failover_chains_rank_each_workloads_models() -> None:
    ranks = scored([rank("a", 0.01, 500, 1.0), rank("b", 0.02, 1_000, 1.0, provider="other"),
                    rank("c", 0.04, 4_000, 0.5)])
    assert [r.model for r in ranks] == ["a", "b", "c"]
    chains = failover_chains([("coding", ["c", "a"]), ("review", ["b", "c"])], ranks)
    assert chains == {"coding": ["a", "c"], "review": ["b", "c"], ALL_MODELS: ["a", "b", "c"]}
    providers = {r.model: r.provider for r in ranks}
    assert best_alternative("a", chains, providers) == "c"  # a model: the best other in its chain
    assert best_alternative("acme", chains, providers) is None  # every coding model is on acme
    assert best_alternative("other", chains, providers) == "c"  # a provider: none of its models
    assert best_alternative("unknown-model", chains, providers) is None
