"""Every source packwatch follows, caught up in one pass: the usage ledgers, the agent's event log
beside each, and Code Puppy's own errors.log."""

from __future__ import annotations

from pathlib import Path

from ledger import errorlog
from ledger.settings import Settings
from ledger.store import Store

from .tail import CatchUp, catch_up


def event_paths(ledgers: list[Path]) -> list[Path]:
    """Where the event logs are: ``events.jsonl`` beside a ledger file, or inside a ledger folder."""
    return list(dict.fromkeys(p if p.is_dir() else p.parent / "events.jsonl" for p in ledgers))


def catch_up_all(store: Store, settings: Settings) -> CatchUp:
    """Usage first, then events, then errors.log. Only a missing *ledger* is reported: an agent
    that writes no event log, or has logged no error yet, is normal."""
    result = catch_up(store, settings.ledgers)
    for paths, kind in ((event_paths(settings.ledgers), "events"), ([settings.error_log], errorlog.KIND)):
        got = catch_up(store, paths, kind=kind)
        result.events += got.rows
        result.rejected += got.rejected
        result.files += got.files
        result.errors += got.errors
    return result
