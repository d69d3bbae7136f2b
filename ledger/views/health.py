"""Overall health, as the agents' performance dashboard defines it (seed 000 §2.6): HEALTHY /
DEGRADED / UNHEALTHY from error rate, open circuits, budget use (USD budgets and providers' daily
token limits) and cache efficiency."""

from __future__ import annotations

from typing import Literal

from .budgets import SpendLine
from .burn import ProviderBurn
from .cache import CacheStats
from .circuits import Circuit
from .quota import QuotaWindow
from .sql import ratio

Health = Literal["HEALTHY", "DEGRADED", "UNHEALTHY"]


def health(errors_60: int, requests_60: int, circuit_list: list[Circuit], cache: CacheStats,
           spend_lines: list[SpendLine], providers: list[ProviderBurn],
           quota: list[QuotaWindow] | None = None) -> tuple[Health, list[str]]:
    """The state and its reasons, worst first."""
    bad: list[str] = []
    worse: list[str] = []
    rate = ratio(errors_60, requests_60)
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
    for q in quota or []:
        label = f"{q.agent} {q.window.replace('_', '-')} quota{' (estimated)' if q.source == 'estimated' else ''}"
        if q.used_percent >= 100:
            worse.append(f"{label} used up ({q.used_percent:.0f}%)")
        elif q.used_percent >= 90:
            bad.append(f"{label} at {q.used_percent:.0f}%")
    now_rate, before = cache.hit_rate_60m, cache.hit_rate_prev_60m
    if now_rate is not None and before and now_rate < 0.5 * before:
        bad.append(f"cache hit rate fell to {cache.hit_rate_60m:.0%}")
    if worse:
        return "UNHEALTHY", worse + bad
    if bad:
        return "DEGRADED", bad
    return "HEALTHY", []
