"""Exactly-once ingest of JSON-lines byte ranges (the usage ledger, the event log).

Each kind of file is a ``LineFormat`` (``line_formats``): the fields DuckDB reads, why a parsed line is not a record,
and the insert. A large range goes through DuckDB's ``read_json`` in one statement; if any line in
it is bad, the range is cut into chunks and only the chunks holding bad lines are read line by line
(still in SQL, with ``json_transform``), so both paths apply the same rules. Rows and the file's new
offset commit in one transaction, so a crash at any point neither loses nor double-counts a line.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import duckdb

from ..scope import LEDGER_AGENT
from ..secrets import EXCERPT_SCAN
from .connection import Connection, Ingested, Source
from .files import chunks, may_hold_long_line, pread
from .frames import as_frame
from .line_formats import FORMATS, USAGE, LineFormat

FAST_PATH_MIN_BYTES = 1 << 20  # smaller ranges go line by line: cheaper than a temp file
CHUNK_BYTES = 8 << 20  # a bad line sends only its chunk down the line-by-line path
SMALL_INPUT_LINES = 1000  # up to this many lines are handed to DuckDB as parameters, not as a frame




def ingest(store: Connection, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
    """Load the complete lines in ``path[start:end]`` and move the source's offset to ``end``.

    ``end`` must sit just after a newline. The source's kind says which ``LineFormat`` the lines
    are. Bad lines cost time only where they are: only their chunk is read line by line.
    """
    if end <= start:
        return Ingested()
    if end - start >= FAST_PATH_MIN_BYTES and (done := _try_fast(store, source, path, start, end, head)):
        return done
    total = Ingested()
    for lo, hi, long in chunks(path, start, end, CHUNK_BYTES, store.settings.max_line_bytes):
        if long:
            with store.transaction():
                store.add_rejects([(source.id, *long_line(path, lo, hi, store.settings.max_line_bytes))])
                store.advance(source, hi, head, 0, 1)
            total += Ingested(0, 1)
        else:
            total += _ingest_chunk(store, source, path, lo, hi, head)
    return total


def long_line(path: Path, lo: int, hi: int, limit: int) -> tuple[int, int, str, str]:
    """The rejected line for [lo, hi), a line over ``limit`` bytes, read no further than its excerpt."""
    size = hi - lo - 1
    head = pread(path, lo, lo + EXCERPT_SCAN)
    return lo, size, f"line of {size} bytes is over the {limit}-byte limit", excerpt(head)


def _try_fast(store: Connection, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested | None:
    """The whole range through ``read_json`` in one transaction; None when some line is bad."""
    try:
        with store.transaction():
            rows = _fast(store, path, start, end, source)
            store.advance(source, end, head, rows, 0)
        return Ingested(rows, 0)
    except duckdb.Error:
        return None  # some line in the range is bad: find it chunk by chunk


def _ingest_chunk(store: Connection, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
    if end - start >= FAST_PATH_MIN_BYTES and (done := _try_fast(store, source, path, start, end, head)):
        return done
    data = pread(path, start, end)
    with store.transaction():
        got = _lines(store, data, start, source)
        store.advance(source, end, head, got.rows, got.rejected)
    return got


def add_events(store: Connection, source: Source, rows: list[tuple], rejects: list[tuple], end: int,
               head: bytes) -> Ingested:
    """Events parsed outside SQL (Code Puppy's errors.log): (ts, kind, agent, model, detail JSON) each,
    with the rejected lines and the new offset, in one transaction."""
    with store.transaction():
        if rows:
            store.con.executemany(
                """INSERT INTO events (source_id, ts, kind, agent, model, detail)
                   VALUES (?, CAST(? AS TIMESTAMPTZ), ?, ?, ?, ?)""",
                [(source.id, *r) for r in rows])
        store.add_rejects([(source.id, *r) for r in rejects])
        store.advance(source, end, head, len(rows), len(rejects))
    return Ingested(len(rows), len(rejects))


def _fast(store: Connection, path: Path, start: int, end: int, source: Source) -> int:
    """read_json over the range; raises duckdb.Error when any line is not a clean record."""
    limit = store.settings.max_line_bytes
    if may_hold_long_line(path, start, end, limit):
        raise duckdb.InvalidInputException("a line may be over the limit")
    st = os.stat(path)
    whole = start == 0 and end == st.st_size
    target = path if whole else _copy_range(store.tmpdir, path, start, end)
    try:
        fmt = FORMATS[source.kind]
        sql = f"""{fmt.insert_sql}
            SELECT {source.id}, {fmt.projection_sql}
            FROM (SELECT {fmt.typed_sql} FROM read_json($path, format = 'newline_delimited',
                  columns = {fmt.columns_literal()}, maximum_object_size = {limit}))
            WHERE CASE WHEN ({fmt.reason_sql}) IS NULL
                            AND NOT ({fmt.might_hold_secret_sql()})
                       THEN true ELSE error('bad record') END"""
        mark = store.table_mark("usage") if fmt is USAGE else None
        # A text that might hold a secret sends the range down the line path, which masks it in a temp
        # table first: a value written here, even if updated before commit, would reach the WAL.
        params = {"path": str(target), "names": store.secrets_pattern(names=True)}
        if fmt.text_columns:
            params["secrets"] = store.secrets_pattern()
        rows = store.con.execute(sql, params).fetchall()[0][0]
        if mark is not None and _repeats_a_request_id(store.con, mark):
            raise duckdb.InvalidInputException("a request id repeats: the line path decides which counts")
    finally:
        if target != path:
            os.unlink(target)
    if whole:
        after = os.stat(path)
        if after.st_size != st.st_size or after.st_mtime_ns != st.st_mtime_ns:
            # The writer appended while DuckDB read: rows past `end` may be in. Retry exactly.
            raise duckdb.InvalidInputException("file changed during read")
    return rows


def _repeats_a_request_id(con: duckdb.DuckDBPyConnection, mark: int) -> bool:
    """Whether a row inserted after ``mark`` shares its request id with another ledger row."""
    return con.execute("""
        SELECT count(*) FROM (SELECT request_id FROM usage WHERE rowid > $mark AND request_id IS NOT NULL) n
        WHERE n.request_id IN (SELECT request_id FROM usage WHERE agent = $agent AND request_id IS NOT NULL
                               GROUP BY 1 HAVING count(*) > 1)""",
        {"mark": mark, "agent": LEDGER_AGENT}).fetchall()[0][0] > 0


def _copy_range(folder: Path, path: Path, start: int, end: int) -> Path:
    fd, name = tempfile.mkstemp(dir=folder, suffix=".jsonl")
    with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
        src.seek(start)
        remaining = end - start
        while remaining:
            block = src.read(min(remaining, 4 << 20))
            if not block:
                break
            dst.write(block)
            remaining -= len(block)
    return Path(name)


def excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_SCAN].decode("utf-8", errors="replace")  # add_rejects scrubs and cuts it


BOM = b"\xef\xbb\xbf"


def _split(data: bytes, base: int, limit: int) -> tuple[list[int], list[str], list[tuple[int, int, str, str]]]:
    """(offsets, texts, rejects) of the non-blank lines in ``data``: too long or not UTF-8 are rejected here."""
    offsets: list[int] = []
    texts: list[str] = []
    rejects: list[tuple[int, int, str, str]] = []
    pos = 0
    for raw in data.split(b"\n")[:-1]:
        off = base + pos
        pos += len(raw) + 1
        line = raw.strip()
        if off == 0 and line.startswith(BOM):  # a file saved "UTF-8 with BOM": read_json skips it too
            line = line[len(BOM):].strip()
        if not line:
            continue
        if len(raw) > limit:  # (only a short one: chunks() gives a line much over the limit a range alone)
            rejects.append((off, len(raw), f"line of {len(raw)} bytes is over the {limit}-byte limit", excerpt(raw)))
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            rejects.append((off, len(raw), "not UTF-8 text", excerpt(raw)))
            continue
        offsets.append(off)
        texts.append(text)
    return offsets, texts, rejects


def lines_into_checked(store: Connection, fmt: LineFormat, data: bytes, base: int, *,
                       duplicates: bool = True) -> tuple[list[tuple], bool]:
    """Parse the lines of ``data`` (file offset ``base``) once into the temp table ``pw_checked``: every line
    with its offset and, for a line that is not a record, the reason. Returns the lines rejected before
    parsing (too long, not UTF-8) and whether ``pw_checked`` was made (the caller drops it)."""
    offsets, texts, rejects = _split(data, base, store.settings.max_line_bytes)
    # A few lines (an append) go in as two list parameters: a polars frame would load polars and pyarrow
    # into the dashboard (~50 MB) for them; many lines (a chunk of a first read) go in as a frame, faster.
    if texts and len(texts) <= SMALL_INPUT_LINES:
        _check(store, fmt, FEW_LINES_SQL, duplicates, {"offsets": offsets, "lines": texts})
        return rejects, True
    if not texts:
        return rejects, False
    frame = as_frame({"line_offset": offsets, "line": texts}, {"line_offset": "UInt64", "line": "String"})
    store.con.register("pw_lines", frame)
    try:
        _check(store, fmt, "pw_lines", duplicates, {})
    finally:
        store.con.unregister("pw_lines")
    return rejects, True


FEW_LINES_SQL = "(SELECT unnest($offsets)::UBIGINT AS line_offset, unnest($lines)::VARCHAR AS line)"


def _check(store: Connection, fmt: LineFormat, lines: str, duplicates: bool, params: dict) -> None:
    """``pw_checked`` from the (line_offset, line) rows of ``lines``, its texts' secrets masked."""
    store.con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_checked AS
        WITH j AS (
            SELECT line_offset, line, json_valid(line) AS ok FROM {lines}
        ), t AS (
            SELECT *, CASE WHEN ok THEN json_type(line::JSON) END AS jtype FROM j
        ), r AS (
            SELECT line_offset, line, ok, jtype,
                CASE WHEN jtype = 'OBJECT' THEN json_transform(line, '{json.dumps(fmt.columns)}') END AS rec
            FROM t
        ), parsed AS (
            SELECT line_offset, line, rec.*, CASE
                WHEN NOT ok THEN 'not valid JSON'
                WHEN jtype <> 'OBJECT' THEN 'not a JSON object'
            END AS pre_reason
            FROM r
        ), typed AS (
            SELECT {fmt.typed_sql} FROM parsed
        ), checked AS (
            SELECT *, coalesce(pre_reason, {fmt.reason_sql}) AS reason FROM typed
        )
        SELECT * REPLACE (coalesce(reason, {fmt.duplicate_sql if duplicates else "NULL"}) AS reason)
        FROM checked""", params)
    store.scrub_rows("pw_checked", fmt.text_columns, fmt.name_columns)


def bad_lines(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The lines of ``pw_checked`` that are not records: (offset, bytes, reason, excerpt)."""
    return con.execute(
        "SELECT line_offset, octet_length(encode(line)), reason, left(line, ?) "
        "FROM pw_checked WHERE reason IS NOT NULL ORDER BY line_offset", [EXCERPT_SCAN]).fetchall()


def _lines(store: Connection, data: bytes, base: int, source: Source) -> Ingested:
    """Line-by-line: every line gets its offset, so a bad one is kept with its reason. One parse into
    one temp table, then the good rows in, and the bad ones out only when some line was bad (each
    statement costs ~1 ms on a one-line append)."""
    fmt = FORMATS[source.kind]
    rejects, checked = lines_into_checked(store, fmt, data, base)
    rows = 0
    if checked:
        try:
            rows = store.con.execute(f"""{fmt.insert_sql}
                SELECT {source.id}, {fmt.projection_sql} FROM pw_checked
                WHERE reason IS NULL ORDER BY line_offset""").fetchall()[0][0]
            if rows < store.con.execute("SELECT count(*) FROM pw_checked").fetchall()[0][0]:
                rejects.extend(bad_lines(store.con))
        finally:
            store.con.execute("DROP TABLE IF EXISTS pw_checked")
    store.add_rejects([(source.id, *r) for r in rejects])
    return Ingested(rows, len(rejects))
