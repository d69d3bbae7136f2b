"""Everything packwatch reads, in one pass: the usage ledgers and other agents' own logs."""

from __future__ import annotations

from ledger.settings import Settings
from ledger.store import Store

from . import claude_code, codex
from .agent_logs import AgentLog, catch_up_log
from .tail import CatchUp, catch_up


def agent_logs(settings: Settings) -> list[AgentLog]:
    """The agents' logs the settings switch on (``auto``: read when present)."""
    return [log for log in (claude_code.log(settings), codex.log(settings)) if log is not None]


def catch_up_all(store: Store, settings: Settings) -> CatchUp:
    """Bring the store up to the last complete line of every ledger and agent log."""
    result = catch_up(store, settings.ledgers)
    for log in agent_logs(settings):
        result += catch_up_log(store, log)
    return result
