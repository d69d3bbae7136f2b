"""Reading a file that was rewritten (truncated, shrunk, replaced in place or by a new file at its path)
without counting a line twice: its lines are read again from the start, and a record is stored only if
the same record was not already stored from this file before the rewrite, occurrence by occurrence
(two identical lines stay two rows, and a truncated file's surviving lines are not counted again).

A record is the row as stored, less its free text (scrubbed of secrets after insert, so not comparable);
two distinct requests with the same time to the millisecond, model, tokens, session and request id would
be taken for one, which agents do not write.
"""

from __future__ import annotations

from pathlib import Path

from .connection import Connection, Ingested, Source
from .files import chunks, pread
from .ingest import CHUNK_BYTES, FORMATS, LineFormat, bad_lines, lines_into_checked

# What identifies a stored record of each kind (the table's own columns, no free text).
IDENTITY = {
    "usage": ("ts, provider_raw, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, kind, "
              "session, latency_ms, cached, error IS NULL, status, cost_usd_given, agent, workload, request_id"),
    "events": "ts, kind, agent, session, provider_raw, model",
}


def ingest_rewritten(store: Connection, source: Source, path: Path, end: int, head: bytes,
                     earlier: list[int]) -> Ingested:
    """Lines of ``path[0:end]`` not already stored from ``source`` or the sources ``earlier`` (this path
    before it was replaced) in, and the offset to ``end``; chunk by chunk, each in one transaction."""
    total = Ingested()
    fmt = FORMATS[source.kind]
    before = store.table_mark(fmt.table)  # rows up to here are the file as it was
    # How often each record already came up in earlier chunks, so occurrences count across the file.
    store.con.execute("CREATE OR REPLACE TEMP TABLE pw_seen (pw_h UBIGINT, n BIGINT)")
    try:
        for lo, hi in chunks(path, 0, end, CHUNK_BYTES):
            data = pread(path, lo, hi)
            with store.transaction():
                got = _new_lines(store, fmt, data, lo, source, [*earlier, source.id], before)
                store.advance(source, hi, head, got.rows, got.rejected)
            total += got
    finally:
        store.con.execute("DROP TABLE IF EXISTS pw_seen")
    return total


def _new_lines(store: Connection, fmt: LineFormat, data: bytes, base: int, source: Source, earlier: list[int],
               mark: int) -> Ingested:
    rejects, checked = lines_into_checked(store, fmt, data, base)
    rows = 0
    if checked:
        try:
            rows = _insert_unseen(store, fmt, source.id, earlier, mark)
            rejects += bad_lines(store.con)
        finally:
            store.con.execute("DROP TABLE IF EXISTS pw_checked")
            store.con.execute("DROP TABLE IF EXISTS pw_candidates")
    store.add_rejects([(source.id, *r) for r in rejects])
    return Ingested(rows, len(rejects))


def _insert_unseen(store: Connection, fmt: LineFormat, source_id: int, earlier: list[int], mark: int) -> int:
    """Insert the checked good lines whose (record, occurrence) pair no earlier row holds."""
    con = store.con
    columns = fmt.insert_sql[fmt.insert_sql.index("(") + 1: fmt.insert_sql.rindex(")")]
    identity = IDENTITY[fmt.table]
    con.execute(f"CREATE OR REPLACE TEMP TABLE pw_candidates AS SELECT *, 0::UBIGINT AS line_offset "
                f"FROM {fmt.table} WHERE false")
    con.execute(f"""INSERT INTO pw_candidates ({columns}, line_offset)
        SELECT {source_id}, {fmt.projection_sql}, line_offset FROM pw_checked WHERE reason IS NULL""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_numbered AS
        SELECT c.*, c.pw_h_local AS pw_h, coalesce(s.n, 0) + c.pw_k_local AS pw_k FROM (
            SELECT *, hash({identity}) AS pw_h_local,
                   row_number() OVER (PARTITION BY hash({identity}) ORDER BY line_offset) AS pw_k_local
            FROM pw_candidates) c
        LEFT JOIN pw_seen s ON s.pw_h = c.pw_h_local""")
    try:
        inserted = con.execute(f"""INSERT INTO {fmt.table} ({columns})
            SELECT {columns} FROM pw_numbered n
            ANTI JOIN (
                SELECT hash({identity}) AS pw_h, row_number() OVER (PARTITION BY hash({identity})) AS pw_k
                FROM {fmt.table} WHERE source_id IN (SELECT unnest($earlier)) AND rowid <= $mark) o
            USING (pw_h, pw_k)
            ORDER BY line_offset""", {"earlier": earlier, "mark": mark}).fetchall()[0][0]
        con.execute("""INSERT INTO pw_seen SELECT pw_h, max(pw_k) FROM pw_numbered GROUP BY 1""")
        con.execute("CREATE OR REPLACE TEMP TABLE pw_seen AS SELECT pw_h, max(n) AS n FROM pw_seen GROUP BY 1")
    finally:
        con.execute("DROP TABLE IF EXISTS pw_numbered")
    return inserted
