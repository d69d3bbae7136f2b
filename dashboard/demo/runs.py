"""The demo pack's runs, as Code Puppy's plugin records them (``agent_run`` events, phase start and
end): each pack member works in runs of a few requests, and the pack honours the governor's limits
per role (seed 000 §1.3): a member whose role is full waits, and one of the members holding a slot
makes the request instead."""

from __future__ import annotations

import random

from ledger.agent.writer import LedgerWriter, event_record
from ledger.pack import ROLE_LIMITS, workload_of


class PackRuns:
    def __init__(self, writer: LedgerWriter, seed: int) -> None:
        self.writer = writer
        self.rng = random.Random(seed + 1)  # apart from the requests' generator: the same ledger either way
        self.open: dict[str, tuple[int, str]] = {}
        """Member -> (requests left in its run, the run's session)."""

    def role(self, member: str) -> str:
        return workload_of(member)

    def who(self, member: str, members: list[str]) -> str:
        """The member who makes the next request: ``member``, unless its role has no free slot (then a
        member of that role already running)."""
        if member in self.open:
            return member
        role = self.role(member)
        holding = [m for m in members if m in self.open and self.role(m) == role]
        if len(holding) < ROLE_LIMITS.get(role, 1):
            return member
        return self.rng.choice(holding)

    def before(self, ts: str, member: str, session: str, model: str) -> None:
        """A request of ``member`` at ``ts``: its run starts now unless one is open."""
        if member not in self.open:
            self.open[member] = (self.rng.randint(3, 14), session)
            self.writer.append(event_record("agent_run", ts=ts, agent=member, session=session, model=model,
                                            phase="start", workload=self.role(member)))

    def after(self, ts: str, member: str, model: str) -> None:
        left, session = self.open[member]
        if left > 1:
            self.open[member] = (left - 1, session)
            return
        del self.open[member]
        self.writer.append(event_record("agent_run", ts=ts, agent=member, session=session, model=model,
                                        phase="end", workload=self.role(member), success=True))
