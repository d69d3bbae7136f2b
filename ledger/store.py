"""The DuckDB store: schema, exactly-once ingest of ledger byte ranges, pricing rows.

One ``Store`` owns the connection; threads take their own ``cursor()``. Every ingest commits its
rows and the file's new offset in one transaction, so a crash at any point neither loses nor
double-counts a line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mmap
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from . import errorlog
from .pricing import PROVIDER_ALIASES, genai_prices_version, rate_rows
from .schema import LEDGER_AGENT, MIGRATIONS, SCHEMA_VERSION
from .settings import Settings

FAST_PATH_MIN_BYTES = 1 << 20  # smaller ranges go line by line: cheaper than a temp file
CHUNK_BYTES = 8 << 20  # a bad line sends only its chunk down the line-by-line path
EXCERPT_CHARS = 160
HEAD_BYTES = 64


class StoreError(Exception):
    """A store problem a user can act on; the message says what to do."""


class StoreBusy(StoreError):
    def __init__(self, path: Path, pid: int | None):
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"the store {path} is in use by {who} (packwatch collect or the dashboard); "
            "stop it, or pass --db to use another store"
        )
        self.pid = pid


@dataclass
class Source:
    """What the store knows about one file generation it reads."""

    id: int
    kind: str
    path: str
    dev: int | None
    inode: int | None
    head: bytes
    offset: int
    lines: int
    rejected: int
    active: bool


@dataclass
class Ingested:
    rows: int = 0
    rejected: int = 0

    def __iadd__(self, other: Ingested) -> Ingested:
        self.rows += other.rows
        self.rejected += other.rejected
        return self


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

FORMATS: dict[str, LineFormat] = {"usage": USAGE, "events": EVENTS}


def first(result: duckdb.DuckDBPyConnection) -> tuple | None:
    """The first row, with the result consumed (DuckDB 2 refuses new work while one is open)."""
    rows = result.fetchall()
    return rows[0] if rows else None


_LOCK_PID = re.compile(r"PID (\d+)")


class Store:
    """The packwatch DuckDB file (or ``:memory:``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, settings: Settings):
        self.con = con
        self.path = path
        self.settings = settings
        self._tmpdir = Path(tempfile.mkdtemp(prefix="packwatch-"))
        self._fingerprint: str | None = None  # the settings cannot change while the store is open
        self._priced_as: str | None = None
        self._priced_raw: set[tuple[str | None, str]] = set()  # (provider_raw, model) priced

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, memory: bool = False, wait: float = 2.0) -> Store:
        """Open (creating and migrating) the store; ``StoreBusy`` when another process holds it."""
        path = None if memory else settings.db
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {path.parent}: {exc.strerror}; pass --db") from exc
        deadline = time.monotonic() + wait
        while True:
            try:
                con = duckdb.connect(str(path) if path else ":memory:")
                break
            except duckdb.IOException as exc:
                text = str(exc)
                if "not a valid DuckDB database" in text:
                    raise StoreError(
                        f"{path} is not a packwatch store; move it away or pass --db"
                    ) from exc
                if "lock" not in text.lower():
                    raise StoreError(f"cannot open the store {path}: {text.splitlines()[0]}") from exc
                if time.monotonic() >= deadline:
                    m = _LOCK_PID.search(text)
                    raise StoreBusy(path, int(m.group(1)) if m else None) from exc
                time.sleep(0.1)
            except duckdb.Error as exc:
                raise StoreError(
                    f"{path} is not a packwatch store ({str(exc).splitlines()[0]}); "
                    "move it away or pass --db"
                ) from exc
        store = cls(con, path, settings)
        store._configure()
        store._migrate()
        store.refresh_prices()
        return store

    def _configure(self) -> None:
        self.con.execute(f"SET TimeZone = '{self.settings.timezone}'")
        # Parallel inserts: ~1.3x faster cold ingest; order comes from ts, not insertion.
        self.con.execute("SET preserve_insertion_order = false")

    def _migrate(self) -> None:
        has_meta = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchall()[0][0]
        version = 0
        if has_meta:
            row = first(self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
            version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} was written by a newer packwatch (schema {version}); "
                "upgrade packwatch or run `packwatch rebuild`"
            )
        for v in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                self.con.execute(MIGRATIONS[v])
                self.con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(v)]
                )

    def share_cores(self) -> None:
        """Give each query half the cores, once the big first catch-up is done: the overview runs
        two cursors side by side, and two queries each asking for every core only contend
        (at 1M rows on 2 cores: ~24 ms for all panes instead of ~30)."""
        self.con.execute(f"SET threads = {max(1, (os.cpu_count() or 2) // 2)}")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for another thread; it shares the store's settings."""
        cur = self.con.cursor()
        cur.execute(f"SET TimeZone = '{self.settings.timezone}'")
        return cur

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- sources -----------------------------------------------------------------------------

    def sources(self, kind: str, *, active_only: bool = True) -> list[Source]:
        rows = self.con.execute(
            """SELECT id, kind, path, dev, inode, head, "offset", lines, rejected, active
               FROM sources WHERE kind = ? AND (active OR NOT ?) ORDER BY id""",
            [kind, active_only],
        ).fetchall()
        return [Source(*r[:5], bytes(r[5] or b""), *r[6:]) for r in rows]

    def active_sources(self) -> dict[str, dict[str, Source]]:
        """Every active source by kind, then path: one query for a whole catch-up pass."""
        out: dict[str, dict[str, Source]] = {}
        for r in self.con.execute(
            """SELECT id, kind, path, dev, inode, head, "offset", lines, rejected, active
               FROM sources WHERE active ORDER BY id""").fetchall():
            out.setdefault(r[1], {})[r[2]] = Source(*r[:5], bytes(r[5] or b""), *r[6:])
        return out

    def add_source(self, kind: str, path: str, dev: int, inode: int, head: bytes) -> Source:
        row = first(self.con.execute(
            """INSERT INTO sources (kind, path, dev, inode, head) VALUES (?, ?, ?, ?, ?)
               RETURNING id""",
            [kind, path, dev, inode, head],
        ))
        return Source(row[0], kind, path, dev, inode, head, 0, 0, 0, True)

    def add_rejects(self, rows: list[tuple]) -> None:
        """Lines that are not records, kept for ``packwatch rejected``: (source id, line offset, line
        bytes, reason, excerpt) each. Inside the caller's transaction, with its offsets."""
        if rows:
            self.con.executemany(
                "INSERT INTO rejected (source_id, line_offset, line_bytes, reason, excerpt) VALUES (?, ?, ?, ?, ?)",
                rows)

    def update_source(self, source: Source, **fields: object) -> None:
        """Set fields outside an ingest (a rotated file's new path, retirement, a restart)."""
        sets = ", ".join(f'"{k}" = ?' for k in fields)
        self.con.execute(
            f"UPDATE sources SET {sets}, updated_at = now() WHERE id = ?", [*fields.values(), source.id]
        )
        for k, v in fields.items():
            setattr(source, k, v)

    # -- ingest ------------------------------------------------------------------------------

    def ingest(self, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
        """Load the complete lines in ``path[start:end]`` and move the source's offset to ``end``.

        ``end`` must sit just after a newline. Large ranges go through DuckDB's ``read_json``
        (vectorised); if that fails, the range is cut into chunks and only chunks holding a bad
        line are read line by line, so bad lines cost time only where they are. The source's kind
        says which ``LineFormat`` the lines are.
        """
        if end <= start:
            return Ingested()
        if source.kind == errorlog.KIND:
            return self._ingest_error_log(source, path, start, end, head)
        total = Ingested()
        if end - start >= FAST_PATH_MIN_BYTES:
            try:
                with self.transaction():
                    rows = self._fast(path, start, end, source)
                    self._advance(source, end, head, rows, 0)
                return Ingested(rows, 0)
            except duckdb.Error:
                pass  # some line in the range is bad: find it chunk by chunk
        for lo, hi in _chunks(path, start, end, CHUNK_BYTES):
            total += self._ingest_chunk(source, path, lo, hi, head)
        return total

    def _ingest_chunk(self, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
        if end - start >= FAST_PATH_MIN_BYTES:
            try:
                with self.transaction():
                    rows = self._fast(path, start, end, source)
                    self._advance(source, end, head, rows, 0)
                return Ingested(rows, 0)
            except duckdb.Error:
                pass
        data = _pread(path, start, end)
        with self.transaction():
            got = self._lines(data, start, source)
            self._advance(source, end, head, got.rows, got.rejected)
        return got

    def _ingest_error_log(self, source: Source, path: Path, start: int, end: int, head: bytes) -> Ingested:
        """Code Puppy's errors.log: whole blocks become ``error`` events; the offset moves only
        past the last complete block, in the same transaction as its rows."""
        parsed = errorlog.parse(_pread(path, start, end), start, self.settings.secrets())
        if parsed.end == start:
            return Ingested()
        with self.transaction():
            if parsed.blocks:
                self.con.executemany(
                    """INSERT INTO events (source_id, ts, kind, agent, model, detail)
                       VALUES (?, CAST(? AS TIMESTAMPTZ), 'error', ?, ?, ?)""",
                    [(source.id, b.ts, errorlog.AGENT, b.model,
                      json.dumps({"error_type": b.error_type, "message": b.message, "context": b.context,
                                  "origin": "errors.log"}))
                     for b in parsed.blocks],
                )
            self.add_rejects([(source.id, *r) for r in parsed.rejects])
            self._advance(source, parsed.end, head, len(parsed.blocks), len(parsed.rejects))
        return Ingested(len(parsed.blocks), len(parsed.rejects))

    # -- probes ------------------------------------------------------------------------------

    def record_probes(self, probes: list[tuple]) -> None:
        """Store probe outcomes (ts, provider, endpoint, status, latency_ms, error_class, message),
        already scrubbed by the prober; safe from any thread."""
        if not probes:
            return
        cur = self.cursor()
        try:
            cur.executemany(
                """INSERT INTO probes (ts, provider, endpoint, status, latency_ms, error_class, message)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""", probes)
        finally:
            cur.close()

    def _advance(self, source: Source, end: int, head: bytes, rows: int, rejected: int) -> None:
        self.con.execute(
            """UPDATE sources SET "offset" = ?, head = ?, lines = lines + ?, rejected = rejected + ?,
               updated_at = now() WHERE id = ?""",
            [end, head, rows, rejected, source.id],
        )
        source.offset, source.head = end, head
        source.lines += rows
        source.rejected += rejected

    def _fast(self, path: Path, start: int, end: int, source: Source) -> int:
        """read_json over the range; raises duckdb.Error when any line is not a clean record."""
        if _may_hold_long_line(path, start, end, self.settings.max_line_bytes):
            raise duckdb.InvalidInputException("a line may be over the limit")
        st = os.stat(path)
        whole = start == 0 and end == st.st_size
        target = path if whole else self._copy_range(path, start, end)
        try:
            fmt = FORMATS[source.kind]
            sql = f"""{fmt.insert_sql}
                SELECT {source.id}, {fmt.projection_sql}
                FROM read_json(?, format = 'newline_delimited', columns = {fmt.columns_literal()},
                               maximum_object_size = {self.settings.max_line_bytes})
                WHERE CASE WHEN ({fmt.reason_sql}) IS NULL THEN true ELSE error('bad record') END"""
            rows = self.con.execute(sql, [str(target)]).fetchall()[0][0]
        finally:
            if target != path:
                os.unlink(target)
        if whole:
            after = os.stat(path)
            if after.st_size != st.st_size or after.st_mtime_ns != st.st_mtime_ns:
                # The writer appended while DuckDB read: rows past `end` may be in. Retry exactly.
                raise duckdb.InvalidInputException("file changed during read")
        return rows

    def _copy_range(self, path: Path, start: int, end: int) -> Path:
        fd, name = tempfile.mkstemp(dir=self._tmpdir, suffix=".jsonl")
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

    def _lines(self, data: bytes, base: int, source: Source) -> Ingested:
        """Line-by-line: every line gets its offset, so a bad one is kept with its reason."""
        fmt, source_id = FORMATS[source.kind], source.id
        offsets: list[int] = []
        texts: list[str] = []
        rejects: list[tuple[int, int, str, str]] = []
        limit = self.settings.max_line_bytes
        pos = 0
        for raw in data.split(b"\n")[:-1]:
            off = base + pos
            pos += len(raw) + 1
            line = raw.strip()
            if not line:
                continue
            if len(raw) > limit:
                rejects.append((off, len(raw), f"line of {len(raw)} bytes is over the {limit}-byte limit",
                                _excerpt(raw)))
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                rejects.append((off, len(raw), "not UTF-8 text", _excerpt(raw)))
                continue
            offsets.append(off)
            texts.append(text)
        rows = 0
        if texts:
            frame = pl.DataFrame({"line_offset": offsets, "line": texts},
                                 schema={"line_offset": pl.UInt64, "line": pl.String})
            self.con.register("pw_lines", frame)
            try:
                # One parse into one temp table; then the good rows in, and the bad ones out
                # only when some line was bad (each statement costs ~1 ms on a one-line append).
                self.con.execute(f"""CREATE OR REPLACE TEMP TABLE pw_checked AS
                    WITH j AS (
                        SELECT line_offset, line, json_valid(line) AS ok FROM pw_lines
                    ), t AS (
                        SELECT *, CASE WHEN ok THEN json_type(line::JSON) END AS jtype FROM j
                    ), r AS (
                        SELECT line_offset, line, ok, jtype,
                            CASE WHEN jtype = 'OBJECT'
                                THEN json_transform(line, '{json.dumps(fmt.columns)}') END AS rec
                        FROM t
                    ), parsed AS (
                        SELECT line_offset, line, rec.*, CASE
                            WHEN NOT ok THEN 'not valid JSON'
                            WHEN jtype <> 'OBJECT' THEN 'not a JSON object'
                        END AS pre_reason
                        FROM r
                    )
                    SELECT *, coalesce(pre_reason, {fmt.reason_sql}) AS reason FROM parsed""")
                rows = self.con.execute(f"""{fmt.insert_sql}
                    SELECT {source_id}, {fmt.projection_sql} FROM pw_checked
                    WHERE reason IS NULL ORDER BY line_offset""").fetchall()[0][0]
                if rows < len(texts):
                    rejects.extend(self.con.execute(
                        "SELECT line_offset, octet_length(encode(line)), reason, left(line, ?) "
                        "FROM pw_checked WHERE reason IS NOT NULL ORDER BY line_offset",
                        [EXCERPT_CHARS],
                    ).fetchall())
            finally:
                self.con.unregister("pw_lines")
                self.con.execute("DROP TABLE IF EXISTS pw_checked")
        self.add_rejects([(source_id, *r) for r in rejects])
        return Ingested(rows, len(rejects))

    # -- prices ------------------------------------------------------------------------------

    def _pricing_fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = self._compute_fingerprint()
        return self._fingerprint

    def _compute_fingerprint(self) -> str:
        s = self.settings
        blob = json.dumps(
            [genai_prices_version(), {k: v.model_dump() for k, v in s.prices.items()},
             s.model_aliases, s.provider_aliases, s.timezone],
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def mark(self) -> int:
        """A bookmark: rows inserted after it are new to ``settle``."""
        return first(self.con.execute("SELECT coalesce(max(rowid), -1) FROM usage"))[0]

    def settle(self, mark: int) -> None:
        """After an ingest: price new models and roll up the hours the new rows touched."""
        if self.refresh_prices(mark):
            return  # prices changed: everything was rolled up again
        since = first(self.con.execute("SELECT min(ts) FROM usage WHERE rowid > ?", [mark]))[0]
        if since is not None:
            self.refresh_rollup(since)

    def refresh_rollup(self, since: dt.datetime | None = None) -> None:
        """Recompute ``usage_hourly`` for the local hours from ``since`` on (all when None)."""
        start = "date_trunc('hour', $since::TIMESTAMPTZ)"
        where, old = ("true", "true") if since is None else (f"ts >= {start}", f"hour >= {start}")
        params = {} if since is None else {"since": since}
        with self.transaction():
            self.con.execute(f"DELETE FROM usage_hourly WHERE {old}", params)
            self.con.execute(f"""INSERT INTO usage_hourly
                SELECT date_trunc('hour', ts), provider, model, workload, count(*), count_if(is_error),
                    count_if(coalesce(cached, false)), count_if(unpriced), sum(input_tokens),
                    sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(tokens),
                    sum(cost_usd), sum(cache_saved_usd),
                    count(*) FILTER (NOT coalesce(cached, false) AND NOT is_error),
                    coalesce(sum(tokens) FILTER (NOT coalesce(cached, false) AND NOT is_error), 0),
                    coalesce(sum(cost_usd) FILTER (NOT coalesce(cached, false) AND NOT is_error), 0),
                    coalesce(source_agent, '{LEDGER_AGENT}')
                FROM usage_v WHERE {where} GROUP BY ALL""", params)

    def refresh_prices(self, mark: int | None = None) -> bool:
        """Price every (provider, model) seen (after ``mark``, when only those rows are new);
        start over when prices, overrides or the time zone changed (then the rollup is rebuilt
        too, and this returns True)."""
        fingerprint = self._pricing_fingerprint()
        new_rows = "true" if mark is None else f"rowid > {int(mark)}"
        if mark is not None and self._priced_as == fingerprint:
            # This process priced the store already: only a (provider, model) it has not seen
            # needs the work below. Most catch-ups bring none, and skip it (~10 ms at 1M rows).
            raw = self.con.execute(f"SELECT DISTINCT provider_raw, model FROM usage WHERE {new_rows}").fetchall()
            if self._priced_raw.issuperset(raw):
                return False
        row = first(self.con.execute("SELECT value FROM meta WHERE key = 'pricing'"))
        aliases = {**PROVIDER_ALIASES, **{k.lower(): v for k, v in self.settings.provider_aliases.items()}}
        reset = row is None or row[0] != fingerprint
        if reset:
            new_rows = "true"
        with self.transaction():
            if reset:
                self.con.execute("DELETE FROM prices")
                self.con.execute("DELETE FROM priced_keys")
                self.con.execute("DELETE FROM provider_aliases")
                self.con.executemany("INSERT INTO provider_aliases VALUES (?, ?)", list(aliases.items()))
                self.con.execute("INSERT OR REPLACE INTO meta VALUES ('pricing', ?)", [fingerprint])
            missing = self.con.execute(
                f"""SELECT DISTINCT provider, model
                   FROM (SELECT DISTINCT provider_raw, model FROM usage WHERE {new_rows}) u
                   CROSS JOIN LATERAL (SELECT coalesce(
                        (SELECT provider FROM provider_aliases WHERE raw = lower(u.provider_raw)),
                        lower(u.provider_raw), 'unknown') AS provider)
                   ANTI JOIN priced_keys k USING (provider, model)"""
            ).fetchall()
            for provider, model in missing:
                rows = rate_rows(provider, model, self.settings.prices, self.settings.model_aliases)
                if rows:
                    self.con.executemany(
                        "INSERT INTO prices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [tuple(vars(r).values()) for r in rows],
                    )
                self.con.execute("INSERT INTO priced_keys VALUES (?, ?, ?)", [provider, model, bool(rows)])
            self._priced_raw.update(
                self.con.execute(f"SELECT DISTINCT provider_raw, model FROM usage WHERE {new_rows}").fetchall())
        self._priced_as = fingerprint
        if reset:
            self.refresh_rollup()
        return reset

    def meta(self, key: str) -> str | None:
        row = first(self.con.execute("SELECT value FROM meta WHERE key = ?", [key]))
        return row[0] if row else None


def _may_hold_long_line(path: Path, start: int, end: int, limit: int) -> bool:
    """Whether [start, end) might hold a line longer than ``limit`` bytes, in microseconds.

    Such a line covers at least one whole aligned block of ``limit // 2`` bytes, so a newline in
    every block rules it out. A block without one only means: go line by line and measure.
    """
    half = max(limit // 2, 1)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        block = (start // half + 1) * half
        while block + half <= end:
            if mm.find(b"\n", block, block + half) < 0:
                return True
            block += half
    return False


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_CHARS].decode("utf-8", errors="replace")


def _pread(path: Path, start: int, end: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        pos = start
        while pos < end:
            block = os.pread(fd, min(end - pos, 16 << 20), pos)
            if not block:
                break
            parts.append(block)
            pos += len(block)
        return b"".join(parts)
    finally:
        os.close(fd)


def _chunks(path: Path, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """Ranges of about ``size`` bytes, each ending just after a newline."""
    fd = os.open(path, os.O_RDONLY)
    try:
        lo = start
        while lo < end:
            hi = min(lo + size, end)
            if hi < end:
                window = os.pread(fd, min(end - hi, 1 << 20), hi)
                nl = window.find(b"\n")
                while nl < 0 and hi + len(window) < end:  # a very long line: look further
                    hi += len(window)
                    window = os.pread(fd, min(end - hi, 1 << 20), hi)
                    nl = window.find(b"\n")
                hi = hi + nl + 1 if nl >= 0 else end
            yield lo, hi
            lo = hi
    finally:
        os.close(fd)
