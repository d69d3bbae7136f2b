"""What the overview screen and ``packwatch status`` show, computed in one pass over the store.

Every pane's numbers come from its own view module (burn, budgets, cache, circuits, rankings,
recommendations, health); this one runs their queries — the heaviest (rankings' quantiles, the
circuit replay, with the burn chart and today's models to even the shares) on a second cursor beside
the rest, since DuckDB runs two cursors' queries at once outside the GIL — and holds the result as
one plain model (``status --json`` prints it).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import duckdb
from pydantic import BaseModel, Field

from ..control.model import Controls, with_controls
from ..scope import EVERY_AGENT, AgentScope
from ..settings import Settings
from .agents import agents_found
from .budgets import SpendLine, spend_lines
from .burn import BurnRate, burn_rate, burn_series, month_totals, recent
from .cache import CacheStats, cache_stats
from .circuits import Circuit, circuits
from .failover import failover_chains
from .health import Health, health
from .limits import LimitLine, ShortSpend, has_short_limits, limit_lines, short_spend
from .pack import PackView, pack_view
from .quota import BLOCK_AGENTS, QuotaWindow, quota_windows
from .rankings import ModelRank, rankings
from .recommendations import Recommendation, recommendation_inputs, recommendations
from .sql import priced_source, rows
from .today import ModelToday, TokensToday, models_today


class Overview(BaseModel):
    now: dt.datetime
    timezone: str
    health: Health
    health_reasons: list[str]
    last_seen: dt.datetime | None
    """Time of the newest ledger row."""
    modes: list[str]
    """Modes the agent is in (e.g. REVIEW-ONLY) once controls exist."""
    requests_today: int
    errors_today: int
    burn: BurnRate
    circuits: list[Circuit]
    cache: CacheStats
    rankings: list[ModelRank]
    recommendations: list[Recommendation]
    spend: list[SpendLine]
    unpriced_today: int = 0
    rejected_lines: int = 0
    chains: dict[str, list[str]] = Field(default_factory=dict)
    """Per workload, the models it used in the last day, best ranked first (``models seen``: all):
    where a failover may go."""
    agents: list[str] = Field(default_factory=list)
    """Every agent program the store has rows of, whatever the scope (what ``a`` cycles through)."""
    today: TokensToday = Field(default_factory=lambda: TokensToday())
    """Today's tokens by kind (reasoning is part of output)."""
    models_today: list[ModelToday] = Field(default_factory=list)
    """Today per model and agent: requests, tokens by kind (reasoning included), cost."""
    quota: list[QuotaWindow] = Field(default_factory=list)
    """Subscription quota windows (DESIGN.md): the agents' own, and estimated 5-hour blocks."""
    limits: list[LimitLine] = Field(default_factory=list)
    """The hourly and per-task budgets in force: the hour's spend, the task nearest each task limit."""
    pack: PackView | None = None
    """The pack's runs per role against the governor's limits, and each member's day (the Pack view)."""
    short: ShortSpend = Field(default_factory=ShortSpend, exclude=True)
    """The last hour per provider and the recent tasks (for the summary the hooks read)."""

    @property
    def status_code(self) -> int:
        """``packwatch status`` exit code: 0 normal, 10 warning, 11 a limit reached."""
        levels = [s.level for s in self.spend] + [s.level for s in self.limits]
        if "exceeded" in levels or any(
            p.usage_percent is not None and p.usage_percent >= 100 for p in self.burn.providers
        ) or any(q.used_percent >= 100 for q in self.quota):
            return 11
        if self.health != "HEALTHY" or "warning" in levels or "critical" in levels or any(
                q.used_percent >= 90 for q in self.quota):
            return 10
        return 0

    @property
    def model_providers(self) -> dict[str, str]:
        return {r.model: r.provider for r in self.rankings}


def controlled_overview(cur: duckdb.DuckDBPyConnection, settings: Settings, controls: Controls,
                        now: dt.datetime, scope: AgentScope = EVERY_AGENT) -> Overview:
    """The overview as the agent is told to run: the controls' budgets and limits laid over the
    config's, and REVIEW-ONLY among the modes while it is on (the dashboard and ``packwatch status``)."""
    label = scope.label()
    modes = (["REVIEW-ONLY"] if controls.review_only else []) + ([f"agent: {label}"] if label else [])
    return overview(cur, with_controls(settings, controls), now, modes=modes, scope=scope)


def overview(cur: duckdb.DuckDBPyConnection, settings: Settings, now: dt.datetime,
             modes: list[str] | None = None, scope: AgentScope = EVERY_AGENT) -> Overview:
    """Everything the overview screen and ``packwatch status`` show, at ``now`` (aware), for the
    rows of ``scope``."""
    now = now.astimezone(ZoneInfo(settings.timezone))
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    beside = cur.cursor()
    beside.execute(f"SET TimeZone = '{settings.timezone}'")
    agents = agents_found(cur)  # unscoped: every agent the key can step to
    try:
        with scope.applied(cur), scope.applied(beside), ThreadPoolExecutor(max_workers=1) as pool:
            source = priced_source(cur)
            # The two cursors' shares about even: the rankings' quantiles weigh most.
            heavy = pool.submit(lambda: (rankings(beside, now, source=source), circuits(beside, now, source),
                                         burn_series(beside, now, source), models_today(beside, now, day_start)))
            last = recent(cur, now, source)
            totals = month_totals(cur, now, day_start)
            cache = cache_stats(cur, now, day_start, last)
            last_seen, rejected = rows(cur, """SELECT (SELECT max(ts) FROM usage WHERE ts <= $now),
                (SELECT count(*) FROM rejected)""", {"now": now})[0]
            inputs = recommendation_inputs(cur, now, source)
            # (estimated blocks only for the agents with rows at all: most stores have none of theirs)
            quota = quota_windows(cur, now, settings.quota_block_tokens, tuple(a for a in BLOCK_AGENTS if a in agents))
            short = short_spend(cur, now, source) if has_short_limits(settings) else ShortSpend()
            pack = pack_view(cur, settings.pack, now, day_start, source)
            ranks, circuit_list, series, per_model = heavy.result()
    finally:
        beside.close()
    burn = burn_rate(settings, now, day_start, last, totals, series)
    spend = spend_lines(settings, totals)
    chains = failover_chains(inputs.workload_models, ranks)
    recs = recommendations(inputs, settings, last, burn, circuit_list, ranks, spend, chains, quota)
    state, reasons = health(last.errors_60, last.requests[60], circuit_list, cache, spend, burn.providers, quota)
    today = totals[None]
    return Overview(
        now=now, timezone=settings.timezone, health=state, health_reasons=reasons,
        last_seen=last_seen.astimezone(now.tzinfo) if last_seen else None, modes=modes or [],
        requests_today=today.requests_today, errors_today=today.errors_today, burn=burn,
        circuits=circuit_list, cache=cache, rankings=ranks, recommendations=recs, spend=spend,
        unpriced_today=today.unpriced_today, rejected_lines=rejected, chains=chains, agents=agents,
        today=TokensToday.of(per_model), models_today=per_model, quota=quota,
        limits=limit_lines(settings, short), short=short, pack=pack,
    )
