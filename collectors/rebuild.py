"""``packwatch rebuild``: the store made again from the ledgers and the agents' logs — never by dropping
what cannot be read again, and also when the store itself is corrupt.

The new store is built beside the old one and takes its place only once complete; rows whose files are
gone or unreadable, and probe outcomes (no file holds them), are carried over from the old store. A
store that is not a readable DuckDB file is moved aside (``<db>.corrupt-<time>``), kept for inspection.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from ledger.settings import Settings
from ledger.store import NotAStore, Store, StoreBusy, StoreError
from ledger.store.carry import carry_over
from ledger.store.prices import refresh_prices
from ledger.store.rollup import refresh_rollup

from .sources import catch_up_all
from .tail import CatchUp


@dataclass
class Rebuilt:
    result: CatchUp
    carried: int = 0
    """Rows kept from the old store because their files could not be read again."""
    carried_from: list[str] = field(default_factory=list)
    corrupt: Path | None = None
    """Where a corrupt old store was moved."""


def _files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + ".wal")]


def _old_store(settings: Settings) -> tuple[Path | None, Path | None]:
    """(the old store to carry rows from, or None; where a corrupt one was moved, or None)."""
    db = settings.db
    if not db.exists():
        return None, None
    try:
        Store.open(settings, wait=0.5).close()  # migrated to this version; and no other process holds it
        return db, None
    except (StoreBusy, NotAStore):  # (a text file named by --db is the user's, never moved)
        raise
    except StoreError:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        moved = db.with_name(f"{db.name}.corrupt-{stamp}")
        for f in _files(db):
            if f.exists():
                os.replace(f, f.with_name(f.name.replace(db.name, moved.name, 1)))
        return None, moved


def rebuild(settings: Settings) -> Rebuilt:
    old, corrupt = _old_store(settings)
    building = settings.db.with_name(settings.db.name + ".rebuilding")
    for f in _files(building):
        f.unlink(missing_ok=True)
    fresh = settings.model_copy(update={"db": building})
    store = Store.open(fresh)
    try:
        done = Rebuilt(catch_up_all(store, fresh), corrupt=corrupt)
        if old is not None:
            done.carried, done.carried_from = carry_over(store, old)
            if done.carried:
                refresh_prices(store)
                refresh_rollup(store)
        store.con.execute("CHECKPOINT")
    except BaseException:
        store.close()
        for f in _files(building):
            f.unlink(missing_ok=True)
        raise
    store.close()
    for f in _files(settings.db):
        if f.name.endswith(".wal"):
            f.unlink(missing_ok=True)
    os.replace(building, settings.db)
    return done
