"""The rollups, kept current wherever the rows change: the hourly rollup (``usage_hourly``: local hour,
provider, model, workload, agent program), what month and week panes read instead of re-pricing every
row; and the last day's rows priced (``usage_recent``), what the overview's trailing windows read
instead of pricing the whole table through ``usage_v`` on every refresh."""

from __future__ import annotations

import datetime as dt

from ..scope import HOURLY_SELECT, RECENT_SELECT
from .connection import Connection, first
from .prices import refresh_prices

RECENT_HOURS = 26
"""``usage_recent`` holds every row from this long before the newest (or now, if earlier): a day's
windows and today's since midnight, with room for the time between refreshes."""
RECENT_SLACK_HOURS = 4
"""How far its start may fall behind before older rows are dropped."""
RECENT_FROM = "recent_from"
"""meta key: ``usage_recent`` holds every row from this time (ISO) on."""
ROLLUP_ZONE = "rollup_zone"
"""meta key: the time zone ``usage_hourly``'s local hours were rolled up in (``zone_key``)."""
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "GMT",
                       "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Etc/Greenwich",
                       "Greenwich"})
"""tzdata's names of UTC: a store rolled up under one is current under another (``UTC`` from a flag,
``Etc/UTC`` from the machine)."""


def zone_key(name: str) -> str:
    return "UTC" if name in UTC_NAMES else name


def rolled_up_in(store: Connection) -> bool:
    """Whether the hours were rolled up in the settings' time zone (a changed zone rolls them up again;
    prices stay)."""
    return store.meta(ROLLUP_ZONE) == zone_key(store.settings.timezone)


def settle(store: Connection, mark: int) -> None:
    """After an ingest: price new models and roll up the hours the new rows touched."""
    if refresh_prices(store, mark):
        refresh_rollup(store)  # prices changed: every hour is rolled up again
        return
    since = first(store.con.execute("SELECT min(ts) FROM usage WHERE rowid > ?", [mark]))[0]
    if since is not None:
        refresh_rollup(store, since)


def refresh_rollup(store: Connection, since: dt.datetime | None = None) -> None:
    """Recompute ``usage_hourly`` for the local hours from ``since`` on, and ``usage_recent``'s rows
    from ``since`` on (all when None)."""
    start = "date_trunc('hour', $since::TIMESTAMPTZ)"
    where, old = ("true", "true") if since is None else (f"ts >= {start}", f"hour >= {start}")
    params = {} if since is None else {"since": since}
    with store.transaction():
        store.con.execute(f"DELETE FROM usage_hourly WHERE {old}", params)
        store.con.execute(f"INSERT INTO usage_hourly {HOURLY_SELECT} WHERE {where} GROUP BY ALL", params)
        refresh_recent(store, since)
        if since is None:
            zone = zone_key(store.settings.timezone)
            store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [ROLLUP_ZONE, zone])


def refresh_recent(store: Connection, since: dt.datetime | None = None) -> None:
    """``usage_recent``'s rows from ``since`` on made again from ``usage_v`` (every row when None); all of
    it from a new start once its start is ``RECENT_SLACK_HOURS`` behind (rows before it dropped), or after
    the one the rows call for. Inside the caller's transaction."""
    con = store.con
    (horizon,) = first(con.execute(
        f"SELECT least(now(), coalesce(max(ts), now())) - INTERVAL {RECENT_HOURS} HOUR FROM usage"))
    kept = store.meta(RECENT_FROM)
    held = dt.datetime.fromisoformat(kept) if kept else None
    # Made again from the start: every row asked for, none kept yet, rows far behind the start, or a start
    # after the one the rows now call for (made on an empty store, before the first rows came in).
    if since is None or held is None or not horizon - dt.timedelta(hours=RECENT_SLACK_HOURS) <= held <= horizon:
        con.execute("DELETE FROM usage_recent")
        con.execute(f"INSERT INTO usage_recent {RECENT_SELECT} WHERE ts >= $from ORDER BY ts", {"from": horizon})
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [RECENT_FROM, horizon.isoformat()])
        return
    start = max(since, held)
    con.execute("DELETE FROM usage_recent WHERE ts >= $start", {"start": start})
    con.execute(f"INSERT INTO usage_recent {RECENT_SELECT} WHERE ts >= $start ORDER BY ts", {"start": start})
