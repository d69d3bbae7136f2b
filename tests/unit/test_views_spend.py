"""The Spend screen's numbers, the Providers screen's buckets, the event log's filters, and the agent
scope every view honours."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ledger.scope import AgentScope
from ledger.settings import Budget
from ledger.views import spend
from ledger.views.events import event_log, summary
from ledger.views.overview import overview
from ledger.views.providers import providers_view

from .fixtures import NOW, ZONE, Rows


def test_the_forecast_adds_the_last_weeks_pace_to_the_month_so_far(rows: Rows) -> None:
    # $0.01 on each of the 7 days before today (1,000 in + 4,500 out at $1/$2 per million), $0.02 today.
    for day in range(1, 8):
        rows.add(minutes_ago=day * 24 * 60, tokens_in=1_000, tokens_out=4_500)
    rows.add(minutes_ago=60, tokens_in=2_000, tokens_out=9_000)
    rows.settings = rows.settings.model_copy(update={"budgets": {"all": Budget(daily_usd=1.0)}})
    review = spend.review(rows.cursor(), rows.settings, NOW, days=30)
    assert len(review.days) == 30 and review.days[-1].date == NOW.date()
    assert review.month_to_date == pytest.approx(0.09)  # November 13-20
    assert review.forecast_daily_mean == pytest.approx(0.01)
    # from 15:30 on the 20th to midnight on the 30th: 10 days and 8.5 hours
    assert review.forecast_days_left == pytest.approx(10 + 8.5 / 24)
    assert review.forecast_month == pytest.approx(0.09 + 0.01 * (10 + 8.5 / 24))
    assert review.budget_daily == 1.0


def test_a_days_breakdown_by_provider_and_session(rows: Rows) -> None:
    rows.add(minutes_ago=30, provider="acme", session="s1")
    rows.add(minutes_ago=20, provider="acme", session="s1")
    rows.add(minutes_ago=10, provider="zeta", model="z1", session="s2")
    day = spend.day_breakdown(rows.cursor(), NOW.date(), ZONE)
    assert [(r.key, r.requests) for r in day.providers] == [("acme", 2), ("zeta", 1)]
    assert [(r.key, r.requests) for r in day.sessions] == [("s1", 2), ("s2", 1)]
    assert day.cost_usd == pytest.approx(2 * (1_000e-6 + 200e-6) + (500e-6 + 100e-6))


def test_the_providers_screen_buckets_two_minutes_at_a_time(rows: Rows) -> None:
    rows.add(minutes_ago=1, error="429 Too Many Requests", status=429)
    rows.add(minutes_ago=1.5)
    rows.add(minutes_ago=7)
    (acme,) = providers_view(rows.cursor(), NOW).providers
    counts = [(b.requests, b.failures, b.rate_limited) for b in acme.buckets]
    assert counts == [(1, 0, 0), (2, 1, 1)]
    assert acme.circuit.state == "CLOSED" and acme.circuit.failures_15m == 1


def test_the_event_log_filters_and_searches(rows: Rows) -> None:
    events = rows.ledger.with_name("events.jsonl")
    lines = [{"ts": "2026-11-20T15:00:00", "kind": "failover", "agent": "husky", "provider": "cerebras",
              "detail": {"from": "glm-4.7", "to": "claude-haiku-4-5"}},
             {"ts": "2026-11-20T15:01:00", "kind": "blocked", "agent": "terrier", "detail": {"tool": "edit_file"}}]
    events.write_text("".join(json.dumps(e) + "\n" for e in lines))
    rows.add(minutes_ago=5)
    cur = rows.cursor()
    assert list(event_log(cur)["kind"]) == ["blocked", "failover"]  # newest first
    assert list(event_log(cur, kind="failover")["subagent"]) == ["husky"]
    assert list(event_log(cur, kind="failover")["agent"]) == ["code-puppy"]
    assert list(event_log(cur, search="edit_FILE")["kind"]) == ["blocked"]
    assert summary('{"from": "CLOSED", "to": "OPEN", "origin": "x"}') == "from=CLOSED to=OPEN"


def test_the_agent_scope_narrows_every_view(rows: Rows) -> None:
    rows.add(minutes_ago=4, tokens_in=1_000, tokens_out=0)
    cur = rows.cursor()
    # a Claude Code row, as its adapter stores it
    cur.execute("""INSERT INTO usage (source_id, ts, model, provider_raw, input_tokens, output_tokens,
                   cache_read_tokens, cache_write_tokens, agent)
                   VALUES (0, ?, 'claude-sonnet-4-5', 'anthropic', 9000, 0, 0, 0, 'claude-code')""",
                [NOW - dt.timedelta(minutes=3)])
    rows.store.settle(-1)
    everyone = overview(cur, rows.settings, NOW)
    claude = overview(cur, rows.settings, NOW, scope=AgentScope.of("claude-code"))
    puppy = overview(cur, rows.settings, NOW, scope=AgentScope.of(["code-puppy"]))
    five = {v: {w.minutes: w for w in o.burn.windows}[5].tokens_per_min * 5 for v, o in
            (("all", everyone), ("claude", claude), ("puppy", puppy))}
    assert five == {"all": 10_000, "claude": 9_000, "puppy": 1_000}
    assert [r.model for r in claude.rankings] == ["claude-sonnet-4-5"]
    with AgentScope.of("claude-code").applied(cur):
        assert spend.day_breakdown(cur, NOW.date(), ZONE).providers[0].key == "anthropic"
    assert {r.key for r in spend.day_breakdown(cur, NOW.date(), ZONE).providers} == {"acme", "anthropic"}
