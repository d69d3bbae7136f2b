"""Reading a file that was rewritten (truncated, shrunk, replaced in place or by a new file at its path)
without counting a line twice: its lines are read again from the start, and a record is stored only if
the same record was not already stored from this file before the rewrite, occurrence by occurrence
(two identical lines stay two rows, and a truncated file's surviving lines are not counted again).

A record is the row as stored, less its free text (scrubbed of secrets before insert, so not comparable);
two distinct requests with the same time to the millisecond, model, tokens, session and request id would
be taken for one, which agents do not write.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from ..scope import LEDGER_AGENT
from ..secrets import EXCERPT_SCAN, excerpt_of
from .connection import Connection, Ingested, Source
from .files import chunks, pread
from .ingest import CHUNK_BYTES, bad_lines, lines_into_checked, long_line
from .line_formats import FORMATS, LineFormat

# What identifies a stored record of each kind (the table's own columns, no free text).
IDENTITY = {
    "usage": ("ts, provider_raw, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, kind, "
              "session, latency_ms, cached, error IS NULL, status, cost_usd_given, agent, workload, request_id"),
    "events": "ts, kind, agent, session, provider_raw, model",
    "quota_snapshots": "ts, agent, window_name, window_minutes, used_percent, resets_at, source, session_cost_usd",
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
        limit = store.settings.max_line_bytes
        for lo, hi, long in chunks(path, 0, end, CHUNK_BYTES, limit):
            with store.transaction():
                if long:
                    got = _rejected(store, [long_line(path, lo, hi, limit)], source, earlier)
                else:
                    got = _new_lines(store, fmt, pread(path, lo, hi), lo, source, [*earlier, source.id], before)
                store.advance(source, hi, head, got.rows, got.rejected)
            total += got
    finally:
        store.con.execute("DROP TABLE IF EXISTS pw_seen")
    return total


def _new_lines(store: Connection, fmt: LineFormat, data: bytes, base: int, source: Source, earlier: list[int],
               mark: int) -> Ingested:
    rejects, checked = lines_into_checked(store, fmt, data, base, duplicates=False)
    rows = 0
    if checked:
        try:
            rows, repeated = _insert_unseen(store, fmt, source.id, earlier, mark)
            rejects += bad_lines(store.con) + repeated
        finally:
            for table in ("pw_checked", "pw_candidates", "pw_numbered"):
                store.con.execute(f"DROP TABLE IF EXISTS {table}")
    return _rejected(store, rejects, source, earlier, rows)


def _rejected(store: Connection, rejects: list[tuple], source: Source, earlier: list[int], rows: int = 0) -> Ingested:
    rejects = _not_rejected_before(store, rejects, source.id, [e for e in earlier if e != source.id])
    store.add_rejects([(source.id, *r) for r in rejects])
    return Ingested(rows, len(rejects))


def _not_rejected_before(store: Connection, rejects: list[tuple], source_id: int, earlier: list[int]) -> list[tuple]:
    """The rejected lines not already rejected from this file before it was rewritten: a bad line is
    counted once too. In the same file a surviving line kept its offset; from a file this one replaced,
    the same reason and excerpt count occurrence by occurrence."""
    if not rejects:
        return rejects
    known = store.settings.secrets()
    rows = store.con.execute("SELECT source_id, line_offset, reason, excerpt FROM rejected "
                             "WHERE source_id IN (SELECT unnest($ids))", {"ids": [source_id, *earlier]}).fetchall()
    here = {(o, r, e) for s, o, r, e in rows if s == source_id}
    elsewhere = Counter((r, e) for s, _, r, e in rows if s != source_id)
    fresh = []
    for offset, size, reason, excerpt in rejects:
        clean = excerpt_of(excerpt, known)
        if (offset, reason, clean) in here:
            continue
        if elsewhere[(reason, clean)] > 0:
            elsewhere[(reason, clean)] -= 1
            continue
        fresh.append((offset, size, reason, excerpt))
    return fresh


def _insert_unseen(store: Connection, fmt: LineFormat, source_id: int, earlier: list[int],
                   mark: int) -> tuple[int, list[tuple]]:
    """Insert the checked good lines whose (record, occurrence) pair no earlier row holds; of those, a
    line repeating a request id already counted is returned as rejected instead."""
    con = store.con
    columns = fmt.insert_sql[fmt.insert_sql.index("(") + 1: fmt.insert_sql.rindex(")")]
    identity = IDENTITY[fmt.table]
    con.execute(f"CREATE OR REPLACE TEMP TABLE pw_candidates AS SELECT *, 0::UBIGINT AS line_offset, "
                f"''::VARCHAR AS line FROM {fmt.table} WHERE false")
    con.execute(f"""INSERT INTO pw_candidates ({columns}, line_offset, line)
        SELECT {source_id}, {fmt.projection_sql}, line_offset, line FROM pw_checked WHERE reason IS NULL""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_numbered AS
        SELECT c.*, c.pw_h_local AS pw_h, coalesce(s.n, 0) + c.pw_k_local AS pw_k FROM (
            SELECT *, hash({identity}) AS pw_h_local,
                   row_number() OVER (PARTITION BY hash({identity}) ORDER BY line_offset) AS pw_k_local
            FROM pw_candidates) c
        LEFT JOIN pw_seen s ON s.pw_h = c.pw_h_local""")
    con.execute("INSERT INTO pw_seen SELECT pw_h, max(pw_k) FROM pw_numbered GROUP BY 1")
    con.execute("CREATE OR REPLACE TEMP TABLE pw_seen AS SELECT pw_h, max(n) AS n FROM pw_seen GROUP BY 1")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_numbered AS SELECT n.* FROM pw_numbered n
        ANTI JOIN (
            SELECT hash({identity}) AS pw_h, row_number() OVER (PARTITION BY hash({identity})) AS pw_k
            FROM {fmt.table} WHERE source_id IN (SELECT unnest($earlier)) AND rowid <= $mark) o
        USING (pw_h, pw_k)""", {"earlier": earlier, "mark": mark})
    repeated = _repeated_request_ids(con) if fmt.table == "usage" else []
    inserted = con.execute(f"""INSERT INTO {fmt.table} ({columns})
        SELECT {columns} FROM pw_numbered ORDER BY line_offset""").fetchall()[0][0]
    return inserted, repeated


def _repeated_request_ids(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Take out of ``pw_numbered`` the new lines whose request id is already counted (or comes twice):
    returned as rejected lines."""
    con.execute("""CREATE OR REPLACE TEMP TABLE pw_numbered AS SELECT *,
        request_id IS NOT NULL AND (
            row_number() OVER (PARTITION BY request_id ORDER BY line_offset) > 1
            OR request_id IN (SELECT request_id FROM usage WHERE agent = $agent AND request_id IS NOT NULL))
        AS pw_repeat FROM pw_numbered""", {"agent": LEDGER_AGENT})
    repeated = con.execute("""SELECT line_offset, octet_length(encode(line)), 'duplicate request_id (counted once)',
        left(line, $scan) FROM pw_numbered WHERE pw_repeat ORDER BY line_offset""", {"scan": EXCERPT_SCAN}).fetchall()
    con.execute("DELETE FROM pw_numbered WHERE pw_repeat")
    return repeated
