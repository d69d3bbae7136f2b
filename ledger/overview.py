"""What the dashboard's panes and ``packwatch status`` show: plain data, no Textual.

``insights.overview()`` fills these from the store; the dashboard renders them and
``packwatch status --json`` prints them (``model_dump(mode="json")``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

CircuitState = Literal["CLOSED", "OPEN", "HALF_OPEN"]
Health = Literal["HEALTHY", "DEGRADED", "UNHEALTHY"]
AlertLevel = Literal["ok", "info", "warning", "critical", "exceeded"]  # <50, 50, 75, 90, 100 %


class Window(BaseModel):
    """Burn over one trailing window."""

    minutes: int
    tokens_per_min: float
    usd_per_hour: float
    requests: int


class ProviderBurn(BaseModel):
    provider: str
    tokens_today: int
    cost_today: float
    daily_limit: int | None = None
    """Tokens per day the provider allows, when known (settings/controls)."""
    usage_percent: float | None = None
    projected_exhaustion: dt.datetime | None = None
    """When today's trailing-60-minute rate reaches the limit; None = not today."""
    tokens_per_min_60: float = 0.0


class BurnRate(BaseModel):
    windows: list[Window]
    """5, 15 and 60 minutes."""
    providers: list[ProviderBurn]
    series: list[tuple[dt.datetime, int]] = Field(default_factory=list)
    """Tokens per 10-minute bucket over the last hours, for the chart (local time)."""


class Circuit(BaseModel):
    provider: str
    state: CircuitState
    since: dt.datetime | None
    failures_15m: int
    rate_limited_15m: int
    requests_15m: int
    probes_15m: int = 0
    last_error: str | None = None
    """The last failure's reason: error text, a 429, or ``probe <class>: <answer>``."""
    source: Literal["agent", "derived"] = "derived"
    """``agent``: from the agent's own circuit events; ``derived``: replayed from requests and probes."""


class CacheStats(BaseModel):
    hit_rate_today: float | None
    hit_rate_60m: float | None
    hit_rate_prev_60m: float | None
    prompt_cache_share_today: float | None
    tokens_saved_today: int
    usd_saved_today: float


class ModelRank(BaseModel):
    model: str
    provider: str
    requests: int
    success_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    output_tokens_per_s: float | None
    usd_per_1k_output: float | None
    score: float
    latency_p95_60m_ms: float | None = None  # the last hour's, against the day's: the trend
    requests_60m: int = 0
    """Balanced score 0..1 (cost .3, speed .3, reliability .2, capability .2)."""


class Action(BaseModel):
    """A control the user can apply with one key (issue: controls)."""

    kind: Literal["review_only", "failover", "compact", "budget"]
    target: str | None = None
    value: str | float | None = None
    label: str


class Recommendation(BaseModel):
    priority: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    category: Literal["COST", "PERFORMANCE", "RELIABILITY", "CONTEXT", "PRICING"]
    message: str
    evidence: str
    action: Action | None = None


class SpendLine(BaseModel):
    scope: str
    """``all`` or a provider."""
    cost_today: float
    budget_daily: float | None
    percent: float | None
    level: AlertLevel
    cost_month: float
    budget_monthly: float | None = None


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

    @property
    def status_code(self) -> int:
        """``packwatch status`` exit code: 0 normal, 10 warning, 11 a limit reached."""
        if any(s.level == "exceeded" for s in self.spend) or any(
            p.usage_percent is not None and p.usage_percent >= 100 for p in self.burn.providers
        ):
            return 11
        if self.health != "HEALTHY" or any(s.level in ("warning", "critical") for s in self.spend):
            return 10
        return 0
