"""What every view's queries share."""

from __future__ import annotations

import duckdb


def rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list | dict) -> list[tuple]:
    return cur.execute(sql, params).fetchall()


def ratio(num: float, den: float) -> float | None:
    return num / den if den else None
