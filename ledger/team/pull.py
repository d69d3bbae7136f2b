"""Pulling the team's rows into a local DuckDB cache (``<db>.team.duckdb``), where every view, pane and
report reads them as it reads one machine's store.

The cache is a packwatch store (same schema, same migrations, priced and rolled up the same way) whose
``usage``, ``events`` and ``quota_snapshots`` also say each row's ``machine``, ``user_name`` and
``team_key``. A pull reads, in one snapshot of the team database, the tombstones and rows past the
``seq`` it last got (``team_pull``), deletes the tombstoned rows, inserts the new ones and moves its
marks, in one local transaction: a pull moves only new rows, and a pull cut short moves none."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg

from ..settings import Settings
from ..store import Store, StoreBusy
from ..store.prices import refresh_prices
from ..store.rollup import refresh_rollup
from .connect import TeamError, connect, shown, team_id
from .duck import transaction
from .schema import SCHEMA
from .tables import PULLED, Table

TEAM_COLUMNS = (("machine", "VARCHAR"), ("user_name", "VARCHAR"), ("team_key", "UUID"))
_DUCK_TYPES = {"timestamptz": "BIGINT", "text": "VARCHAR", "bigint": "BIGINT", "integer": "INTEGER",
               "boolean": "BOOLEAN", "double precision": "DOUBLE"}


def cache_path(db: Path) -> Path:
    """The team cache beside the local store: ``usage.duckdb`` -> ``usage.team.duckdb``."""
    return db.with_name(f"{db.stem}.team.duckdb")


@dataclass
class Pulled:
    rows: dict[str, int] = field(default_factory=dict)
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.deleted or any(self.rows.values()))

    def describe(self) -> str:
        return f"pulled {sum(self.rows.values())} new team rows" + (f", {self.deleted} removed" if self.deleted else "")


def prepare_cache(con: duckdb.DuckDBPyConnection) -> None:
    """The team columns and the pull marks, on a freshly opened cache store (idempotent)."""
    for table in PULLED:
        for column, kind in TEAM_COLUMNS:
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {column} {kind}")
    con.execute("CREATE TABLE IF NOT EXISTS team_pull (tbl VARCHAR PRIMARY KEY, team_id VARCHAR, seq BIGINT)")


def pull(con: duckdb.DuckDBPyConnection, url: str) -> Pulled:
    """Bring the team database's new rows into the cache ``con`` (prepared by ``prepare_cache``)."""
    team = connect(url)
    result = Pulled()
    try:
        with tempfile.TemporaryDirectory(prefix="packwatch-pull-") as tmp:
            # One snapshot for the tombstones and every table (set before the transaction's first statement).
            team.isolation_level, team.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            tid = team_id(team)
            marks, result.deleted = _marks(con, tid)
            tombstones = team.execute(f"""SELECT seq, tbl, machine, key FROM {SCHEMA}.tombstones
                                          WHERE seq > %s ORDER BY seq""", [marks.get("tombstones", 0)]).fetchall()
            files = {t.name: _fetch(team, t, marks.get(t.name, 0), Path(tmp)) for t in PULLED}
            team.rollback()
            _apply(con, tid, tombstones, files, result)
    except psycopg.OperationalError as exc:
        raise TeamError(f"lost the team database {shown(url)} mid-pull ({type(exc).__name__}); the cache keeps "
                        "what it had: try again once it is back") from None
    finally:
        team.close()
    return result


def _marks(con: duckdb.DuckDBPyConnection, tid: str) -> tuple[dict[str, int], int]:
    """(the seq pulled last, per table; the rows removed because the cache held another team's rows)."""
    rows = con.execute("SELECT tbl, team_id, seq FROM team_pull").fetchall()
    if any(r[1] != tid for r in rows):  # another team database than last time: start over
        removed = 0
        with transaction(con):
            for table in PULLED:
                removed += con.execute(f"DELETE FROM {table.name}").fetchall()[0][0]
            con.execute("DELETE FROM team_pull")
        return {}, removed
    return {r[0]: r[2] for r in rows}, 0


def _fetch(team: psycopg.Connection, table: Table, after: int, tmp: Path) -> tuple[Path, int]:
    """The rows past ``after`` as CSV in a file; (the file, the last seq in it)."""
    cols = ", ".join(f"(extract(epoch FROM {c}) * 1000000)::bigint" if t == "timestamptz" else
                     f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END" if t == "boolean" else c
                     for c, t in table.columns)
    path = tmp / f"{table.name}.csv"
    with open(path, "wb") as fh, team.cursor().copy(
            f"""COPY (SELECT seq, machine, user_name, key, {cols} FROM {SCHEMA}.{table.name}
                      WHERE seq > {int(after)} ORDER BY seq) TO STDOUT (FORMAT csv)""") as copy:
        for block in copy:
            fh.write(block)
    last = team.execute(f"SELECT coalesce(max(seq), %s) FROM {SCHEMA}.{table.name}", [after]).fetchone()[0]
    return path, last


def _apply(con: duckdb.DuckDBPyConnection, tid: str, tombstones: list[tuple],
           files: dict[str, tuple[Path, int]], result: Pulled) -> None:
    with transaction(con):
        for _seq, tbl, machine, key in tombstones:
            if tbl in files:
                result.deleted += con.execute(f"DELETE FROM {tbl} WHERE machine = ? AND team_key = ?",
                                              [machine, key]).fetchall()[0][0]
        for table in PULLED:
            path, last = files[table.name]
            result.rows[table.name] = _insert(con, table, path)
            con.execute("INSERT OR REPLACE INTO team_pull VALUES (?, ?, ?)", [table.name, tid, last])
        if tombstones:
            con.execute("INSERT OR REPLACE INTO team_pull VALUES ('tombstones', ?, ?)", [tid, tombstones[-1][0]])


def _insert(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> int:
    if path.stat().st_size == 0:
        return 0
    types = {"seq": "BIGINT", "machine": "VARCHAR", "user_name": "VARCHAR", "key": "UUID",
             **{c: _DUCK_TYPES[t] for c, t in table.columns}}
    spec = ", ".join(f"'{c}': '{t}'" for c, t in types.items())
    values = ", ".join(f"to_timestamp(0) + to_microseconds({c})" if t == "timestamptz" else c
                       for c, t in table.columns)
    source, zero = ("source_id, ", "0, ") if table.sourced else ("", "")
    return con.execute(f"""INSERT INTO {table.name} ({source}machine, user_name, team_key, {', '.join(table.names)})
        SELECT {zero}machine, user_name, key, {values}
        FROM read_csv('{path}', header = false, columns = {{{spec}}}, allow_quoted_nulls = false,
                      max_line_size = 1 << 26, parallel = false)""").fetchall()[0][0]


def open_cache(settings: Settings) -> Store:
    """The team cache beside ``settings.db``, opened (created and migrated like any store) and prepared.
    While another packwatch holds it, a private in-memory cache is pulled whole instead."""
    cache = settings.model_copy(update={"db": cache_path(settings.db)})
    try:
        store = Store.open(cache)
    except StoreBusy:
        store = Store.open(cache, memory=True)
    try:
        prepare_cache(store.con)
    except BaseException:
        store.close()
        raise
    return store


def refresh_cache(cache: Store, url: str) -> Pulled:
    """Pull into ``cache``, then price and roll up what came (everything again when rows were removed)."""
    mark = cache.mark()
    pulled = pull(cache.con, url)
    if pulled.deleted:
        refresh_prices(cache, mark)
        refresh_rollup(cache)
    elif pulled.changed:
        cache.settle(mark)
    return pulled
