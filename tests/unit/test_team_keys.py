"""Team row keys (``ledger.team.tables.keyed_sql``): the same rows give the same keys in any store, in any
time zone and in any order; identical rows stay apart; NULL and an empty text differ; a changed row is a
new key. No server needed."""

from __future__ import annotations

import duckdb

from ledger.team.tables import USAGE, keyed_sql

COLUMNS = ", ".join(f"{c} {'TIMESTAMPTZ' if t == 'timestamptz' else 'BIGINT' if t == 'bigint' else 'INTEGER' if t == 'integer' else 'BOOLEAN' if t == 'boolean' else 'DOUBLE' if t == 'double precision' else 'VARCHAR'}" for c, t in USAGE.columns)  # noqa: E501


def keys(rows: list[dict], zone: str = "UTC", reverse: bool = False) -> list[str]:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    con.execute(f"CREATE TABLE usage ({COLUMNS})")
    for row in reversed(rows) if reverse else rows:
        con.execute(f"INSERT INTO usage ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return sorted(str(k) for (k,) in con.execute(f"SELECT key FROM ({keyed_sql(USAGE, 'usage')})").fetchall())


def row(**over) -> dict:
    base = {"ts": "2026-11-20 10:00:00+00", "model": "m", "input_tokens": 10, "output_tokens": 2,
            "cache_read_tokens": 0, "cache_write_tokens": 0, "agent": "code-puppy", "error": None,
            "cost_usd_given": 0.1}
    return {**base, **over}


def test_keys_are_the_same_everywhere_and_tell_rows_apart() -> None:
    rows = [row(), row(), row(input_tokens=11), row(error=""), row(ts="2026-11-20 10:00:00.000001+00")]
    got = keys(rows)
    assert len(set(got)) == 5  # two identical rows are two keys; NULL and "" differ; a microsecond differs
    assert keys(rows, zone="Asia/Tokyo", reverse=True) == got
    assert set(keys(rows[:2])) <= set(got)  # a store holding fewer of the rows keys them alike
    changed = keys([row(), row(), row(input_tokens=12), row(error=""), row(ts="2026-11-20 10:00:00.000001+00")])
    assert len(set(changed) - set(got)) == 1
