"""Every source packwatch follows, caught up in one pass: the usage ledgers and, beside each, the
agent's event log."""

from __future__ import annotations

from pathlib import Path

from ledger.settings import Settings
from ledger.store import Store

from .tail import CatchUp, catch_up


def event_paths(ledgers: list[Path]) -> list[Path]:
    """Where the event logs are: ``events.jsonl`` beside a ledger file, or inside a ledger folder."""
    return list(dict.fromkeys(p if p.is_dir() else p.parent / "events.jsonl" for p in ledgers))


def catch_up_all(store: Store, settings: Settings) -> CatchUp:
    """Usage first, then events. Only a missing *ledger* is reported: an agent that writes no
    event log is normal."""
    result = catch_up(store, settings.ledgers)
    events = catch_up(store, event_paths(settings.ledgers), kind="events")
    result.events += events.rows
    result.rejected += events.rejected
    result.files += events.files
    result.errors += events.errors
    return result
