"""Costs come from genai-prices; the SQL rate rows must agree with calc_price itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ledger.pricing import priced_provider, rate_rows
from ledger.settings import PriceOverride, load_settings
from ledger.store import Store
from tests.conftest import append, ingest, line

MODELS = [("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-opus-4-5"),
          ("openai", "gpt-4.1"), ("google", "gemini-2.5-pro"), ("google", "gemini-2.5-flash")]


def sql_cost(rows, inp: int, out: int, cr: int, cw: int) -> float:
    total = inp + cr + cw
    (row,) = [r for r in rows if r.min_input < total <= r.max_input]
    return inp * row.input_rate + out * row.output_rate + cr * row.cache_read_rate \
        + cw * row.cache_write_rate


@pytest.mark.parametrize(("provider", "model"), MODELS)
@hsettings(max_examples=40, deadline=None)
@given(inp=st.integers(0, 2_000_000), out=st.integers(0, 100_000),
       cr=st.integers(0, 500_000), cw=st.integers(0, 100_000))
def test_rate_rows_agree_with_calc_price(provider, model, inp, out, cr, cw):
    rows = rate_rows(provider, model, {}, {})
    expected = calc_price(
        Usage(input_tokens=inp + cr + cw, output_tokens=out, cache_read_tokens=cr,
              cache_write_tokens=cw),
        model, provider_id=provider,
    ).total_price
    assert sql_cost(rows, inp, out, cr, cw) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)


def test_tiers_are_kept():
    rows = rate_rows("anthropic", "claude-sonnet-4-5", {}, {})
    assert len(rows) == 2
    assert rows[1].input_rate == pytest.approx(2 * rows[0].input_rate)


def test_code_puppy_aliases():
    assert priced_provider("claude_opus") == "anthropic"
    assert priced_provider("claude_sonnet") == "anthropic"
    assert priced_provider("gemini_flash") == "google"
    assert priced_provider("codex") == "openai"
    assert priced_provider("cerebras") == "cerebras"
    assert priced_provider("my_llm", {"my_llm": "openai"}) == "openai"


def test_unknown_model_is_unpriced_not_borrowed():
    # genai-prices knows glm-4.7 from Z.ai, not from Cerebras: never price one with the other.
    assert rate_rows("cerebras", "glm-4.7", {}, {}) == []


def test_model_alias_and_prefix_are_understood():
    assert rate_rows("anthropic", "claude-haiku-3.5", {}, {"claude-haiku-3.5": "claude-3-5-haiku"})
    assert rate_rows("openai", "openai-gpt-4.1", {}, {})


def _report_cost(settings) -> tuple[float, int]:
    with Store.open(settings) as s:
        ingest(s, settings)
        return s.con.execute("SELECT sum(cost_usd), count_if(unpriced) FROM usage_v").fetchone()


def test_unpriced_requests_are_counted_and_an_override_prices_them(tmp_path, ledger):
    append(ledger, line(provider="cerebras", model="glm-4.7", **{"in": 1_000_000, "out": 1_000_000}))
    plain = load_settings(ledgers=[ledger], db=tmp_path / "s.duckdb", timezone="UTC")
    assert _report_cost(plain) == (0.0, 1)
    priced = load_settings(
        ledgers=[ledger], db=tmp_path / "s.duckdb", timezone="UTC",
        prices={"cerebras/glm-4.7": PriceOverride(input_mtok=2.25, output_mtok=2.75)},
    )
    cost, unpriced = _report_cost(priced)
    assert (round(cost, 6), unpriced) == (5.0, 0)
    cheaper = load_settings(
        ledgers=[ledger], db=tmp_path / "s.duckdb", timezone="UTC",
        prices={"cerebras/glm-4.7": PriceOverride(input_mtok=1, output_mtok=1)},
    )
    assert _report_cost(cheaper) == (pytest.approx(2.0), 0)


def test_a_writer_cost_wins(store, settings, ledger):
    append(ledger, line(cost_usd=1.25) + line(**{"in": 1_000_000, "out": 0}))
    ingest(store, settings)
    costs = sorted(r[0] for r in store.con.execute("SELECT cost_usd FROM usage_v").fetchall())
    assert costs == [pytest.approx(1.25), pytest.approx(6.0)]  # over 200k input: long-context tier


def test_cache_tokens_are_priced_at_cache_rates(store, settings, ledger):
    append(ledger, line(**{"in": 0, "out": 0}, cache_read=1_000_000, cache_write=1_000_000))
    ingest(store, settings)
    (cost,) = store.con.execute("SELECT cost_usd FROM usage_v").fetchone()
    expected = calc_price(Usage(input_tokens=2_000_000, cache_read_tokens=1_000_000,
                                cache_write_tokens=1_000_000), "claude-sonnet-4-5",
                          provider_id="anthropic").total_price
    assert Decimal(str(round(cost, 6))) == expected
