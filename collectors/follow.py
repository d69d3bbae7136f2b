"""The headless follow loop behind ``packwatch collect``: catch up, then wait for file changes; a store
that fails under it (a full disk) is reopened once it works again, and reading resumes where it stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable

from watchfiles import watch

from ledger.settings import Settings
from ledger.store import Store, StoreTrouble, trouble

from .sources import catch_up_all
from .tail import CatchUp
from .watch import agent_log_changes, ledger_changes


class Keeper:
    """The one open store of a follow loop (the probes' thread writes through it too), reopened after a
    failure: DuckDB invalidates a connection whose commit failed."""

    def __init__(self, settings: Settings, opener: Callable[[Settings], Store] = Store.open) -> None:
        self.settings = settings
        self._opener = opener
        self.store: Store | None = opener(settings)

    def catch_up(self) -> CatchUp:
        if self.store is None:
            self.store = self._opener(self.settings)
        try:
            return catch_up_all(self.store, self.settings)
        except Exception as exc:
            failure = trouble(exc, self.settings.db)
            if failure is None:
                raise
            self.close()
            raise failure from None

    def close(self) -> None:
        if self.store is not None:
            try:
                self.store.close()
            except Exception:  # an invalidated connection may refuse to close cleanly; it is gone either way
                pass
            self.store = None


def follow(
    keeper: Keeper,
    on_batch: Callable[[CatchUp], None],
    *,
    on_trouble: Callable[[StoreTrouble], None] = lambda t: None,
    on_idle: Callable[[], None] = lambda: None,
    poll: float = 1.0,
    stop: threading.Event | None = None,
) -> None:
    """Catch up whenever a watched file changes, and every ``poll`` seconds regardless (file events
    do not cross network mounts, and a folder that appears later is found by the poll). Each file
    range commits with its offset, so a kill at any moment loses nothing; a trouble is told once, until
    a pass works again. ``on_idle`` runs after a pass that found nothing new (say, to retry a push)."""
    settings = keeper.settings
    ledgers, agents = ledger_changes(settings), agent_log_changes(settings)
    told: str | None = None

    def wanted(change, path: str) -> bool:
        return ledgers(change, path) or agents(change, path)

    def one_pass(first: bool) -> None:
        nonlocal told
        try:
            result = keeper.catch_up()
        except StoreTrouble as failure:
            if str(failure) != told:
                told = str(failure)
                on_trouble(failure)
            return
        told = None
        if first or result.changed or result.errors:
            on_batch(result)
        else:
            on_idle()

    one_pass(True)
    for _changes in watch(
        *dict.fromkeys([*ledgers.roots, *agents.roots]), watch_filter=wanted, debounce=50, step=50,
        rust_timeout=int(poll * 1000), yield_on_timeout=True, raise_interrupt=False, stop_event=stop,
    ):
        one_pass(False)
