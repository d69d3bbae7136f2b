"""Everything packwatch reads, in one pass: the usage ledgers, the agent event log beside each,
and other agents' own logs (Claude Code, Codex)."""

from __future__ import annotations

from pathlib import Path

from ledger.settings import Settings
from ledger.store import Store

from . import claude_code, codex
from .agent_logs import AgentLog, catch_up_log
from .tail import CatchUp, catch_up


def event_paths(ledgers: list[Path]) -> list[Path]:
    """Where the event logs are: ``events.jsonl`` beside a ledger file, or inside a ledger folder."""
    return list(dict.fromkeys(p if p.is_dir() else p.parent / "events.jsonl" for p in ledgers))


def agent_logs(settings: Settings) -> list[AgentLog]:
    """The agents' logs the settings switch on (``auto``: read when present)."""
    return [log for log in (claude_code.log(settings), codex.log(settings)) if log is not None]


def catch_up_all(store: Store, settings: Settings) -> CatchUp:
    """Bring the store up to the last complete line of every ledger, event log and agent log.
    Only a missing *ledger* is reported: an agent that writes no event log is normal."""
    result = catch_up(store, settings.ledgers)
    events = catch_up(store, event_paths(settings.ledgers), kind="events")
    result.events += events.rows
    result.rejected += events.rejected
    result.files += events.files
    result.errors += events.errors
    for log in agent_logs(settings):
        result += catch_up_log(store, log)
    return result
