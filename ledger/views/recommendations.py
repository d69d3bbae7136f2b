"""Recommendations (DESIGN.md): ``{priority, category, message, evidence, action}``, where ``action``,
when set, is a control the user can apply with one key. One function per kind of advice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import duckdb
from pydantic import BaseModel

from ..control.model import Action
from ..settings import Settings
from .budgets import SpendLine
from .burn import BurnRate, Recent
from .circuits import Circuit
from .failover import best_alternative
from .quota import QuotaWindow
from .rankings import ModelRank
from .sql import Priced, priced_source, rows

PRIORITY = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
REVIEW_ONLY = {"kind": "review_only", "value": "on", "label": "switch to review-only"}


class Recommendation(BaseModel):
    priority: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    category: Literal["COST", "PERFORMANCE", "RELIABILITY", "CONTEXT", "PRICING"]
    message: str
    evidence: str
    action: Action | None = None


@dataclass
class RecommendationInputs:
    """What the recommendations read from the store, fetched apart from the reasoning so the
    queries run beside the rankings' (``overview``)."""

    baseline: tuple[float, int]  # cost in the same hour over the previous days, and how many days
    contexts: list[tuple[str, str, int]]  # provider, session, its last prompt's tokens (15 min)
    workload_models: list[tuple[str, list[str]]]  # workload, the models it used in 24 h
    unpriced: list[tuple[str, str, int]]  # provider, model, unpriced requests in 7 days


def recommendation_inputs(cur: duckdb.DuckDBPyConnection, now: dt.datetime,
                          source: Priced | None = None) -> RecommendationInputs:
    params = {"now": now}
    table = (source or priced_source(cur)).rows_from(now - dt.timedelta(minutes=15))
    return RecommendationInputs(
        baseline=tuple(rows(cur, """
            SELECT coalesce(sum(cost_usd) FILTER (hour <= $now - INTERVAL 1 DAY
                       AND hour(hour) = hour($now - INTERVAL 30 MINUTE)), 0),
                   least(7, floor(date_diff('second', min(hour), $now) / 86400))::INTEGER
            FROM usage_hourly WHERE hour > $now - INTERVAL 8 DAY AND hour <= $now""", params)[0]),
        contexts=rows(cur, f"""
            SELECT provider, session, arg_max(input_tokens + cache_read_tokens + cache_write_tokens, ts)
            FROM {table} WHERE ts > $now - INTERVAL 15 MINUTE AND ts <= $now AND session IS NOT NULL
                AND NOT coalesce(cached, false)
            GROUP BY 1, 2""", params),
        workload_models=rows(cur, """
            SELECT workload, list(DISTINCT model ORDER BY model) FROM usage_hourly
            WHERE hour > $now - INTERVAL 24 HOUR AND hour <= $now AND workload IS NOT NULL
            GROUP BY 1 ORDER BY 1""", params),
        unpriced=rows(cur, """
            SELECT provider, model, sum(unpriced)::BIGINT FROM usage_hourly
            WHERE unpriced > 0 AND hour > $now - INTERVAL 7 DAY GROUP BY 1, 2 ORDER BY 3 DESC""", params),
    )


def recommendations(inputs: RecommendationInputs, settings: Settings, last: Recent, burn: BurnRate,
                    circuit_list: list[Circuit], ranks: list[ModelRank], spend_lines: list[SpendLine],
                    chains: dict[str, list[str]], quota: list[QuotaWindow] | None = None) -> list[Recommendation]:
    """Priority-ordered advice, each with the evidence behind it and, where one fits, an action."""
    providers = {r.model: r.provider for r in ranks}
    recs = [
        *spend_above_baseline(last.cost[60], inputs.baseline),
        *latency_regressions(ranks),
        *daily_limits(burn),
        *contexts_near_budget(inputs.contexts, settings.input_budgets),
        *open_circuits(circuit_list, chains, providers),
        *cheaper_alternatives(inputs.workload_models, ranks),
        *budgets_nearly_used(spend_lines),
        *quota_running_out(quota or [], ranks),
        *unpriced_models(inputs.unpriced),
    ]
    return sorted(recs, key=lambda r: PRIORITY[r.priority])


def spend_above_baseline(cost_60: float, baseline: tuple[float, int]) -> list[Recommendation]:
    """Spend in the last hour against the same hour of the day over the previous (up to 7) days."""
    base_cost, days = baseline
    if not days or base_cost <= 0:
        return []
    mean = base_cost / days
    if cost_60 <= 1.5 * mean:
        return []
    return [Recommendation(
        priority="HIGH", category="COST",
        message=f"Spending rate {100 * (cost_60 / mean - 1):.0f}% above the 7-day baseline",
        evidence=f"${cost_60:.2f} in the last hour vs ${mean:.2f} in the same hour "
                 f"on average over the previous {days} days")]


def latency_regressions(ranks: list[ModelRank]) -> list[Recommendation]:
    """A model whose last hour's p95 latency is 30 % above its day's (with 10 requests or more)."""
    recs = []
    for r in ranks:
        p95_now, p95_base, n = r.latency_p95_60m_ms, r.latency_p95_ms, r.requests_60m
        if n >= 10 and p95_base and p95_now and p95_now > 1.3 * p95_base:
            recs.append(Recommendation(
                priority="MEDIUM", category="PERFORMANCE",
                message=f"{r.model} p95 latency up {100 * (p95_now / p95_base - 1):.0f}%",
                evidence=f"p95 {p95_now:,.0f} ms in the last hour vs {p95_base:,.0f} ms over 24 hours "
                         f"({n} requests)"))
    return recs


def daily_limits(burn: BurnRate) -> list[Recommendation]:
    """A provider's daily token limit reached, or projected to run out today."""
    recs = []
    for p in burn.providers:
        if p.daily_limit and p.usage_percent is not None and p.usage_percent >= 100:
            recs.append(Recommendation(
                priority="CRITICAL", category="COST", message=f"{p.provider} daily token limit reached",
                evidence=f"{p.tokens_today:,} of {p.daily_limit:,} tokens today", action=Action(**REVIEW_ONLY)))
        elif p.projected_exhaustion is not None:
            recs.append(Recommendation(
                priority="HIGH", category="COST",
                message=f"{p.provider} daily limit runs out at {p.projected_exhaustion:%H:%M}",
                evidence=f"{p.tokens_today:,} of {p.daily_limit:,} tokens used, "
                         f"{p.tokens_per_min_60:,.0f} tokens/min over the last hour",
                action=Action(**REVIEW_ONLY)))
    return recs


def contexts_near_budget(contexts: list[tuple[str, str, int]], budgets: dict[str, int]) -> list[Recommendation]:
    """A session whose last prompt reached 70 % of its provider's input budget: compact it."""
    recs = []
    for provider, session, prompt in contexts:
        budget = budgets.get(provider)
        if budget and prompt >= 0.7 * budget:
            recs.append(Recommendation(
                priority="HIGH" if prompt >= 0.9 * budget else "MEDIUM", category="CONTEXT",
                message=f"Session {session} context at {100 * prompt / budget:.0f}% of {provider}'s input budget",
                evidence=f"last prompt {prompt:,} tokens; budget {budget:,} (compact at 70%)",
                action=Action(kind="compact", target=session, label="request a compaction")))
    return recs


def open_circuits(circuit_list: list[Circuit], chains: dict[str, list[str]],
                  providers: dict[str, str]) -> list[Recommendation]:
    """An open circuit: route around it, to the best-ranked model its workloads also used."""
    recs = []
    for c in circuit_list:
        if c.state != "OPEN":
            continue
        target = best_alternative(c.provider, chains, providers)
        action = None if target is None else Action(
            kind="failover", target=c.provider, value=target, label=f"fail over from {c.provider} to {target}")
        recs.append(Recommendation(
            priority="HIGH", category="RELIABILITY", message=f"{c.provider} circuit is OPEN",
            evidence=f"{c.failures_15m} failures ({c.rate_limited_15m} rate-limited) in 15 min; "
                     f"last: {c.last_error or 'n/a'}", action=action))
    return recs


def cheaper_alternatives(pairs: list[tuple[str, list[str]]], ranks: list[ModelRank]) -> list[Recommendation]:
    """A model at most half the price per output token, as reliable, for the same workload (20
    requests or more each)."""
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


def budgets_nearly_used(spend_lines: list[SpendLine]) -> list[Recommendation]:
    recs = []
    for s in spend_lines:
        if s.level in ("critical", "exceeded"):
            recs.append(Recommendation(
                priority="CRITICAL" if s.level == "exceeded" else "HIGH", category="COST",
                message=f"{'Budget exceeded' if s.level == 'exceeded' else 'Budget nearly used'} ({s.scope})",
                evidence=f"{s.percent:.0f}% of budget: ${s.cost_today:.2f} today, ${s.cost_month:.2f} this month",
                action=Action(**REVIEW_ONLY)))
    return recs


def unpriced_models(unpriced: list[tuple[str, str, int]]) -> list[Recommendation]:
    return [Recommendation(
        priority="LOW", category="PRICING", message=f"{provider}/{model} is unpriced",
        evidence=f"{n:,} requests in 7 days counted without cost; add [prices.\"{provider}/{model}\"] "
                 "to the config file") for provider, model, n in unpriced]


def quota_running_out(quota: list[QuotaWindow], ranks: list[ModelRank]) -> list[Recommendation]:
    """A quota window used up, or whose own pace runs it out before it resets: switch the agent's
    priciest model to a cheaper one it used (or turn on review-only when there is none)."""
    recs = []
    for q in quota:
        if q.reset or (q.used_percent < 100 and q.full_at is None):
            continue
        label = f"{q.agent} {q.window.replace('_', '-')} quota" + (" (estimated)" if q.source == "estimated" else "")
        reset = f"{q.resets_at.astimezone():{'%H:%M' if q.window_minutes < 1440 else '%a %H:%M'}}"
        if q.used_percent >= 100:
            message, evidence = f"{label} used up", f"{q.used_percent:.0f}% used; resets at {reset}"
        else:
            ahead = q.resets_at - q.full_at
            message = f"{label} runs out at {q.full_at.astimezone():%H:%M}, {_span(ahead)} before it resets"
            evidence = f"{q.used_percent:.0f}% used; at this pace {q.projected_percent:.0f}% by {reset}"
        recs.append(Recommendation(priority="CRITICAL" if q.used_percent >= 100 else "HIGH", category="COST",
                                   message=message, evidence=evidence, action=_cheaper(q.agent, ranks)))
    return recs


def _cheaper(agent: str, ranks: list[ModelRank]) -> Action:
    """Fail the agent's priciest model over to its cheapest (by USD per 1k output), else review-only."""
    family = {"claude-code": "anthropic", "codex": "openai"}.get(agent)
    priced = sorted((r for r in ranks if r.provider == family and r.usd_per_1k_output),
                    key=lambda r: r.usd_per_1k_output)
    if len(priced) >= 2 and priced[0].model != priced[-1].model:
        cheap, dear = priced[0].model, priced[-1].model
        return Action(kind="failover", target=dear, value=cheap, label=f"switch {dear} to the cheaper {cheap}")
    return Action(**REVIEW_ONLY)


def _span(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
