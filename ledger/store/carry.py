"""What a rebuild carries over from the old store: rows it cannot read again because their file is
gone (a rotated generation logrotate deleted, a ledger removed) or unreadable, and what no file holds
(probe outcomes, the alerts sent). A rebuild never drops a row it cannot read again."""

from __future__ import annotations

from pathlib import Path

from .connection import Connection

# Tables whose rows belong to a source (by source_id), and the ones that stand alone.
BY_SOURCE = ("usage", "events", "rejected")
STANDALONE = ("probes", "alerts_sent")  # alerts_sent: a rebuild must not send them again


def carry_over(new: Connection, old_path: Path) -> tuple[int, list[str]]:
    """Copy, from the store file at ``old_path``, every source with rows that ``new`` did not read again
    (no new source has its device and inode), with its rows, under new source ids; and every probe.
    Returns (rows carried, the paths they came from). Inside one transaction of ``new``."""
    con = new.con
    con.execute(f"ATTACH '{_quoted(old_path)}' AS pw_old (READ_ONLY)")
    try:
        with new.transaction():
            lost = con.execute("""
                SELECT o.id, o.path FROM pw_old.sources o
                WHERE o.lines > 0 AND NOT EXISTS (
                    SELECT 1 FROM sources n WHERE n.dev = o.dev AND n.inode = o.inode AND n.kind = o.kind)
                ORDER BY o.id""").fetchall()
            carried = _copy_sources(new, [i for i, _ in lost])
            for table in STANDALONE:
                con.execute(f"INSERT INTO {table} SELECT * FROM pw_old.{table}")
        return carried, [p for _, p in lost]
    finally:
        con.execute("DETACH pw_old")


def _copy_sources(new: Connection, ids: list[int]) -> int:
    if not ids:
        return 0
    con = new.con
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'pw_old' AND table_name = 'sources' "
        "AND column_name <> 'id' ORDER BY column_index").fetchall()]
    listed = ", ".join(f'"{c}"' for c in columns)
    con.execute("""CREATE OR REPLACE TEMP TABLE pw_ids AS
        SELECT id AS old_id, nextval('source_ids') AS new_id FROM pw_old.sources WHERE id IN (SELECT unnest($ids))""",
                {"ids": ids})
    con.execute(f"""INSERT INTO sources (id, {listed})
        SELECT m.new_id, {", ".join(f'o."{c}"' for c in columns)} FROM pw_old.sources o
        JOIN pw_ids m ON m.old_id = o.id""")
    con.execute("UPDATE sources SET active = false WHERE id IN (SELECT new_id FROM pw_ids)")
    rows = 0
    for table in BY_SOURCE:
        rows += con.execute(f"""INSERT INTO {table} SELECT t.* REPLACE (m.new_id::INTEGER AS source_id)
            FROM pw_old.{table} t JOIN pw_ids m ON m.old_id = t.source_id""").fetchall()[0][0]
    con.execute("""INSERT INTO agent_keys SELECT k.* FROM pw_old.agent_keys k
        WHERE k.dedup_key IN (SELECT dedup_key FROM usage WHERE source_id IN (SELECT new_id FROM pw_ids))""")
    con.execute("DROP TABLE pw_ids")
    return rows


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
