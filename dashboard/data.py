"""What the screens read through, passed to each one when it is made (never fetched from the App):
a cursor on the store narrowed to the agent scope, the settings with the controls laid over them,
and the clock. The app keeps it current (the store once opened, the scope when ``a`` changes it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import duckdb

from collectors.refresh import Refresher
from ledger.scope import EVERY_AGENT, AgentScope
from ledger.settings import Settings


class StoreReader:
    def __init__(self, refresher: Refresher, clock: Callable[[], dt.datetime], scope: AgentScope = EVERY_AGENT):
        self._refresher = refresher
        self.clock = clock
        self.scope = scope
        self.zone = ZoneInfo(refresher.settings.timezone)

    @property
    def ready(self) -> bool:
        """Whether the store is open (the first refresh opens it)."""
        return self._refresher.store is not None

    @contextmanager
    def cursor(self, *, scoped: bool = True) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A cursor of its own (for a worker thread), seeing only the scope's rows unless ``scoped`` is
        False (then the caller passes the scope on, as ``build_report`` takes it); None before the
        store is open."""
        store = self._refresher.store
        if store is None:
            yield None
            return
        cur = store.cursor()
        try:
            if scoped:
                with self.scope.applied(cur):
                    yield cur
            else:
                yield cur
        finally:
            cur.close()

    def settings(self) -> Settings:
        """What every screen measures against: the config's settings under the controls'."""
        return self._refresher.effective_settings()

    def today(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()
