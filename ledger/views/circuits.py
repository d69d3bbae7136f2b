"""Circuit state per provider (DESIGN.md): CLOSED / OPEN / HALF_OPEN — the agent's own ``circuit``
events where present, otherwise derived from requests and probes with the agents' breaker defaults
(failure threshold 5, recovery timeout 30 s, success threshold 3; seed 000 §4.1)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
from pydantic import BaseModel

from .sql import Priced, priced_source, rows

CircuitState = Literal["CLOSED", "OPEN", "HALF_OPEN"]
FAILURE_THRESHOLD = 5
RECOVERY_TIMEOUT = dt.timedelta(seconds=30)
SUCCESS_THRESHOLD = 3

Transition = tuple[dt.datetime | None, str]  # (when, state entered); None = before the window


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


def circuits(cur: duckdb.DuckDBPyConnection, now: dt.datetime, source: Priced | None = None) -> list[Circuit]:
    """Per provider: CLOSED / OPEN / HALF_OPEN over the last hour (see ``circuit_timelines``)."""
    return [circuit for circuit, _ in circuit_timelines(cur, now, source).values()]


def _outcomes(cur: duckdb.DuckDBPyConnection, now: dt.datetime, source: Priced | None) -> dict[str, list[tuple]]:
    """Per provider, the last hour's requests and probes in time order:
    (ts, failed, rate limited, reason, is a probe)."""
    # Epoch seconds, not TIMESTAMPTZ: DuckDB hands each of those to Python through pytz, which
    # costs more than the rest of the circuit pane at a busy hour's few thousand requests.
    table = (source or priced_source(cur)).rows_from(now - dt.timedelta(minutes=60))
    found = rows(cur, f"""
        SELECT provider, epoch(ts), is_error,
               coalesce(status, 0) = 429 OR error ILIKE '%429%' OR error ILIKE '%rate limit%',
               CASE WHEN is_error THEN coalesce(NULLIF(error, ''), 'HTTP ' || status) END, false
        FROM {table} WHERE ts > $now - INTERVAL 60 MINUTE AND ts <= $now AND NOT coalesce(cached, false)
        UNION ALL
        SELECT provider, epoch(ts), error_class IS NOT NULL, error_class = 'rate_limited',
               CASE WHEN error_class IS NOT NULL THEN 'probe ' || error_class || coalesce(': ' || message, '') END,
               true
        FROM probes WHERE ts > $now - INTERVAL 60 MINUTE AND ts <= $now
        ORDER BY 1, 2""", {"now": now})
    by_provider: dict[str, list[tuple]] = {}
    zone = now.tzinfo
    for provider, epoch, *rest in found:
        by_provider.setdefault(provider, []).append((dt.datetime.fromtimestamp(epoch, zone), *rest))
    return by_provider


def _agent_events(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> dict[str, list[tuple]]:
    """Per provider, the agent's own circuit events of the last hour: (ts, to, reason)."""
    agent: dict[str, list[tuple]] = {}
    if not rows(cur, """SELECT EXISTS (SELECT 1 FROM events WHERE kind = 'circuit'
                        AND ts > $now - INTERVAL 60 MINUTE AND ts <= $now)""", {"now": now})[0][0]:
        return agent  # most hours hold none: the query below (JSON, aliases) is skipped
    for provider, ts, to, reason in rows(cur, """
            SELECT coalesce(e.provider, pa.provider, lower(e.detail->>'provider')), e.ts,
                   upper(e.detail->>'to'), e.detail->>'reason'
            FROM events_v e LEFT JOIN provider_aliases pa ON pa.raw = lower(e.detail->>'provider')
            WHERE e.kind = 'circuit' AND e.ts > $now - INTERVAL 60 MINUTE AND e.ts <= $now
                AND upper(e.detail->>'to') IN ('CLOSED', 'OPEN', 'HALF_OPEN')
            ORDER BY 1, 2""", {"now": now}):
        if provider:
            agent.setdefault(provider, []).append((ts, to, reason))
    return agent


def circuit_timelines(cur: duckdb.DuckDBPyConnection, now: dt.datetime,
                      source: Priced | None = None) -> dict[str, tuple[Circuit, list[Transition]]]:
    """Per provider, its circuit and the states it went through in the last hour.

    The agent's own ``circuit`` events win where there are any (the latest event's ``to``, since
    its ts). Otherwise requests and probes are replayed, in time order, through the agents'
    breaker rules. The last failure's reason (error text, 429, probe error class) comes along.
    """
    by_provider = _outcomes(cur, now, source)
    agent = _agent_events(cur, now)
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
        out[provider] = (Circuit(
            provider=provider, state=state, since=since, source=source,
            failures_15m=sum(1 for ts, err, *_ in events if err and ts > recent),
            rate_limited_15m=sum(1 for ts, _, rl, *_ in events if rl and ts > recent),
            requests_15m=sum(1 for e in events if not e[4] and e[0] > recent),
            probes_15m=sum(1 for e in events if e[4] and e[0] > recent), last_error=last_error,
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
