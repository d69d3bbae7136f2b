"""A simulated agent pack (Code Puppy's pack-leader and its dogs) writing a real ledger.

It writes through the same ``LedgerWriter`` agents use. Its behaviour follows the seeds: workload
failover chains (000 §1.1), contexts that grow until compaction (002), 429 bursts on Cerebras,
response-cache hits, prompt-cache reads on Anthropic, and one slow model.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from ledger.agent.writer import LedgerWriter, event_record, usage_record

from .runs import PackRuns

# model -> (ledger provider name as Code Puppy writes it, p50 latency ms, output tokens/s)
MODELS: dict[str, tuple[str, int, int]] = {
    "claude-opus-4-5": ("claude_opus", 9000, 45),
    "claude-sonnet-4-5": ("claude_sonnet", 5200, 70),
    "claude-haiku-4-5": ("anthropic", 1800, 140),
    "glm-4.7": ("cerebras", 700, 1200),
    "gemini-2.5-flash": ("gemini_flash", 1500, 180),
    "gemini-2.5-pro": ("gemini", 14000, 40),  # the slow one
}

WORKLOAD_CHAINS: dict[str, list[str]] = {
    "orchestrator": ["claude-opus-4-5", "claude-sonnet-4-5", "gemini-2.5-pro"],
    "reasoning": ["claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-flash"],
    "coding": ["glm-4.7", "claude-haiku-4-5", "gemini-2.5-flash"],
    "librarian": ["gemini-2.5-flash", "gemini-2.5-pro", "claude-haiku-4-5"],
}

PACK: dict[str, str] = {
    "pack-leader": "orchestrator",
    "shepherd": "reasoning",
    "watchdog": "reasoning",
    "husky": "coding",
    "terrier": "coding",
    "retriever": "coding",
    "bloodhound": "librarian",
}

# How often each agent speaks, relative to the others.
ACTIVITY = {"pack-leader": 1, "shepherd": 1, "watchdog": 1, "husky": 4, "terrier": 3,
            "retriever": 2, "bloodhound": 2}

PACE = 300  # model requests an hour while the pack is busy (08:00-22:00); a third of that at night

COMPACT_AT = 48_000  # tokens of context before the agent compacts (seed 000 §3.1: cerebras 50k)


@dataclass
class AgentState:
    name: str
    workload: str
    context: int = 6_000
    session: int = 0
    chain_pos: int = 0
    requests: int = field(default=0)


class PackEvents:
    """The pack's ``events.jsonl``: 429s, failovers, the agents' circuit breakers (seed 000 §4.1:
    5 failures open, 30 s to half-open, 3 successes close), cache hits and misses, errors."""

    def __init__(self, writer: LedgerWriter):
        self.writer = writer
        self.breakers: dict[str, list] = {}  # provider -> [state, since, failures, successes]

    def rate_limited(self, ts: str, agent: str, provider: str, model: str, fallback: str) -> None:
        # The client retries a 429 twice (1 s, then 2 s later) before failing over: three failures.
        at = dt.datetime.fromisoformat(ts)
        for attempt, delay in enumerate((0, 1, 3), start=1):
            when = (at + dt.timedelta(seconds=delay)).isoformat(timespec="milliseconds")
            self.writer.append(event_record("rate_limited", ts=when, agent=agent, provider=provider, model=model,
                                            status=429, attempt=attempt))
            self._breaker(when, agent, provider, failed=True, reason="429 Too Many Requests")
        self.writer.append(event_record("failover", ts=when, agent=agent, provider=provider, model=model,
                                        **{"from": model, "to": fallback, "reason": "429 Too Many Requests"}))

    def outcome(self, ts: str, agent: str, provider: str, model: str, *, cached: bool) -> None:
        self.writer.append(event_record("cache", ts=ts, agent=agent, provider=provider, model=model,
                                        result="hit" if cached else "miss", key="response"))
        if not cached:
            self._breaker(ts, agent, provider, failed=False)

    def error(self, ts: str, agent: str, provider: str, model: str, message: str) -> None:
        self.writer.append(event_record("error", ts=ts, agent=agent, provider=provider, model=model,
                                        message=message))

    def _breaker(self, ts: str, agent: str, provider: str, *, failed: bool, reason: str | None = None) -> None:
        if provider != "cerebras":
            return  # only the Cerebras client runs a breaker in this pack; the rest are derived
        at = dt.datetime.fromisoformat(ts)
        b = self.breakers.setdefault(provider, ["CLOSED", at, 0, 0])

        def move(to: str, when: dt.datetime) -> None:
            self.writer.append(event_record("circuit", ts=when.isoformat(timespec="milliseconds"), agent=agent,
                                            provider=provider, reason=reason, **{"from": b[0], "to": to}))
            b[0], b[1], b[2], b[3] = to, when, 0, 0

        if b[0] == "OPEN" and at - b[1] >= dt.timedelta(seconds=30):
            move("HALF_OPEN", at)
        if b[0] == "HALF_OPEN":
            if failed:
                move("OPEN", at)
            else:
                b[3] += 1
                if b[3] >= 3:
                    move("CLOSED", at)
        elif b[0] == "CLOSED":
            b[2] = b[2] + 1 if failed else 0
            if b[2] >= 5:
                move("OPEN", at)


class PackSimulator:
    """Generates one request at a time; ``backfill`` writes history, ``step`` the present."""

    def __init__(self, folder: Path, seed: int = 7, per_hour: int = PACE, runs: bool = False):
        self.folder = Path(folder)
        self.per_hour = per_hour
        """Requests an hour while the pack is busy (08:00-22:00); a third of that at night."""
        self.usage = LedgerWriter(self.folder / "usage.jsonl")
        self.events = PackEvents(LedgerWriter(self.folder / "events.jsonl"))
        self.rng = random.Random(seed)
        self.agents = [AgentState(name, workload) for name, workload in PACK.items()]
        self.weights = [ACTIVITY[a.name] for a in self.agents]
        self.runs = PackRuns(self.events.writer, seed) if runs else None
        """The pack's runs (``agent_run`` events, for the Pack view), when asked for."""

    def _rate_limited(self, model: str, at: dt.datetime) -> bool:
        # Cerebras throws 429s in bursts: the first few minutes of every 20.
        return MODELS[model][0] == "cerebras" and at.minute % 20 < 3 and self.rng.random() < 0.9

    def request(self, at: dt.datetime) -> dict:
        """One model request by one agent of the pack, at ``at`` (with its run's events, when kept)."""
        agent = self.rng.choices(self.agents, self.weights)[0]
        if self.runs is None:
            return self._request(agent, at)
        name = self.runs.who(agent.name, [a.name for a in self.agents])
        agent = next(a for a in self.agents if a.name == name)
        ts = at.isoformat(timespec="milliseconds")
        self.runs.before(ts, agent.name, f"{agent.name}-{agent.session}", WORKLOAD_CHAINS[agent.workload][0])
        record = self._request(agent, at)
        self.runs.after(ts, agent.name, record["model"])
        return record

    def _request(self, agent: AgentState, at: dt.datetime) -> dict:
        rng = self.rng
        chain = WORKLOAD_CHAINS[agent.workload]
        model = chain[min(agent.chain_pos, len(chain) - 1)]
        provider, p50, tps = MODELS[model]
        agent.requests += 1
        agent.context += rng.randint(800, 4_000)  # file reads, test output, diffs pile up
        if agent.context > COMPACT_AT:
            agent.context = rng.randint(5_000, 9_000)
            agent.session += 1
        out = rng.randint(80, 2_500)
        session = f"{agent.name}-{agent.session}"
        ts = at.isoformat(timespec="milliseconds")
        if self._rate_limited(model, at):
            agent.chain_pos = 1  # fail over along the workload chain
            self.events.rate_limited(ts, agent.name, provider, model, chain[1])
            return usage_record(ts=ts, provider=provider, model=model, input_tokens=agent.context,
                                output_tokens=0, latency_ms=rng.randint(80, 300), session=session,
                                agent=agent.name, workload=agent.workload, status=429,
                                error="429 Too Many Requests")
        if agent.chain_pos and rng.random() < 0.1:
            agent.chain_pos = 0  # the primary recovered
        hit = rng.random() < 0.12  # the agent's response cache answered
        self.events.outcome(ts, agent.name, provider, model, cached=hit)
        if hit:
            return usage_record(ts=ts, provider=provider, model=model, input_tokens=0,
                                output_tokens=0, latency_ms=rng.randint(2, 15), session=session,
                                agent=agent.name, workload=agent.workload, cached=True)
        cache_read = 0
        uncached = agent.context
        if provider.startswith("claude") or provider == "anthropic":
            cache_read = int(agent.context * rng.uniform(0.5, 0.85))  # prompt cache
            uncached = agent.context - cache_read
        latency = int(rng.lognormvariate(0, 0.35) * p50 + out / tps * 1000 * 0.2)
        error = "500 Internal Server Error" if rng.random() < 0.01 else None
        if error:
            self.events.error(ts, agent.name, provider, model, error)
        return usage_record(ts=ts, provider=provider, model=model, input_tokens=uncached,
                            output_tokens=out if not error else 0, cache_read=cache_read,
                            latency_ms=latency, session=session, agent=agent.name,
                            workload=agent.workload, error=error, status=500 if error else None)

    def mean_gap(self, at: dt.datetime) -> float:
        """Seconds between requests at ``at``: the same pace for history and the live run, so
        the demo's baselines are honest."""
        busy = 1.0 if 8 <= at.hour < 22 else 0.3
        return 3600 / (self.per_hour * busy)

    def backfill(self, start: dt.datetime, end: dt.datetime) -> int:
        """Write requests from ``start`` to ``end`` (naive local times)."""
        written = 0
        at = start
        while at < end:
            at += dt.timedelta(seconds=self.rng.expovariate(1 / self.mean_gap(at)))
            if at >= end:
                break
            self.usage.append(self.request(at))
            written += 1
        return written

    def gap(self) -> float:
        """Seconds until the next live request, at the pace of the hour."""
        return self.rng.expovariate(1 / self.mean_gap(local_now()))


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(tzinfo=None)


def write_sample(folder: Path, days: int = 14, seed: int = 7, now: dt.datetime | None = None,
                 per_hour: int = 200, runs: bool = False) -> Path:
    """A ledger of ``days`` days of pack activity ending at ``now`` (``runs``: with its runs' events);
    returns its path."""
    return backfilled(folder, days, seed, now, per_hour, runs).usage.path


def backfilled(folder: Path, days: int = 14, seed: int = 7, now: dt.datetime | None = None,
               per_hour: int = PACE, runs: bool = False) -> PackSimulator:
    """A simulator whose ledger already holds ``days`` days of history ending at ``now``."""
    now = now or local_now()
    sim = PackSimulator(folder, seed, per_hour, runs=runs)
    sim.backfill(now - dt.timedelta(days=days), now)
    return sim
