"""The shared vocabulary of DESIGN.md, computed from the store: burn rate, daily use, projected
exhaustion, cache rates, circuits, rankings, recommendations, spend and health.

One definition each, used by the dashboard and by ``packwatch status``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import duckdb

from .control import Controls, with_controls
from .overview import (
    Action,
    AlertLevel,
    BurnRate,
    CacheStats,
    Circuit,
    Health,
    ModelRank,
    Overview,
    ProviderBurn,
    Recommendation,
    SpendLine,
    Window,
)
from .schema import LEDGER_AGENT
from .settings import Settings

WINDOWS = (5, 15, 60)
FAILURE_THRESHOLD = 5  # the agents' circuit-breaker defaults (seed 000 §4.1)
RECOVERY_TIMEOUT = dt.timedelta(seconds=30)
SUCCESS_THRESHOLD = 3
WEIGHTS = {"cost": 0.3, "speed": 0.3, "reliability": 0.2, "capability": 0.2}
SERIES_HOURS = 6
SERIES_BUCKET_MIN = 10


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple]:
    return cur.execute(sql, params).fetchall()


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@dataclass
class Recent:
    """The last two hours in one pass over the priced rows: every trailing window the panes need.

    Each query has a fixed cost (planning the priced view is about 2 ms), so the windows are
    FILTER clauses of one query rather than one query each.
    """

    tokens: dict[int, int]  # window minutes -> tokens
    cost: dict[int, float]
    requests: dict[int, int]
    errors_60: int
    hits_60: int
    requests_prev_60: int
    hits_prev_60: int
    tokens_60_by_provider: dict[str, int]


def recent(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> Recent:
    windows = ", ".join(
        f"coalesce(sum(tokens) FILTER (ts > $now - INTERVAL {m} MINUTE), 0)::BIGINT, "
        f"coalesce(sum(cost_usd) FILTER (ts > $now - INTERVAL {m} MINUTE), 0), "
        f"count(*) FILTER (ts > $now - INTERVAL {m} MINUTE)" for m in WINDOWS)
    rows = _rows(cur, f"""
        SELECT provider, {windows},
            count_if(is_error AND ts > $now - INTERVAL 60 MINUTE),
            count_if(cached AND ts > $now - INTERVAL 60 MINUTE),
            count(*) FILTER (ts <= $now - INTERVAL 60 MINUTE),
            count_if(cached AND ts <= $now - INTERVAL 60 MINUTE)
        FROM usage_v WHERE ts > $now - INTERVAL 120 MINUTE AND ts <= $now
        GROUP BY GROUPING SETS ((provider), ())""", {"now": now})
    n = len(WINDOWS)
    total = [v or 0 for v in next((r[1:] for r in rows if r[0] is None), (0,) * (3 * n + 4))]
    return Recent(
        tokens={m: int(total[3 * i]) for i, m in enumerate(WINDOWS)},
        cost={m: float(total[3 * i + 1]) for i, m in enumerate(WINDOWS)},
        requests={m: int(total[3 * i + 2]) for i, m in enumerate(WINDOWS)},
        errors_60=int(total[3 * n]), hits_60=int(total[3 * n + 1]),
        requests_prev_60=int(total[3 * n + 2]), hits_prev_60=int(total[3 * n + 3]),
        tokens_60_by_provider={r[0]: int(r[3 * (n - 1) + 1]) for r in rows if r[0] is not None},
    )


@dataclass
class Totals:
    """One provider's (or, keyed None, every provider's) day and month from the hourly rollup."""

    tokens_today: int = 0
    cost_today: float = 0.0
    cost_month: float = 0.0
    requests_today: int = 0
    errors_today: int = 0
    unpriced_today: int = 0


def month_totals(cur: duckdb.DuckDBPyConnection, now: dt.datetime, day_start: dt.datetime,
                 ) -> dict[str | None, Totals]:
    """Today and this month per provider and in all (key None), in one pass over the rollup."""
    today = "FILTER (hour >= $day)"
    rows = _rows(cur, f"""
        SELECT provider, coalesce(sum(tokens) {today}, 0)::BIGINT, coalesce(sum(cost_usd) {today}, 0),
            coalesce(sum(cost_usd), 0), coalesce(sum(requests) {today}, 0)::BIGINT,
            coalesce(sum(errors) {today}, 0)::BIGINT, coalesce(sum(unpriced) {today}, 0)::BIGINT
        FROM usage_hourly WHERE hour >= $month AND hour <= $now
        GROUP BY GROUPING SETS ((provider), ())""",
        {"now": now, "day": day_start, "month": day_start.replace(day=1)})
    totals = {row[0]: Totals(*row[1:]) for row in rows}
    totals.setdefault(None, Totals())
    return totals


def burn_rate(settings: Settings, now: dt.datetime, day_start: dt.datetime, last: Recent,
              totals: dict[str | None, Totals], series: list[tuple[dt.datetime, int]]) -> BurnRate:
    """Tokens/min and USD/hour over trailing windows; today's use against daily limits."""
    windows = [Window(minutes=m, tokens_per_min=last.tokens[m] / m, usd_per_hour=last.cost[m] * 60 / m,
                      requests=last.requests[m]) for m in WINDOWS]
    today = {p: t for p, t in totals.items() if p is not None and t.requests_today}
    providers = []
    midnight = day_start + dt.timedelta(days=1)
    for provider in sorted(today.keys() | last.tokens_60_by_provider.keys(),
                           key=lambda p: (-today.get(p, Totals()).tokens_today, p)):
        tokens, cost = today.get(provider, Totals()).tokens_today, today.get(provider, Totals()).cost_today
        last60 = last.tokens_60_by_provider.get(provider, 0)
        limit = settings.daily_token_limits.get(provider)
        burn = ProviderBurn(provider=provider, tokens_today=tokens, cost_today=cost,
                            daily_limit=limit, tokens_per_min_60=last60 / 60)
        if limit:
            burn.usage_percent = 100 * tokens / limit
            burn.projected_exhaustion = projected_exhaustion(tokens, limit, last60 / 60, now, midnight)
        providers.append(burn)
    return BurnRate(windows=windows, providers=providers, series=series)


def burn_series(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """Tokens per bucket over the last hours, for the burn chart."""
    rows = _rows(cur, f"""
        SELECT epoch(time_bucket(INTERVAL {SERIES_BUCKET_MIN} MINUTE, ts)), sum(tokens)::BIGINT
        FROM usage_lite WHERE ts > $start AND ts <= $now GROUP BY 1 ORDER BY 1""",
        {"now": now, "start": now - dt.timedelta(hours=SERIES_HOURS)})
    return [(dt.datetime.fromtimestamp(b, now.tzinfo), int(t)) for b, t in rows]


def projected_exhaustion(tokens_today: int, limit: int, per_min: float, now: dt.datetime,
                         midnight: dt.datetime) -> dt.datetime | None:
    """When the trailing-60-minute rate reaches the daily limit; None when not today."""
    if tokens_today >= limit:
        return now
    if per_min <= 0:
        return None
    at = now + dt.timedelta(minutes=(limit - tokens_today) / per_min)
    return at if at < midnight else None


def circuits(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[Circuit]:
    """Per provider: CLOSED / OPEN / HALF_OPEN over the last hour (see ``circuit_timelines``)."""
    return [circuit for circuit, _ in circuit_timelines(cur, now).values()]


Transition = tuple[dt.datetime | None, str]  # (when, state entered); None = before the window


def circuit_timelines(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> dict[str, tuple[Circuit, list[Transition]]]:
    """Per provider, its circuit and the states it went through in the last hour.

    The agent's own ``circuit`` events win where there are any (the latest event's ``to``, since
    its ts). Otherwise requests and probes are replayed, in time order, through the agents'
    breaker rules. The last failure's reason (error text, 429, probe error class) comes along.
    """
    # Epoch seconds, not TIMESTAMPTZ: DuckDB hands each of those to Python through pytz, which
    # costs more than the rest of the circuit pane at a busy hour's few thousand requests.
    rows = _rows(cur, """
        SELECT provider, epoch(ts), is_error,
               coalesce(status, 0) = 429 OR error ILIKE '%429%' OR error ILIKE '%rate limit%',
               CASE WHEN is_error THEN coalesce(NULLIF(error, ''), 'HTTP ' || status) END, false
        FROM usage_lite WHERE ts > $now - INTERVAL 60 MINUTE AND ts <= $now AND NOT coalesce(cached, false)
        UNION ALL
        SELECT provider, epoch(ts), error_class IS NOT NULL, error_class = 'rate_limited',
               CASE WHEN error_class IS NOT NULL THEN 'probe ' || error_class || coalesce(': ' || message, '') END,
               true
        FROM probes WHERE ts > $now - INTERVAL 60 MINUTE AND ts <= $now
        ORDER BY 1, 2""", {"now": now})
    by_provider: dict[str, list[tuple]] = {}
    zone = now.tzinfo
    for provider, epoch, *rest in rows:
        by_provider.setdefault(provider, []).append((dt.datetime.fromtimestamp(epoch, zone), *rest))
    agent: dict[str, list[tuple]] = {}
    for provider, ts, to, reason in _rows(cur, """
            SELECT coalesce(e.provider, pa.provider, lower(e.detail->>'provider')), e.ts,
                   upper(e.detail->>'to'), e.detail->>'reason'
            FROM events_v e LEFT JOIN provider_aliases pa ON pa.raw = lower(e.detail->>'provider')
            WHERE e.kind = 'circuit' AND e.ts > $now - INTERVAL 60 MINUTE AND e.ts <= $now
                AND upper(e.detail->>'to') IN ('CLOSED', 'OPEN', 'HALF_OPEN')
            ORDER BY 1, 2""", {"now": now}):
        if provider:
            agent.setdefault(provider, []).append((ts, to, reason))
    recent = now - dt.timedelta(minutes=15)
    out = {}
    for provider in sorted(by_provider.keys() | agent.keys()):
        events = by_provider.get(provider, [])
        if provider in agent:
            timeline: list[Transition] = [(None, "CLOSED"), *((ts, to) for ts, to, _ in agent[provider])]
            source = "agent"
        else:
            timeline = breaker_transitions([(ts, bool(err)) for ts, err, *_ in events], now)
            source = "derived"
        since, state = timeline[-1]
        last_error = next((r for _, err, _, r, _ in reversed(events) if err and r), None)
        if last_error is None and provider in agent:
            last_error = next((r for _, _, r in reversed(agent[provider]) if r), None)
        requests = [e for e in events if not e[4] and e[0] > recent]
        probes = [e for e in events if e[4] and e[0] > recent]
        out[provider] = (Circuit(
            provider=provider, state=state, since=since, source=source,
            failures_15m=sum(1 for ts, err, *_ in events if err and ts > recent),
            rate_limited_15m=sum(1 for ts, _, rl, *_ in events if rl and ts > recent),
            requests_15m=len(requests), probes_15m=len(probes), last_error=last_error,
        ), timeline)
    return out


def breaker_transitions(outcomes: list[tuple[dt.datetime, bool]], now: dt.datetime) -> list[Transition]:
    """The states a breaker with failure threshold 5, recovery timeout 30 s and success threshold 3
    goes through on ``outcomes`` (ts, failed) up to ``now``, starting CLOSED."""
    transitions: list[Transition] = [(None, "CLOSED")]
    state, since, failures, successes = "CLOSED", None, 0, 0

    def enter(new: str, at: dt.datetime) -> None:
        nonlocal state, since
        state, since = new, at
        transitions.append((at, new))

    for ts, failed in outcomes:
        if state == "OPEN":
            if ts - since < RECOVERY_TIMEOUT:
                continue  # the breaker would not have let this through; it changes nothing
            enter("HALF_OPEN", since + RECOVERY_TIMEOUT)
            successes = 0
        if state == "HALF_OPEN":
            if failed:
                enter("OPEN", ts)
                failures = 0
            else:
                successes += 1
                if successes >= SUCCESS_THRESHOLD:
                    enter("CLOSED", ts)
                    failures = 0
            continue
        failures = failures + 1 if failed else 0
        if failures >= FAILURE_THRESHOLD:
            enter("OPEN", ts)
    if state == "OPEN" and now - since >= RECOVERY_TIMEOUT:
        enter("HALF_OPEN", since + RECOVERY_TIMEOUT)
    return transitions


def cache_stats(cur: duckdb.DuckDBPyConnection, now: dt.datetime, day_start: dt.datetime,
                last: Recent) -> CacheStats:
    """Response-cache hit rate (hits ÷ requests) and prompt-cache share (cache_read ÷ (input +
    cache_read)), and what both saved today."""
    # A response-cache hit saved what an average served request to that model cost today.
    (req_d, hit_d, cache_read, inp, prompt_saved, saved_tokens, saved_usd) = _rows(cur, """
        WITH today AS (SELECT model, sum(requests) AS requests, sum(cached) AS cached,
                              sum(cache_read_tokens) AS cache_read, sum(input_tokens) AS inp,
                              sum(cache_saved_usd) AS prompt_saved, sum(served) AS served,
                              sum(served_tokens) AS served_tokens, sum(served_cost_usd) AS served_cost
                       FROM usage_hourly WHERE hour >= $start AND hour <= $now GROUP BY 1)
        SELECT coalesce(sum(requests), 0)::BIGINT, coalesce(sum(cached), 0)::BIGINT,
               coalesce(sum(cache_read), 0)::BIGINT, coalesce(sum(inp), 0)::BIGINT,
               coalesce(sum(prompt_saved), 0),
               coalesce(sum(cached * served_tokens / nullif(served, 0)), 0)::BIGINT,
               coalesce(sum(cached * served_cost / nullif(served, 0)), 0)
        FROM today""", {"now": now, "start": day_start})[0]
    return CacheStats(
        hit_rate_today=_ratio(hit_d, req_d), hit_rate_60m=_ratio(last.hits_60, last.requests[60]),
        hit_rate_prev_60m=_ratio(last.hits_prev_60, last.requests_prev_60),
        prompt_cache_share_today=_ratio(cache_read, inp + cache_read),
        tokens_saved_today=int(saved_tokens) + int(cache_read),
        usd_saved_today=float(saved_usd) + float(prompt_saved),
    )


def rankings(cur: duckdb.DuckDBPyConnection, now: dt.datetime, hours: int = 24) -> list[ModelRank]:
    """Per model over the last ``hours``: speed, efficiency, reliability and a balanced score.

    Capability has no offline benchmark, so its proxy is the model's output price relative to
    the priciest model seen: providers charge more for their more capable models.
    """
    # Output tokens/s is output over the time spent producing it (a ratio of sums: a median of
    # per-request ratios would need a second sort of the whole day). The last hour's p95 rides
    # along for the latency recommendation, which sets it against the day's.
    speed = _rows(cur, """
        SELECT model, any_value(provider), count(*), 1 - count_if(is_error) / count(*),
            quantile_cont(latency_ms, [0.5, 0.95]) FILTER (NOT is_error),
            sum(output_tokens) FILTER (NOT is_error AND latency_ms > 0) * 1000.0
                / nullif(sum(latency_ms) FILTER (NOT is_error AND output_tokens > 0), 0),
            quantile_cont(latency_ms, 0.95) FILTER (NOT is_error AND ts > $now - INTERVAL 60 MINUTE),
            count(latency_ms) FILTER (NOT is_error AND ts > $now - INTERVAL 60 MINUTE)
        FROM usage_lite WHERE ts > $now - to_hours($hours) AND ts <= $now AND NOT coalesce(cached, false)
        GROUP BY 1""", {"now": now, "hours": hours})
    # Cost from the hourly rollup: pricing every raw row of a day would dominate the refresh.
    usd1k = dict(_rows(cur, """
        SELECT model, CASE WHEN sum(unpriced) = sum(requests) OR sum(output_tokens) = 0 THEN NULL
                           ELSE sum(cost_usd) * 1000.0 / sum(output_tokens) END
        FROM usage_hourly WHERE hour > $now - to_hours($hours) AND hour <= $now GROUP BY 1""",
        {"now": now, "hours": hours}))
    rows = [(m, p, n, ok, (q or [None, None])[0], (q or [None, None])[1], tps, usd1k.get(m), trend)
            for m, p, n, ok, q, tps, *trend in speed]
    if not rows:
        return []
    costs = [r[7] for r in rows if r[7]]
    p50s = [r[4] for r in rows if r[4]]
    cheapest, priciest, fastest = min(costs, default=None), max(costs, default=None), min(p50s, default=None)
    ranks = []
    for model, provider, n, success, p50, p95, tps, usd1k, (p95_60, n_60) in rows:
        cost_s = cheapest / usd1k if usd1k and cheapest else 0.5
        speed_s = fastest / p50 if p50 and fastest else 0.5
        capability = usd1k / priciest if usd1k and priciest else 0.5
        score = (WEIGHTS["cost"] * cost_s + WEIGHTS["speed"] * speed_s
                 + WEIGHTS["reliability"] * success + WEIGHTS["capability"] * capability)
        ranks.append(ModelRank(model=model, provider=provider, requests=n, success_rate=success,
                               latency_p50_ms=p50, latency_p95_ms=p95, output_tokens_per_s=tps,
                               usd_per_1k_output=usd1k, score=round(score, 4), latency_p95_60m_ms=p95_60,
                               requests_60m=n_60))
    return sorted(ranks, key=lambda r: (-r.score, r.model))


def alert_level(percent: float | None, levels: list[int]) -> AlertLevel:
    if percent is None:
        return "ok"
    names: list[AlertLevel] = ["info", "warning", "critical", "exceeded"]
    level: AlertLevel = "ok"
    for threshold, name in zip(sorted(levels), names, strict=False):
        if percent >= threshold:
            level = name
    return level


def spend(settings: Settings, totals: dict[str | None, Totals]) -> list[SpendLine]:
    """Cost today and this month, overall and per provider, against the budgets."""
    rows = [("all", totals[None].cost_today, totals[None].cost_month)] + sorted(
        ((p, t.cost_today, t.cost_month) for p, t in totals.items() if p is not None),
        key=lambda r: (-r[1], r[0]))
    lines = []
    for scope, today, month in rows:
        budget = settings.budgets.get(scope)
        daily = budget.daily_usd if budget else None
        monthly = budget.monthly_usd if budget else None
        percent = max((p for p in (_pct(today, daily), _pct(month, monthly)) if p is not None), default=None)
        lines.append(SpendLine(scope=scope, cost_today=today, budget_daily=daily,
                               percent=percent, level=alert_level(percent, settings.alert_levels),
                               cost_month=month, budget_monthly=monthly))
    return lines


def _pct(value: float, budget: float | None) -> float | None:
    return 100 * value / budget if budget else None


@dataclass
class RecommendationInputs:
    """What the recommendations read from the store, fetched apart from the reasoning so the
    queries run beside the rankings' (``overview``)."""

    baseline: tuple[float, int]  # cost in the same hour over the previous days, and how many days
    contexts: list[tuple[str, str, int]]  # provider, session, its last prompt's tokens (15 min)
    workload_models: list[tuple[str, list[str]]]  # workload, the models it used in 24 h
    unpriced: list[tuple[str, str, int]]  # provider, model, unpriced requests in 7 days


def recommendation_inputs(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> RecommendationInputs:
    # Spend in the last hour is set against the same hour of the day over the previous 7 days.
    params = {"now": now}
    return RecommendationInputs(
        baseline=tuple(_rows(cur, """
            SELECT coalesce(sum(cost_usd) FILTER (hour <= $now - INTERVAL 1 DAY
                       AND hour(hour) = hour($now - INTERVAL 30 MINUTE)), 0),
                   least(7, floor(date_diff('second', min(hour), $now) / 86400))::INTEGER
            FROM usage_hourly WHERE hour > $now - INTERVAL 8 DAY AND hour <= $now""", params)[0]),
        contexts=_rows(cur, """
            SELECT provider, session, arg_max(input_tokens + cache_read_tokens + cache_write_tokens, ts)
            FROM usage_lite WHERE ts > $now - INTERVAL 15 MINUTE AND ts <= $now AND session IS NOT NULL
                AND NOT coalesce(cached, false)
            GROUP BY 1, 2""", params),
        workload_models=_rows(cur, """
            SELECT workload, list(DISTINCT model ORDER BY model) FROM usage_hourly
            WHERE hour > $now - INTERVAL 24 HOUR AND hour <= $now AND workload IS NOT NULL
            GROUP BY 1 ORDER BY 1""", params),
        unpriced=_rows(cur, """
            SELECT provider, model, sum(unpriced)::BIGINT FROM usage_hourly
            WHERE unpriced > 0 AND hour > $now - INTERVAL 7 DAY GROUP BY 1, 2 ORDER BY 3 DESC""", params),
    )


def recommendations(inputs: RecommendationInputs, settings: Settings, now: dt.datetime, last: Recent,
                    burn: BurnRate, circuit_list: list[Circuit], ranks: list[ModelRank],
                    spend_lines: list[SpendLine]) -> list[Recommendation]:
    """Priority-ordered advice, each with the evidence behind it and, where one fits, an action."""
    recs: list[Recommendation] = []
    # Spend in the last hour against the same hour of the day over the previous 7 days.
    cost_60 = last.cost[60]
    (base_cost, days) = inputs.baseline
    if days and base_cost > 0:
        baseline = base_cost / days
        if cost_60 > 1.5 * baseline:
            recs.append(Recommendation(
                priority="HIGH", category="COST",
                message=f"Spending rate {100 * (cost_60 / baseline - 1):.0f}% above the 7-day baseline",
                evidence=f"${cost_60:.2f} in the last hour vs ${baseline:.2f} in the same hour "
                         f"on average over the previous {days} days"))
    # Latency regressions: the last hour's p95 against the whole day's.
    for r in ranks:
        model, p95_now, p95_base, n = r.model, r.latency_p95_60m_ms, r.latency_p95_ms, r.requests_60m
        if n >= 10 and p95_base and p95_now and p95_now > 1.3 * p95_base:
            recs.append(Recommendation(
                priority="MEDIUM", category="PERFORMANCE",
                message=f"{model} p95 latency up {100 * (p95_now / p95_base - 1):.0f}%",
                evidence=f"p95 {p95_now:,.0f} ms in the last hour vs {p95_base:,.0f} ms over 24 hours "
                         f"({n} requests)"))
    # Daily token limits projected to run out today.
    for p in burn.providers:
        if p.daily_limit and p.usage_percent is not None and p.usage_percent >= 100:
            recs.append(Recommendation(
                priority="CRITICAL", category="COST",
                message=f"{p.provider} daily token limit reached",
                evidence=f"{p.tokens_today:,} of {p.daily_limit:,} tokens today",
                action=Action(kind="review_only", value="on", label="switch to review-only")))
        elif p.projected_exhaustion is not None:
            recs.append(Recommendation(
                priority="HIGH", category="COST",
                message=f"{p.provider} daily limit runs out at {p.projected_exhaustion:%H:%M}",
                evidence=f"{p.tokens_today:,} of {p.daily_limit:,} tokens used, "
                         f"{p.tokens_per_min_60:,.0f} tokens/min over the last hour",
                action=Action(kind="review_only", value="on", label="switch to review-only")))
    # Context growing toward the provider's input budget: compact.
    for provider, session, prompt in inputs.contexts:
        budget = settings.input_budgets.get(provider)
        if budget and prompt >= 0.7 * budget:
            recs.append(Recommendation(
                priority="HIGH" if prompt >= 0.9 * budget else "MEDIUM", category="CONTEXT",
                message=f"Session {session} context at {100 * prompt / budget:.0f}% of {provider}'s input budget",
                evidence=f"last prompt {prompt:,} tokens; budget {budget:,} (compact at 70%)",
                action=Action(kind="compact", target=session, label="request a compaction")))
    # Open circuits: route around them.
    for c in circuit_list:
        if c.state == "OPEN":
            recs.append(Recommendation(
                priority="HIGH", category="RELIABILITY",
                message=f"{c.provider} circuit is OPEN",
                evidence=f"{c.failures_15m} failures ({c.rate_limited_15m} rate-limited) in 15 min; "
                         f"last: {c.last_error or 'n/a'}",
                action=Action(kind="failover", target=c.provider, label=f"fail over from {c.provider}")))
    # A cheaper model with the same reliability, for the same workload.
    recs.extend(_cheaper_alternatives(inputs.workload_models, ranks))
    # Budgets.
    for s in spend_lines:
        if s.level in ("critical", "exceeded"):
            recs.append(Recommendation(
                priority="CRITICAL" if s.level == "exceeded" else "HIGH", category="COST",
                message=f"{'Budget exceeded' if s.level == 'exceeded' else 'Budget nearly used'} ({s.scope})",
                evidence=f"{s.percent:.0f}% of budget: ${s.cost_today:.2f} today, ${s.cost_month:.2f} this month",
                action=Action(kind="review_only", value="on", label="switch to review-only")))
    # Unpriced models.
    for provider, model, n in inputs.unpriced:
        recs.append(Recommendation(
            priority="LOW", category="PRICING",
            message=f"{provider}/{model} is unpriced",
            evidence=f"{n:,} requests in 7 days counted without cost; add [prices.\"{provider}/{model}\"] "
                     "to the config file"))
    order = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
    return sorted(recs, key=lambda r: order[r.priority])


def _cheaper_alternatives(pairs: list[tuple[str, list[str]]], ranks: list[ModelRank]) -> list[Recommendation]:
    by_model = {r.model: r for r in ranks}
    recs = []
    for workload, models in pairs:
        ranked = [by_model[m] for m in models if m in by_model and by_model[m].usd_per_1k_output]
        for cur_model in ranked:
            for alt in ranked:
                if (alt.usd_per_1k_output < 0.5 * cur_model.usd_per_1k_output
                        and alt.success_rate >= cur_model.success_rate - 0.01
                        and cur_model.requests >= 20 and alt.requests >= 20):
                    saving = 1 - alt.usd_per_1k_output / cur_model.usd_per_1k_output
                    recs.append(Recommendation(
                        priority="MEDIUM", category="COST",
                        message=f"{alt.model} costs {100 * saving:.0f}% less than {cur_model.model} "
                                f"for {workload} work",
                        evidence=f"${alt.usd_per_1k_output:.3f} vs ${cur_model.usd_per_1k_output:.3f} per 1k output "
                                 f"tokens; success {alt.success_rate:.1%} vs {cur_model.success_rate:.1%}",
                        action=Action(kind="failover", target=cur_model.model, value=alt.model,
                                      label=f"use {alt.model} instead")))
                    break
    return recs


def health(errors_60: int, requests_60: int, circuit_list: list[Circuit], cache: CacheStats,
           spend_lines: list[SpendLine], providers: list[ProviderBurn]) -> tuple[Health, list[str]]:
    """HEALTHY / DEGRADED / UNHEALTHY from error rate, open circuits, budget use (USD budgets and
    providers' daily token limits) and cache efficiency, as the agents' performance dashboard
    defines it (seed 000 §2.6)."""
    bad: list[str] = []
    worse: list[str] = []
    rate = _ratio(errors_60, requests_60)
    if rate is not None and requests_60 >= 5:
        if rate > 0.10:
            worse.append(f"error rate {rate:.0%} in the last hour")
        elif rate > 0.05:
            bad.append(f"error rate {rate:.0%} in the last hour")
    open_ = [c.provider for c in circuit_list if c.state == "OPEN"]
    if open_:
        (worse if len(open_) * 2 >= max(len(circuit_list), 1) and len(circuit_list) > 1 else bad).append(
            f"circuit open: {', '.join(open_)}")
    for s in spend_lines:
        if s.level == "exceeded":
            worse.append(f"budget exceeded ({s.scope})")
        elif s.level == "critical":
            bad.append(f"budget {s.percent:.0f}% used ({s.scope})")
    for p in providers:
        if p.usage_percent is not None and p.usage_percent >= 100:
            worse.append(f"{p.provider} daily token limit reached ({p.usage_percent:.0f}%)")
        elif p.usage_percent is not None and p.usage_percent >= 90:
            bad.append(f"{p.provider} at {p.usage_percent:.0f}% of its daily token limit")
    now_rate, before = cache.hit_rate_60m, cache.hit_rate_prev_60m
    if now_rate is not None and before and now_rate < 0.5 * before:
        bad.append(f"cache hit rate fell to {cache.hit_rate_60m:.0%}")
    if worse:
        return "UNHEALTHY", worse + bad
    if bad:
        return "DEGRADED", bad
    return "HEALTHY", []


@contextmanager
def agent_scope(cur: duckdb.DuckDBPyConnection, agent: str | None) -> Iterator[None]:
    """Every query on ``cur`` sees only ``agent``'s rows (``claude-code``, ``codex``, or
    ``code-puppy`` for the ledgers) while inside; None sees all.

    Temporary views on this cursor alone shadow ``usage`` and ``usage_hourly``; ``usage_v`` and
    ``usage_lite`` read ``usage`` by name, so they follow. No query needs an agent clause.
    """
    if agent is None:
        yield
        return
    (db,) = cur.execute("SELECT current_database()").fetchall()[0]
    literal = agent.replace("'", "''")
    for name in ("usage", "usage_hourly"):
        cur.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{db}".main.{name}
                        WHERE coalesce(source_agent, '{LEDGER_AGENT}') = '{literal}'""")
    try:
        yield
    finally:
        for name in ("usage", "usage_hourly"):
            cur.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


def controlled_overview(cur: duckdb.DuckDBPyConnection, settings: Settings, controls: Controls,
                        now: dt.datetime, agent: str | None = None) -> Overview:
    """The overview as the agent is told to run: the controls' budgets and limits laid over the
    config's, and REVIEW-ONLY among the modes while it is on (the dashboard and ``packwatch status``)."""
    modes = (["REVIEW-ONLY"] if controls.review_only else []) + ([f"agent: {agent}"] if agent else [])
    return overview(cur, with_controls(settings, controls), now, modes=modes, agent=agent)


def overview(cur: duckdb.DuckDBPyConnection, settings: Settings, now: dt.datetime,
             modes: list[str] | None = None, agent: str | None = None) -> Overview:
    """Everything the overview screen and ``packwatch status`` show, at ``now`` (aware);
    only ``agent``'s rows when one is given.

    The panes' queries are independent, and DuckDB runs two cursors' queries at once outside the
    GIL, so the heaviest (rankings' quantiles, the circuit replay) run beside the rest.
    """
    now = now.astimezone(ZoneInfo(settings.timezone))
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    beside = cur.cursor()
    beside.execute(f"SET TimeZone = '{settings.timezone}'")
    try:
        with agent_scope(cur, agent), agent_scope(beside, agent), ThreadPoolExecutor(max_workers=1) as pool:
            heavy = pool.submit(lambda: (rankings(beside, now), circuits(beside, now)))
            last = recent(cur, now)
            totals = month_totals(cur, now, day_start)
            burn = burn_rate(settings, now, day_start, last, totals, burn_series(cur, now))
            cache = cache_stats(cur, now, day_start, last)
            last_seen, rejected = _rows(cur, """SELECT (SELECT max(ts) FROM usage WHERE ts <= $now),
                (SELECT count(*) FROM rejected)""", {"now": now})[0]
            inputs = recommendation_inputs(cur, now)
            ranks, circuit_list = heavy.result()
    finally:
        beside.close()
    spend_lines = spend(settings, totals)
    recs = recommendations(inputs, settings, now, last, burn, circuit_list, ranks, spend_lines)
    all_today = totals[None]
    state, reasons = health(last.errors_60, last.requests[60], circuit_list, cache, spend_lines, burn.providers)
    return Overview(
        now=now, timezone=settings.timezone, health=state, health_reasons=reasons,
        last_seen=last_seen.astimezone(now.tzinfo) if last_seen else None, modes=modes or [],
        requests_today=all_today.requests_today, errors_today=all_today.errors_today, burn=burn,
        circuits=circuit_list, cache=cache, rankings=ranks,
        recommendations=recs, spend=spend_lines, unpriced_today=all_today.unpriced_today, rejected_lines=rejected,
    )
