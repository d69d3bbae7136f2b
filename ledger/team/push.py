"""``packwatch push``: the local store's rows into the team database, exactly once.

Per table, the rows the team database does not hold yet are the local rows whose keys (``tables``) are
not in ``team_pushed`` (the local store's record of what the team database committed); the keys in
``team_pushed`` that the store no longer holds are rows replaced locally, deleted from the team database.
New rows go in chunks, each one transaction on the server: ``COPY`` into a temporary table, then one
``INSERT ... ON CONFLICT (machine, key) DO NOTHING`` and the machine's high-water mark, committed
together. After each commit the chunk's keys are recorded locally. A push killed anywhere therefore
resumes at the first uncommitted chunk; a chunk committed but not yet recorded is sent again and
stored once (its keys conflict); two pushers at once insert each key once. When the local record is
missing (a new or rebuilt store) or belongs to another team database, it is first read back from the
server's keys for this machine."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg

from ..control.channel import ControlChannel
from .connect import TeamError, connect, machine_name, shown, team_id
from .duck import transaction
from .schema import PUSH_LOCK, SCHEMA
from .tables import CONTROLS, PUSHED, Table, keyed_sql

CHUNK_ROWS = 100_000


@dataclass
class Pushed:
    machine: str
    stored: dict[str, int] = field(default_factory=dict)
    """New rows the team database stored, per table."""
    deleted: dict[str, int] = field(default_factory=dict)
    """Rows replaced locally, deleted from the team database, per table."""

    def describe(self) -> str:
        rows = sum(self.stored.values())
        text = f"pushed {rows} new rows as {self.machine}"
        if any(self.stored.values()):
            text += " (" + ", ".join(f"{n} {t}" for t, n in self.stored.items() if n) + ")"
        gone = sum(self.deleted.values())
        return text + (f"; {gone} replaced rows removed" if gone else "")


Progress = Callable[[str, int, int], None]
"""(table, rows sent so far, rows to send)."""


def push(con: duckdb.DuckDBPyConnection, url: str, *, machine: str | None, user: str,
         control_dir: Path | None = None, chunk_rows: int = CHUNK_ROWS, progress: Progress | None = None) -> Pushed:
    """Send ``con``'s (the local store's) new rows to the team database at ``url``, as ``machine`` (None: the
    name this store pushed under before, else the host name)."""
    team = connect(url)
    try:
        tid = team_id(team)
        team.commit()
        store_id = con.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchall()[0][0]
        machine = _machine(con, tid, machine)
        result = Pushed(machine)
        _load_controls(con, control_dir)
        for table in PUSHED:
            source = "pw_controls" if table is CONTROLS else table.name
            _recover_record(con, team, tid, table, machine)
            stored, deleted = _push_table(con, team, tid, table, source, machine, user, store_id, chunk_rows,
                                          progress)
            result.stored[table.name], result.deleted[table.name] = stored, deleted
    except psycopg.OperationalError as exc:
        raise TeamError(f"lost the team database {shown(url)} mid-push ({type(exc).__name__}); what was committed "
                        "is kept: push again once it is back") from None
    finally:
        team.close()
        con.execute("DROP TABLE IF EXISTS pw_controls")
    return result


def _machine(con: duckdb.DuckDBPyConnection, tid: str, machine: str | None) -> str:
    """A store pushes to one team database under one name (under a second one its rows would count twice):
    the name given, or the one it pushed under before, or the host name."""
    key = f"team_machine:{tid}"
    known = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    if known and machine is not None and known[0][0] != machine:
        raise TeamError(f"this store pushes to the team database as {known[0][0]!r}, not {machine!r} (its rows would "
                        f"count twice): pass --machine {known[0][0]} or set [team] machine")
    if known:
        return known[0][0]
    machine = machine or machine_name()
    con.execute("INSERT INTO meta VALUES (?, ?)", [key, machine])
    return machine


def _load_controls(con: duckdb.DuckDBPyConnection, control_dir: Path | None) -> None:
    import json

    cols = ", ".join(f"{c} {'TIMESTAMPTZ' if t == 'timestamptz' else 'BIGINT' if t == 'bigint' else 'VARCHAR'}"
                     for c, t in CONTROLS.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE pw_controls ({cols})")
    changes = ControlChannel(control_dir).history(limit=1 << 40) if control_dir else []
    if changes:
        con.executemany("INSERT INTO pw_controls VALUES (?::TIMESTAMPTZ, ?, ?, ?, ?, ?, ?, ?)", [
            (c.ts, c.id, c.who, c.action, c.key, json.dumps(c.old), json.dumps(c.new), c.revision) for c in changes])


def _recover_record(con: duckdb.DuckDBPyConnection, team: psycopg.Connection, tid: str, table: Table,
                    machine: str) -> None:
    """The keys this machine has in the team database, as the local record, when the store has none for it."""
    known = con.execute("SELECT count(*) FROM team_pushed WHERE team_id = ? AND tbl = ?", [tid, table.name])
    if known.fetchall()[0][0]:
        return
    with tempfile.NamedTemporaryFile(suffix=".csv") as fh:
        with team.cursor().copy(f"COPY (SELECT key FROM {SCHEMA}.{table.name} WHERE machine = %s) TO STDOUT",
                                [machine]) as copy:
            for block in copy:
                fh.write(block)
        team.commit()
        fh.flush()
        with transaction(con):
            con.execute(f"""INSERT INTO team_pushed SELECT ?, ?, column0::UUID
                            FROM read_csv('{fh.name}', header = false, columns = {{'column0': 'VARCHAR'}})""",
                        [tid, table.name])


def _fingerprint(con: duckdb.DuckDBPyConnection, table: Table, source: str) -> str:
    """A cheap summary of the table's content (count and summed row hashes): unchanged since the last
    complete push means nothing to send, without keying every row again (a tenth of the time)."""
    (got,) = con.execute(f"SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash({', '.join(table.names)})), 0)"
                         f"::VARCHAR FROM {source}").fetchall()[0]
    return got


def _push_table(con: duckdb.DuckDBPyConnection, team: psycopg.Connection, tid: str, table: Table, source: str,
                machine: str, user: str, store_id: str, chunk_rows: int, progress: Progress | None) -> tuple[int, int]:
    mark, fingerprint = f"team_fp:{tid}:{machine}:{table.name}", _fingerprint(con, table, source)
    last = con.execute("SELECT value FROM meta WHERE key = ?", [mark]).fetchall()
    if last and last[0][0] == fingerprint:
        return 0, 0
    stored, deleted = _send_table(con, team, tid, table, source, machine, user, store_id, chunk_rows, progress)
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [mark, fingerprint])
    return stored, deleted


def _send_table(con: duckdb.DuckDBPyConnection, team: psycopg.Connection, tid: str, table: Table, source: str,
                machine: str, user: str, store_id: str, chunk_rows: int, progress: Progress | None) -> tuple[int, int]:
    con.execute(f"CREATE OR REPLACE TEMP TABLE pw_current AS {keyed_sql(table, source)}")
    con.execute("""CREATE OR REPLACE TEMP TABLE pw_new AS
        SELECT row_number() OVER (ORDER BY key) AS rn, * FROM pw_current c
        WHERE key NOT IN (SELECT key FROM team_pushed WHERE team_id = ? AND tbl = ?)""", [tid, table.name])
    gone = [r[0] for r in con.execute("""SELECT key FROM team_pushed WHERE team_id = ? AND tbl = ?
        AND key NOT IN (SELECT key FROM pw_current)""", [tid, table.name]).fetchall()]
    total = con.execute("SELECT count(*) FROM pw_new").fetchall()[0][0]
    stored = deleted = 0
    try:
        with tempfile.TemporaryDirectory(prefix="packwatch-push-") as tmp:
            start = 1
            while start <= total or gone:
                end = start + chunk_rows - 1
                csv = Path(tmp) / "chunk.csv"
                con.execute(f"""COPY (SELECT * EXCLUDE (rn) REPLACE ({_no_nul(table)}) FROM pw_new
                                WHERE rn BETWEEN {start} AND {end}) TO '{csv}' (FORMAT csv, HEADER false)""")
                s, d = _send_chunk(team, table, csv, gone, machine, user, store_id)
                with transaction(con):
                    con.execute("""INSERT INTO team_pushed SELECT ?, ?, key FROM pw_new
                                   WHERE rn BETWEEN ? AND ?""", [tid, table.name, start, end])
                    if gone:
                        con.execute("DELETE FROM team_pushed WHERE team_id = ? AND tbl = ? AND key IN "
                                    "(SELECT unnest(?::UUID[]))", [tid, table.name, gone])
                stored, deleted, gone = stored + s, deleted + d, []
                if progress:
                    progress(table.name, min(end, total), total)
                start = end + 1
    finally:
        con.execute("DROP TABLE IF EXISTS pw_current")
        con.execute("DROP TABLE IF EXISTS pw_new")
    return stored, deleted


def _no_nul(table: Table) -> str:
    """PostgreSQL texts cannot hold a NUL character: it is dropped on the way (the key keeps it)."""
    return ", ".join(f"replace({c}, chr(0), '') AS {c}" for c, t in table.columns if t == "text")


def _send_chunk(team: psycopg.Connection, table: Table, csv: Path, gone: list, machine: str, user: str,
                store_id: str) -> tuple[int, int]:
    """One server transaction: the chunk's rows, the deletions, and the machine's mark."""
    staged = ", ".join(f"{c} {'bigint' if t == 'timestamptz' else t}" for c, t in table.columns)
    values = ", ".join(f"to_timestamp(0) + {c} * interval '1 microsecond'" if t == "timestamptz" else c
                       for c, t in table.columns)
    stage = f"pw_stage_{table.name}"
    with team.transaction():
        team.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (key uuid, {staged}) ON COMMIT DELETE ROWS")
        with team.cursor().copy(f"COPY {stage} FROM STDIN (FORMAT csv)") as copy, open(csv, "rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        team.execute("SELECT pg_advisory_xact_lock(%s)", [PUSH_LOCK])
        stored, last_seq = team.execute(f"""WITH ins AS (
                INSERT INTO {SCHEMA}.{table.name} (machine, user_name, key, {', '.join(table.names)})
                SELECT %s, %s, key, {values} FROM {stage} ON CONFLICT (machine, key) DO NOTHING RETURNING seq)
            SELECT count(*), coalesce(max(seq), 0) FROM ins""", [machine, user]).fetchone()
        deleted = 0
        if gone:
            deleted = team.execute(f"""WITH d AS (DELETE FROM {SCHEMA}.{table.name}
                    WHERE machine = %s AND key = ANY(%s) RETURNING key)
                INSERT INTO {SCHEMA}.tombstones (tbl, machine, key) SELECT %s, %s, key FROM d""",
                                   [machine, gone, table.name, machine]).rowcount
        team.execute(f"""INSERT INTO {SCHEMA}.machines (machine, user_name, store_id, commits, rows_stored, last_seq)
            VALUES (%s, %s, %s, 1, %s, %s)
            ON CONFLICT (machine) DO UPDATE SET user_name = excluded.user_name, store_id = excluded.store_id,
                commits = {SCHEMA}.machines.commits + 1, rows_stored = {SCHEMA}.machines.rows_stored + %s - %s,
                last_seq = greatest({SCHEMA}.machines.last_seq, excluded.last_seq), last_push = now()""",
                     [machine, user, store_id, stored, last_seq, stored, deleted])
    return stored, deleted
