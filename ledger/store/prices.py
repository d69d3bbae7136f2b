"""Prices in the store: one set of rate rows per (provider, model) seen, joined when read.

Costs are applied when read (the ``usage_v`` view), so a changed override, alias or genai-prices
snapshot changes the next report without touching stored rows: the settings' fingerprint says when
the rate rows (and the hourly rollup built on them) must be made again.
"""

from __future__ import annotations

import hashlib
import json

from ..pricing import PROVIDER_ALIASES, genai_prices_version, rate_rows
from .connection import Connection, first
from .frames import as_frame

_RATE_SCHEMA = {"provider": "String", "model": "String", "min_input": "Int64", "max_input": "Int64",
                "input_rate": "Float64", "output_rate": "Float64", "cache_read_rate": "Float64",
                "cache_write_rate": "Float64", "source": "String", "cache_write_1h_rate": "Float64",
                "priced_provider": "String"}
"""The columns of a RateRow, in its order."""
_KEY_SCHEMA = {"provider": "String", "model": "String", "known": "Boolean", "priced_provider": "String"}


def fingerprint(store: Connection) -> str:
    if store.fingerprint is None:
        s = store.settings
        blob = json.dumps(
            [genai_prices_version(), {k: v.model_dump() for k, v in s.prices.items()},
             s.model_aliases, s.provider_aliases],  # (the zone is the rollup's: rollup.rolled_up_in)
            sort_keys=True,
        )
        store.fingerprint = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return store.fingerprint


def refresh_prices(store: Connection, mark: int | None = None) -> bool:
    """Price every (provider, model) seen (after ``mark``, when only those rows are new); start over
    when prices, overrides or aliases changed, and then return True: the caller rolls every
    hour up again."""
    con = store.con
    current = fingerprint(store)
    new_rows = "true" if mark is None else f"rowid > {int(mark)}"
    if mark is not None and store.priced_as == current:
        # This process priced the store already: only a (provider, model) it has not seen
        # needs the work below. Most catch-ups bring none, and skip it (~10 ms at 1M rows).
        raw = con.execute(f"SELECT DISTINCT provider_raw, model FROM usage WHERE {new_rows}").fetchall()
        if store.priced_raw.issuperset(raw):
            return False
    row = first(con.execute("SELECT value FROM meta WHERE key = 'pricing'"))
    reset = row is None or row[0] != current
    if reset:
        new_rows = "true"
    with store.transaction():
        if reset:
            _start_over(store, current)
        _price_missing(store, new_rows)
        priced = con.execute(f"SELECT DISTINCT provider_raw, model FROM usage WHERE {new_rows}").fetchall()
        store.priced_raw.update(priced)
    store.priced_as = current
    return reset


def _start_over(store: Connection, current: str) -> None:
    aliases = {**PROVIDER_ALIASES, **{k.lower(): v for k, v in store.settings.provider_aliases.items()}}
    con = store.con
    con.execute("DELETE FROM prices")
    con.execute("DELETE FROM priced_keys")
    con.execute("DELETE FROM provider_aliases")
    con.executemany("INSERT INTO provider_aliases VALUES (?, ?)", list(aliases.items()))
    con.execute("INSERT OR REPLACE INTO meta VALUES ('pricing', ?)", [current])


def _price_missing(store: Connection, new_rows: str) -> None:
    con, settings = store.con, store.settings
    missing = con.execute(
        f"""SELECT DISTINCT provider, model
           FROM (SELECT DISTINCT provider_raw, model FROM usage WHERE {new_rows}) u
           CROSS JOIN LATERAL (SELECT coalesce(
                (SELECT provider FROM provider_aliases WHERE raw = lower(u.provider_raw)),
                lower(u.provider_raw), 'unknown') AS provider)
           ANTI JOIN priced_keys k USING (provider, model)"""
    ).fetchall()
    rates: list[tuple] = []
    keys: list[tuple] = []
    for provider, model in missing:
        rows = rate_rows(provider, model, settings.prices, settings.model_aliases)
        rates.extend(tuple(vars(r).values()) for r in rows)
        keys.append((provider, model, bool(rows), rows[0].priced_provider if rows else None))
    # One insert each, not one statement per model (~1 ms apiece: a ledger with 100,000 model names
    # took minutes to open).
    if rates:
        con.register("pw_rates", as_frame(rates, _RATE_SCHEMA, orient="row"))
        try:
            con.execute(f"INSERT INTO prices ({', '.join(_RATE_SCHEMA)}) SELECT * FROM pw_rates")
        finally:
            con.unregister("pw_rates")
    if keys:
        con.register("pw_keys", as_frame(keys, _KEY_SCHEMA, orient="row"))
        try:
            con.execute(f"INSERT INTO priced_keys ({', '.join(_KEY_SCHEMA)}) SELECT * FROM pw_keys")
        finally:
            con.unregister("pw_keys")
