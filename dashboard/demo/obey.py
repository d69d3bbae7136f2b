"""The demo pack obeys the control channel the way a real agent does, so ``packwatch demo`` closes the
loop: review-only blocks its edits, a forced failover moves it along its workload chain, a compaction
request shrinks its contexts, budgets are enforced, and every change is acknowledged."""

from __future__ import annotations

import threading
import time

from ledger.agent.follower import ControlFollower, PendingChange
from ledger.settings import Settings

from .pack import MODELS, WORKLOAD_CHAINS, PackSimulator, local_now

EDIT_SHARE = 0.3  # how often a request of the pack would have edited a file or run a command
FIRST_LIVE_REQUEST = 2.0  # seconds: whoever opens the demo sees the pack at work at once, at any hour
FOLLOW_EVERY = 0.5  # seconds between looks at control.json, so a control is acknowledged at once


class PackControls:
    """Consulted by the simulator once per live request."""

    def __init__(self, sim: PackSimulator, settings: Settings | None = None):
        self.sim = sim
        self.follower = ControlFollower(sim.folder, agent="pack-leader", ledger=sim.usage.path, settings=settings)

    def follow(self) -> None:
        """Apply and acknowledge new changes and forced failovers; cheap (one stat of
        ``control.json`` when nothing changed), so the pack calls it between requests too."""
        follower = self.follower
        follower.settle_changes(MODELS.__contains__, self._compact, "the pack's models")
        if not follower.controls().failovers:
            return
        for agent in self.sim.agents:
            chain = WORKLOAD_CHAINS[agent.workload]
            model = chain[min(agent.chain_pos, len(chain) - 1)]
            target = follower.forced_target(model, MODELS[model][0])
            if target in chain and chain.index(target) != agent.chain_pos:
                agent.chain_pos = chain.index(target)
                follower.record_event("failover", agent=agent.name, model=model, to=target,
                                      reason="forced from packwatch")

    def may_request(self) -> bool:
        """False, with a ``blocked`` event, while a ``block`` budget stops requests."""
        allowed, why = self.follower.may_request()
        if not allowed:
            self.follower.record_event("blocked", tool="model_request", reason=why)
        return allowed

    def after_request(self, record: dict) -> None:
        """Write the request to the ledger and count it against the budgets, as any agent does
        through its follower; while review-only, the edit it wanted is blocked."""
        self.follower.record_usage(record)
        on, why = self.follower.review_only()
        if on and self.sim.rng.random() < EDIT_SHARE:
            tool = self.sim.rng.choice(["replace_in_file", "create_file", "agent_run_shell_command"])
            self.follower.record_event("blocked", agent=record.get("agent"), model=record.get("model"),
                                       tool=tool, reason=why)

    def _compact(self, change: PendingChange) -> None:
        before = sum(a.context for a in self.sim.agents)
        for agent in self.sim.agents:
            agent.context = max(4_000, agent.context // 4)
        after = sum(a.context for a in self.sim.agents)
        self.follower.record_event("compaction", strategy="summarization", before_tokens=before,
                                   after_tokens=after, control_id=change.id)
        self.follower.acknowledge(change, "applied", before_tokens=before, after_tokens=after)


def run_live(sim: PackSimulator, stop: threading.Event, settings: Settings | None = None) -> None:
    """Write requests at the pace of the hour, stamped with the current time, until ``stop``; follow
    the controls between requests (the pack obeys control.json like a real agent); ``settings`` price
    its budgets as the dashboard does."""
    controls = PackControls(sim, settings)
    due = time.monotonic() + min(FIRST_LIVE_REQUEST, sim.gap())
    while not stop.wait(min(FOLLOW_EVERY, max(0.0, due - time.monotonic()))):
        controls.follow()
        if time.monotonic() < due:
            continue
        due = time.monotonic() + sim.gap()
        if controls.may_request():
            controls.after_request(sim.request(local_now()))


def start_live(sim: PackSimulator, settings: Settings | None = None) -> threading.Event:
    """Run ``sim`` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_live, args=(sim, stop, settings), name="demo-pack", daemon=True).start()
    return stop
