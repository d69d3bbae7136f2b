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


@pytest.mark.parametrize(("provider", "model"), [("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-opus-5-5"),
                                                 ("openai", "gpt-4.1")])
@hsettings(max_examples=25, deadline=None)
@given(inp=st.integers(0, 400_000), cw=st.integers(0, 100_000), share=st.floats(0, 1))
def test_one_hour_cache_writes_are_priced_as_genai_prices_prices_them(provider, model, inp, cw, share):
    """genai-prices counts 1-hour writes inside cache_write_tokens; so does the store."""
    one_hour = int(cw * share)
    rows = rate_rows(provider, model, {}, {})
    total = inp + cw
    (row,) = [r for r in rows if r.min_input < total <= r.max_input]
    ours = inp * row.input_rate + (cw - one_hour) * row.cache_write_rate + one_hour * row.cache_write_1h_rate
    expected = calc_price(Usage(input_tokens=total, cache_write_tokens=cw, cache_write_1h_tokens=one_hour),
                          model, provider_id=provider).total_price
    assert ours == pytest.approx(float(expected), rel=1e-9, abs=1e-12)


def test_claudes_one_hour_rate_is_its_own_and_openai_has_none():
    (opus,) = rate_rows("anthropic", "claude-opus-5-5", {}, {})
    assert (opus.cache_write_rate * 1e6, opus.cache_write_1h_rate * 1e6) == (pytest.approx(5), pytest.approx(8))
    gpt = rate_rows("openai", "gpt-4.1", {}, {})[0]
    assert gpt.cache_write_1h_rate == pytest.approx(gpt.cache_write_rate)


def test_an_agents_unknown_provider_is_priced_under_the_models_own(tmp_path):
    """Codex's config id ``stub`` serving gpt-5.5: priced, and shown, as openai; the id stays raw. A
    ledger row keeps its own provider name, priced or not (its circuits and limits are named so)."""
    settings = load_settings(ledgers=[tmp_path / "none.jsonl"], db=tmp_path / "s.duckdb", timezone="UTC")
    with Store.open(settings) as s:
        s.con.execute("""INSERT INTO usage (source_id, ts, provider_raw, model, input_tokens, output_tokens,
                             cache_read_tokens, cache_write_tokens, agent) VALUES
                         (1, '2026-11-20 10:00:00+00', 'stub', 'gpt-5.5', 1000000, 0, 0, 0, 'codex'),
                         (2, '2026-11-20 10:00:00+00', 'stub', 'gpt-5.5', 1000000, 0, 0, 0, 'code-puppy'),
                         (1, '2026-11-20 10:00:00+00', 'stub', 'no-such-model', 1, 0, 0, 0, 'codex')""")
        s.settle(-1)
        got = s.con.execute("SELECT agent, provider_raw, provider, unpriced, cost_usd > 0 FROM usage_v "
                            "ORDER BY agent, model").fetchall()
        lite = s.con.execute("SELECT agent, provider FROM usage_lite ORDER BY agent, model").fetchall()
    assert got == [("code-puppy", "stub", "stub", False, True), ("codex", "stub", "openai", False, True),
                   ("codex", "stub", "stub", True, False)]
    assert lite == [(a, p) for a, _, p, _, _ in got]
