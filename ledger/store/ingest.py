"""Exactly-once ingest of JSON-lines byte ranges (the usage ledger, the event log).

Each kind of file is a ``LineFormat``: the fields DuckDB reads, why a parsed line is not a record,
and the insert. A large range goes through DuckDB's ``read_json`` in one statement; if any line in
it is bad, the range is cut into chunks and only the chunks holding bad lines are read line by line
(still in SQL, with ``json_transform``), so both paths apply the same rules. Rows and the file's new
offset commit in one transaction, so a crash at any point neither loses nor double-counts a line.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from .connection import Connection, Ingested, Source
from .files import chunks, may_hold_long_line, pread

FAST_PATH_MIN_BYTES = 1 << 20  # smaller ranges go line by line: cheaper than a temp file
CHUNK_BYTES = 8 << 20  # a bad line sends only its chunk down the line-by-line path
EXCERPT_CHARS = 160


@dataclass(frozen=True)
class LineFormat:
    """How one kind of JSON-lines file becomes rows: the fields DuckDB reads, why a parsed line is
    not a record (NULL when it is one), and the insert. Both ingest paths share it."""

    columns: dict[str, str]
    reason_sql: str
    insert_sql: str
    projection_sql: str

    def columns_literal(self) -> str:
        return "{" + ", ".join(f"'{k}': '{v}'" for k, v in self.columns.items()) + "}"


# The ledger's fields as DuckDB reads them. Unknown fields are ignored; wrong types send the
# chunk down the line path, where json_transform turns them into NULL.
USAGE = LineFormat(
    columns={
        "ts": "VARCHAR", "provider": "VARCHAR", "model": "VARCHAR", "in": "BIGINT", "out": "BIGINT",
        "type": "VARCHAR", "session": "VARCHAR", "latency": "BIGINT", "cached": "BOOLEAN",
        "error": "VARCHAR", "status": "BIGINT", "cache_read": "BIGINT", "cache_write": "BIGINT",
        "cost_usd": "DOUBLE", "agent": "VARCHAR", "workload": "VARCHAR", "request_id": "VARCHAR",
    },
    reason_sql="""CASE
    WHEN ts IS NULL THEN 'missing or non-string ts'
    WHEN model IS NULL OR trim(model) = '' THEN 'missing model'
    WHEN "in" IS NULL THEN 'missing or non-integer in'
    WHEN "out" IS NULL THEN 'missing or non-integer out'
    WHEN TRY_CAST(ts AS TIMESTAMPTZ) IS NULL THEN 'unparseable ts'
    WHEN "in" < 0 OR "out" < 0 OR coalesce(cache_read, 0) < 0 OR coalesce(cache_write, 0) < 0
        THEN 'negative token count'
END""",
    insert_sql="""INSERT INTO usage (source_id, ts, provider_raw, model, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, kind, session, latency_ms, cached, error,
    status, cost_usd_given, agent, workload, request_id)""",
    projection_sql="""
    TRY_CAST(ts AS TIMESTAMPTZ), provider, model, "in", "out",
    coalesce(cache_read, 0), coalesce(cache_write, 0), type, session,
    CASE WHEN latency > 0 THEN latency END, cached, NULLIF(error, ''), status, cost_usd,
    agent, workload, request_id""",
)

# The agent event log (DESIGN.md): any kind is kept, so a newer agent's kinds are not lost.
EVENTS = LineFormat(
    columns={"ts": "VARCHAR", "kind": "VARCHAR", "agent": "VARCHAR", "session": "VARCHAR",
             "provider": "VARCHAR", "model": "VARCHAR", "detail": "JSON"},
    reason_sql="""CASE
    WHEN ts IS NULL THEN 'missing or non-string ts'
    WHEN kind IS NULL OR trim(kind) = '' THEN 'missing kind'
    WHEN TRY_CAST(ts AS TIMESTAMPTZ) IS NULL THEN 'unparseable ts'
    WHEN detail IS NOT NULL AND json_type(detail) <> 'OBJECT' THEN 'detail is not an object'
END""",
    insert_sql="INSERT INTO events (source_id, ts, kind, agent, session, provider_raw, model, detail)",
    projection_sql="TRY_CAST(ts AS TIMESTAMPTZ), kind, agent, session, provider, model, detail",
)

# Quota snapshots the Claude Code status line writes (quota.jsonl beside the ledger).
QUOTA = LineFormat(
    columns={"ts": "VARCHAR", "agent": "VARCHAR", "session": "VARCHAR", "model": "VARCHAR", "window": "VARCHAR",
             "window_minutes": "BIGINT", "used_percent": "DOUBLE", "resets_at": "VARCHAR", "source": "VARCHAR",
             "session_cost_usd": "DOUBLE", "limit_id": "VARCHAR"},
    reason_sql="""CASE
    WHEN ts IS NULL THEN 'missing or non-string ts'
    WHEN agent IS NULL OR trim(agent) = '' THEN 'missing agent'
    WHEN TRY_CAST(ts AS TIMESTAMPTZ) IS NULL THEN 'unparseable ts'
    WHEN "window" IS NOT NULL AND used_percent IS NULL THEN 'missing or non-numeric used_percent'
    WHEN used_percent < 0 THEN 'negative used_percent'
    WHEN resets_at IS NOT NULL AND TRY_CAST(resets_at AS TIMESTAMPTZ) IS NULL THEN 'unparseable resets_at'
    WHEN coalesce(source, 'agent') <> 'agent' THEN 'source is not agent (estimates are never stored)'
END""",
    insert_sql="""INSERT INTO quota_snapshots (source_id, ts, agent, session, model, window_name, window_minutes,
    used_percent, resets_at, source, session_cost_usd, limit_id)""",
    projection_sql="""TRY_CAST(ts AS TIMESTAMPTZ), agent, session, model, "window", window_minutes, used_percent,
    TRY_CAST(resets_at AS TIMESTAMPTZ), 'agent', session_cost_usd, limit_id""",
)

FORMATS: dict[str, LineFormat] = {"usage": USAGE, "events": EVENTS, "quota": QUOTA}


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
    for lo, hi in chunks(path, start, end, CHUNK_BYTES):
        total += _ingest_chunk(store, source, path, lo, hi, head)
    return total


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
            FROM read_json(?, format = 'newline_delimited', columns = {fmt.columns_literal()},
                           maximum_object_size = {limit})
            WHERE CASE WHEN ({fmt.reason_sql}) IS NULL THEN true ELSE error('bad record') END"""
        rows = store.con.execute(sql, [str(target)]).fetchall()[0][0]
    finally:
        if target != path:
            os.unlink(target)
    if whole:
        after = os.stat(path)
        if after.st_size != st.st_size or after.st_mtime_ns != st.st_mtime_ns:
            # The writer appended while DuckDB read: rows past `end` may be in. Retry exactly.
            raise duckdb.InvalidInputException("file changed during read")
    return rows


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
    return raw[:EXCERPT_CHARS].decode("utf-8", errors="replace")


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
        if not line:
            continue
        if len(raw) > limit:
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


def _lines(store: Connection, data: bytes, base: int, source: Source) -> Ingested:
    """Line-by-line: every line gets its offset, so a bad one is kept with its reason."""
    offsets, texts, rejects = _split(data, base, store.settings.max_line_bytes)
    rows = 0
    if texts:
        frame = pl.DataFrame({"line_offset": offsets, "line": texts},
                             schema={"line_offset": pl.UInt64, "line": pl.String})
        store.con.register("pw_lines", frame)
        try:
            rows, bad = _checked_insert(store.con, FORMATS[source.kind], source.id, len(texts))
            rejects.extend(bad)
        finally:
            store.con.unregister("pw_lines")
            store.con.execute("DROP TABLE IF EXISTS pw_checked")
    store.add_rejects([(source.id, *r) for r in rejects])
    return Ingested(rows, len(rejects))


def _checked_insert(con: duckdb.DuckDBPyConnection, fmt: LineFormat, source_id: int,
                    count: int) -> tuple[int, list[tuple]]:
    """Parse ``pw_lines`` once into a temp table, insert the good rows, and return the bad ones only
    when some line was bad (each statement costs ~1 ms on a one-line append)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_checked AS
        WITH j AS (
            SELECT line_offset, line, json_valid(line) AS ok FROM pw_lines
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
        )
        SELECT *, coalesce(pre_reason, {fmt.reason_sql}) AS reason FROM parsed""")
    rows = con.execute(f"""{fmt.insert_sql}
        SELECT {source_id}, {fmt.projection_sql} FROM pw_checked
        WHERE reason IS NULL ORDER BY line_offset""").fetchall()[0][0]
    if rows == count:
        return rows, []
    return rows, con.execute(
        "SELECT line_offset, octet_length(encode(line)), reason, left(line, ?) "
        "FROM pw_checked WHERE reason IS NOT NULL ORDER BY line_offset", [EXCERPT_CHARS]).fetchall()
