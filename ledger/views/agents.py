"""Which agent programs the store has rows of (what the dashboard's ``a`` key cycles through)."""

from __future__ import annotations

import duckdb

from ..scope import KNOWN_AGENTS


def agents_found(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Every agent program with usage rows, in ``KNOWN_AGENTS`` order (others after, by name), so ``a``
    steps through them in the same order whatever each one did lately. Read from the hourly rollup,
    not the rows: one small scan on every refresh."""
    found = {r[0] for r in cur.execute("SELECT DISTINCT agent FROM usage_hourly").fetchall() if r[0]}
    order = {a: i for i, a in enumerate(KNOWN_AGENTS)}
    return sorted(found, key=lambda a: (order.get(a, len(order)), a))
