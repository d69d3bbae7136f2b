"""Circuits from requests, probes and the agent's own circuit events, on a clock the test moves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from collectors.probes import ProbeRunner, ProbeTarget
from collectors.sources import catch_up_all
from ledger.agent.writer import LedgerWriter, event_record, usage_record
from ledger.settings import ProbeSettings
from ledger.store import Store
from ledger.views.circuits import circuit_timelines, circuits
from tests.support.loopback import FakeProvider
from tests.unit.test_probes import FakeTime

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server():
    s = FakeProvider()
    yield s
    s.close()


def circuit_of(store: Store, provider: str, at: dt.datetime):
    return next(c for c in circuits(store.con, at) if c.provider == provider)


async def probe_rounds(store: Store, runner: ProbeRunner, clock: FakeTime, rounds: int) -> None:
    """Each round at the moment the next probe is due, as the live loop would run it."""
    async with runner.client() as client:
        for _ in range(rounds):
            clock.seconds += runner.seconds_to_next()
            store.record_probes([r.row() for r in await runner.round(client)])


PROBES = ProbeSettings(interval=2, timeout=1, max_backoff=4)


async def test_closed_open_half_open_closed(store: Store, server: FakeProvider) -> None:
    clock = FakeTime()
    failing = ProbeRunner([ProbeTarget("cerebras", server.url("/500"))], PROBES, clock=clock.wall,
                          monotonic=clock.monotonic)
    await probe_rounds(store, failing, clock, 4)
    assert circuit_of(store, "cerebras", clock.wall()).state == "CLOSED"  # 4 failures: not yet
    await probe_rounds(store, failing, clock, 1)
    opened_at = clock.wall()
    circuit = circuit_of(store, "cerebras", opened_at)
    assert (circuit.state, circuit.since, circuit.failures_15m) == ("OPEN", opened_at, 5)
    assert circuit.last_error == "probe http_5xx: 500 Internal Server Error: upstream exploded"
    later = opened_at + dt.timedelta(seconds=30)
    assert circuit_of(store, "cerebras", later - dt.timedelta(seconds=1)).state == "OPEN"
    assert circuit_of(store, "cerebras", later).state == "HALF_OPEN"
    # The provider recovers: three good probes close the circuit.
    clock.seconds += 31
    healthy = ProbeRunner([ProbeTarget("cerebras", server.url("/ok"))], PROBES, clock=clock.wall,
                          monotonic=clock.monotonic)
    await probe_rounds(store, healthy, clock, 2)
    assert circuit_of(store, "cerebras", clock.wall()).state == "HALF_OPEN"
    await probe_rounds(store, healthy, clock, 1)
    circuit, timeline = circuit_timelines(store.con, clock.wall())["cerebras"]
    assert circuit.state == "CLOSED" and circuit.source == "derived"
    assert [state for _, state in timeline] == ["CLOSED", "OPEN", "HALF_OPEN", "CLOSED"]


async def test_a_bad_key_opens_the_circuit_with_the_reason(store: Store, server: FakeProvider) -> None:
    clock = FakeTime()
    key = "sk-wrong-0123456789abcdefgh"
    bad = ProbeTarget("openai", server.url("/auth"), {"authorization": f"Bearer {key}"}, (key,))
    runner = ProbeRunner([bad], PROBES, clock=clock.wall, monotonic=clock.monotonic)
    await probe_rounds(store, runner, clock, 5)
    circuit = circuit_of(store, "openai", clock.wall())
    assert circuit.state == "OPEN"
    assert circuit.last_error == "probe auth: 401 Unauthorized: Incorrect API key provided: ****"
    assert server.headers_seen[-1]["authorization"] == f"Bearer {key}"  # the key was really sent


def test_requests_and_probes_count_together(store: Store, settings, ledger: Path) -> None:
    t0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    writer = LedgerWriter(ledger)
    for i in range(3):
        writer.append(usage_record(ts=(t0 + dt.timedelta(seconds=i)).isoformat(), provider="gemini",
                                   model="gemini-2.5-pro", input_tokens=10, output_tokens=0, status=429,
                                   error="429 Too Many Requests"))
    catch_up_all(store, settings)
    at = t0 + dt.timedelta(seconds=3)
    assert circuit_of(store, "google", at).state == "CLOSED"
    store.record_probes([(at + dt.timedelta(seconds=i), "google", None, None, None, "timeout", "no answer")
                         for i in range(2)])
    circuit = circuit_of(store, "google", at + dt.timedelta(seconds=2))
    assert (circuit.state, circuit.rate_limited_15m, circuit.requests_15m, circuit.probes_15m) == ("OPEN", 3, 3, 2)
    assert circuit.last_error == "probe timeout: no answer"


def test_the_agents_own_circuit_events_win(store: Store, settings, ledger: Path) -> None:
    t0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    LedgerWriter(ledger).append(usage_record(ts=t0.isoformat(), provider="cerebras", model="glm-4.7",
                                             input_tokens=10, output_tokens=10))  # a success: derived CLOSED
    events = LedgerWriter(ledger.parent / "events.jsonl")
    opened = t0 + dt.timedelta(seconds=5)
    events.append(event_record("circuit", ts=opened.isoformat(), agent="husky", provider="cerebras",
                               reason="429 burst", **{"from": "CLOSED", "to": "OPEN"}))
    catch_up_all(store, settings)
    circuit = circuit_of(store, "cerebras", t0 + dt.timedelta(minutes=5))  # no decay: the agent says OPEN
    assert (circuit.state, circuit.since, circuit.source, circuit.last_error) == ("OPEN", opened, "agent", "429 burst")
    events.append(event_record("circuit", ts=(opened + dt.timedelta(seconds=40)).isoformat(),
                               provider="cerebras", **{"from": "OPEN", "to": "HALF_OPEN"}))
    catch_up_all(store, settings)
    assert circuit_of(store, "cerebras", t0 + dt.timedelta(minutes=5)).state == "HALF_OPEN"
