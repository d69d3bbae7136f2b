"""The pack governor's vocabulary (seed 000 §1.3): workload roles, how many agents of each may run at
once, and which role a pack member plays. One definition, used by the Code Puppy plugin, the demo and
the Pack view (plain Python: the plugin imports it on every agent start).
"""

from __future__ import annotations

ROLES = ("orchestrator", "reasoner", "coder", "librarian", "summarizer")
ROLE_LIMITS = {"orchestrator": 1, "reasoner": 2, "coder": 2, "librarian": 3, "summarizer": 2}
"""Concurrent agents per role (seed 000's GovernorConfig: max_orchestrators 1 ... max_summarizers 2)."""
DEADLOCK_TIMEOUT = 30.0
"""Seconds a queued agent may wait for a slot before it counts as stuck (GovernorConfig.deadlock_timeout)."""
LONG_RUNNING = 600.0
"""Seconds after which a running agent is flagged long-running (seed 000: "warnings for long-running
agents"; the seed names no number, so ten minutes)."""

# Seed 000 §1.1's AGENT_WORKLOAD_REGISTRY, by governor role (its LIBRARIAN workload is split: the
# summarization agent has a role of its own in the governor).
AGENT_ROLES = {
    "pack-leader": "orchestrator", "helios": "orchestrator", "epistemic-architect": "orchestrator",
    "planning-agent": "orchestrator",
    "shepherd": "reasoner", "watchdog": "reasoner", "code-reviewer": "reasoner", "security-reviewer": "reasoner",
    "husky": "coder", "terrier": "coder", "retriever": "coder", "python-programmer": "coder",
    "debugging-agent": "coder", "code-puppy": "coder",
    "bloodhound": "librarian", "json-agent": "librarian",
    "summarization-agent": "summarizer",
}
WORKLOAD_ROLES = {"orchestrator": "orchestrator", "reasoning": "reasoner", "coding": "coder",
                  "librarian": "librarian", "summarization": "summarizer"}


def workload_of(agent: str | None, given: str | None = None, roles: dict[str, str] | None = None) -> str:
    """The governor role of a pack member: the config's ``[pack.roles]``, the seed's registry, the
    workload the agent named, else ``coder`` (Code Puppy's default agent writes code)."""
    name = (agent or "").strip().lower()
    if roles and name in roles:
        return roles[name]
    if name in AGENT_ROLES:
        return AGENT_ROLES[name]
    if given:
        return WORKLOAD_ROLES.get(given.strip().lower(), given.strip().lower())
    return "coder"
