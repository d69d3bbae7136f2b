"""Checking that a secret is nowhere on disk."""

from __future__ import annotations

from pathlib import Path


def assert_nowhere_in(folder: Path, key: str) -> None:
    """Not the key, nor a long piece of it, in any byte of any file (the DuckDB file, its WAL)."""
    for f in folder.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert key.encode() not in data, f
            if len(key) >= 24:
                assert key[8:24].encode() not in data, f


def assert_not_stored(db: Path, key: str) -> None:
    """Not the key in any value of any table, read back through DuckDB (its files compress what they hold,
    so a byte search alone can miss it)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            hits = con.execute(f"""SELECT count(*) FROM "{table}" t
                WHERE contains(CAST(t AS VARCHAR), $key)""",
                               {"key": key}).fetchall()[0][0]
            assert hits == 0, (table, key)
            for (column,) in con.execute("""SELECT column_name FROM information_schema.columns
                    WHERE table_name = $t AND data_type = 'BLOB'""", {"t": table}).fetchall():
                found = con.execute(f"""SELECT count(*) FROM "{table}"
                    WHERE contains(hex("{column}"), hex($key))""", {"key": key}).fetchall()[0][0]
                assert found == 0, (table, column, key)
    finally:
        con.close()
