"""What every view's queries share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb


def rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list | dict) -> list[tuple]:
    return cur.execute(sql, params).fetchall()


def ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class Priced:
    """Where a window's priced rows are read: ``usage_recent`` (the last day's, kept by ``ledger.store.rollup``)
    when it holds every row from the window's start on, else ``usage_v`` (every row, priced as it is read).
    Both have the columns the overview's windows use. Read once per overview (``priced_source``)."""

    held: dt.datetime | None
    """``usage_recent`` holds every row from this time on (None: not filled)."""

    def rows_from(self, start: dt.datetime) -> str:
        return "usage_recent" if self.held is not None and self.held <= start else "usage_v"


def priced_source(cur: duckdb.DuckDBPyConnection) -> Priced:
    """Where this store's windows read their priced rows. A later refresh only moves ``held`` to a day and
    more before the newest row and now, before every window the overview reads, so it stays true."""
    found = cur.execute("SELECT value FROM meta WHERE key = 'recent_from'").fetchall()
    return Priced(dt.datetime.fromisoformat(found[0][0]) if found and found[0][0] else None)
