"""The hourly rollup (``usage_hourly``: local hour, provider, model, workload, agent program): what
month and week panes read instead of re-pricing every row."""

from __future__ import annotations

import datetime as dt

from ..scope import HOURLY_SELECT
from .connection import Connection, first
from .prices import refresh_prices


def settle(store: Connection, mark: int) -> None:
    """After an ingest: price new models and roll up the hours the new rows touched."""
    if refresh_prices(store, mark):
        refresh_rollup(store)  # prices changed: every hour is rolled up again
        return
    since = first(store.con.execute("SELECT min(ts) FROM usage WHERE rowid > ?", [mark]))[0]
    if since is not None:
        refresh_rollup(store, since)


def refresh_rollup(store: Connection, since: dt.datetime | None = None) -> None:
    """Recompute ``usage_hourly`` for the local hours from ``since`` on (all when None)."""
    start = "date_trunc('hour', $since::TIMESTAMPTZ)"
    where, old = ("true", "true") if since is None else (f"ts >= {start}", f"hour >= {start}")
    params = {} if since is None else {"since": since}
    with store.transaction():
        store.con.execute(f"DELETE FROM usage_hourly WHERE {old}", params)
        store.con.execute(f"INSERT INTO usage_hourly {HOURLY_SELECT} WHERE {where} GROUP BY ALL", params)
