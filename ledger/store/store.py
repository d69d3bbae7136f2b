"""The store: open (create, migrate, price) a packwatch DuckDB file, ingest byte ranges into it, and
settle what an ingest brought (prices for new models, the hours it touched rolled up)."""

from __future__ import annotations

import os
from pathlib import Path

from ..settings import Settings
from .connection import (
    HEAD_BYTES,
    Connection,
    Ingested,
    NotAStore,
    Source,
    StoreBusy,
    StoreError,
    StoreTrouble,
    connect,
    first,
    trouble,
)
from .ingest import ingest
from .prices import refresh_prices
from .rollup import refresh_rollup, rolled_up_in, settle

__all__ = ["HEAD_BYTES", "Ingested", "NotAStore", "Source", "Store", "StoreBusy", "StoreError", "StoreTrouble", "first",
           "trouble"]


class Store(Connection):
    """The packwatch DuckDB file (or ``:memory:``)."""

    @classmethod
    def open(cls, settings: Settings, *, memory: bool = False, wait: float = 2.0) -> Store:
        """Open (creating and migrating) the store; ``StoreBusy`` when another process holds it."""
        path = None if memory else settings.db
        if path is not None:
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {path.parent}: {exc.strerror}; pass --db") from exc
            # The store copies the ledgers' data: its file, WAL and temp files are private to the user
            # (0600) whatever the umask, as the ledgers themselves often are. Files made later by this
            # process without an explicit mode are private too.
            os.umask(os.umask(0) | 0o077)
        store = cls(connect(path, wait), path, settings)
        store.configure()
        store.migrate()
        # Prices, overrides or aliases changed since the last open, or the time zone of the local hours
        if refresh_prices(store) or not rolled_up_in(store):
            refresh_rollup(store)
        return store

    def ingest(self, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
        """The complete JSON lines in ``path[start:end]`` in, and the offset to ``end`` (``ingest``)."""
        return ingest(self, source, path, start, end, head)

    def settle(self, mark: int) -> None:
        """After an ingest: price new models and roll up the hours the new rows touched."""
        settle(self, mark)
