"""The headless follow loop behind ``packwatch collect``: catch up, then wait for file changes."""

from __future__ import annotations

import threading
from collections.abc import Callable

from watchfiles import watch

from ledger.settings import Settings
from ledger.store import Store

from .sources import catch_up_all
from .tail import CatchUp
from .watch import agent_log_changes, ledger_changes


def follow(
    store: Store,
    settings: Settings,
    on_batch: Callable[[CatchUp], None],
    *,
    poll: float = 1.0,
    stop: threading.Event | None = None,
) -> None:
    """Catch up whenever a watched file changes, and every ``poll`` seconds regardless (file events
    do not cross network mounts, and a folder that appears later is found by the poll). Each file
    range commits with its offset, so a kill at any moment loses nothing."""
    on_batch(catch_up_all(store, settings))
    ledgers, agents = ledger_changes(settings), agent_log_changes(settings)

    def wanted(change, path: str) -> bool:
        return ledgers(change, path) or agents(change, path)

    for _changes in watch(
        *dict.fromkeys([*ledgers.roots, *agents.roots]), watch_filter=wanted, debounce=50, step=50,
        rust_timeout=int(poll * 1000), yield_on_timeout=True, raise_interrupt=False, stop_event=stop,
    ):
        result = catch_up_all(store, settings)
        if result.changed or result.errors:
            on_batch(result)
