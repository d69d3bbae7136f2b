"""What the Providers screen shows: per provider its circuit, the states it went through, 429s and
failures over time, probe latency and the last error. Plain data, no Textual."""

from __future__ import annotations

import datetime as dt

import duckdb
from pydantic import BaseModel

from .circuits import Circuit, CircuitState, circuit_timelines

WINDOW_MINUTES = 60
BUCKET_MINUTES = 2


class StateSpan(BaseModel):
    start: dt.datetime
    end: dt.datetime
    state: CircuitState


class OutcomeBucket(BaseModel):
    start: dt.datetime
    requests: int
    failures: int
    """Failed requests and failed probes."""
    rate_limited: int


class ProbePoint(BaseModel):
    ts: dt.datetime
    latency_ms: float | None
    status: int | None
    error_class: str | None


class ProviderHealth(BaseModel):
    circuit: Circuit
    timeline: list[StateSpan]
    """Contiguous spans covering the window, oldest first."""
    buckets: list[OutcomeBucket]
    probes: list[ProbePoint]
    probe_p50_ms: float | None = None


class ProvidersView(BaseModel):
    now: dt.datetime
    start: dt.datetime
    bucket_minutes: int
    providers: list[ProviderHealth]


def providers_view(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> ProvidersView:
    start = now - dt.timedelta(minutes=WINDOW_MINUTES)
    timelines = circuit_timelines(cur, now)
    buckets: dict[str, list[OutcomeBucket]] = {}
    for provider, at, requests, failures, limited in cur.execute(f"""
            WITH o AS (
                SELECT provider, ts, 1 AS request, is_error::INT AS failed,
                       coalesce(coalesce(status, 0) = 429 OR error ILIKE '%429%' OR error ILIKE '%rate limit%',
                                false)::INT AS limited
                FROM usage_lite WHERE ts > $start AND ts <= $now AND NOT coalesce(cached, false)
                UNION ALL
                SELECT provider, ts, 0, (error_class IS NOT NULL)::INT,
                       coalesce(error_class = 'rate_limited', false)::INT
                FROM probes WHERE ts > $start AND ts <= $now)
            SELECT provider, time_bucket(INTERVAL {BUCKET_MINUTES} MINUTE, ts, $start) AS b,
                   sum(request)::BIGINT, sum(failed)::BIGINT, sum(limited)::BIGINT
            FROM o GROUP BY 1, 2 ORDER BY 1, 2""", {"start": start, "now": now}).fetchall():
        buckets.setdefault(provider, []).append(OutcomeBucket(
            start=at.astimezone(now.tzinfo), requests=requests, failures=failures, rate_limited=limited))
    probes: dict[str, list[ProbePoint]] = {}
    for provider, ts, latency, status, error_class in cur.execute("""
            SELECT provider, ts, latency_ms, status, error_class FROM probes
            WHERE ts > $start AND ts <= $now ORDER BY provider, ts""", {"start": start, "now": now}).fetchall():
        probes.setdefault(provider, []).append(ProbePoint(ts=ts.astimezone(now.tzinfo), latency_ms=latency,
                                                          status=status, error_class=error_class))
    out = []
    for provider, (circuit, transitions) in timelines.items():
        points = probes.get(provider, [])
        good = sorted(p.latency_ms for p in points if p.error_class is None and p.latency_ms is not None)
        out.append(ProviderHealth(
            circuit=circuit, timeline=_spans(transitions, start, now), buckets=buckets.get(provider, []),
            probes=points, probe_p50_ms=good[len(good) // 2] if good else None))
    return ProvidersView(now=now, start=start, bucket_minutes=BUCKET_MINUTES, providers=out)


def _spans(transitions: list[tuple[dt.datetime | None, str]], start: dt.datetime, now: dt.datetime) -> list[StateSpan]:
    spans: list[StateSpan] = []
    for i, (at, state) in enumerate(transitions):
        begin = max(at or start, start)
        end = transitions[i + 1][0] if i + 1 < len(transitions) else now
        end = min(end or now, now)
        if end <= begin and i + 1 < len(transitions):
            continue
        spans.append(StateSpan(start=begin.astimezone(now.tzinfo), end=end.astimezone(now.tzinfo), state=state))
    return spans
