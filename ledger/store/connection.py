"""The store's connection: DuckDB, its schema and migrations, and what it knows of each file.

One connection per store; threads take their own ``cursor()``. Reading lines is ``ingest``'s job,
pricing ``prices``', the hourly rollup ``rollup``'s; this module keeps the per-file bookkeeping
(``sources``) that makes every ingest exactly-once.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..secrets import NAME_PREFILTER_SQL, PREFILTER_SQL, excerpt_of, scrub, scrub_json
from ..settings import Settings
from .files import fingerprint, first_line
from .schema import MIGRATIONS, SCHEMA_VERSION

HEAD_BYTES = 4096
"""A file is known by its first line (up to this many bytes): files that share their first 64 bytes are
common (a ledger's lines all begin alike), their first lines are not."""


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


class NotAStore(StoreError):
    """``--db`` names a file that is no DuckDB database but text (a ledger, a report): bad usage, and
    ``rebuild`` leaves it where it is."""


STORE_SUFFIXES = (".duckdb", ".db", ".ddb")
DUCKDB_MAGIC = b"DUCK"
"""Bytes 8 to 12 of every DuckDB database file."""


def check_not_text(path: Path) -> None:
    """``NotAStore`` when ``path``, not named like a store, holds something other than a DuckDB file that
    reads as text. DuckDB itself would open a ``.csv`` or ``.jsonl`` as a database of one view and fail
    later, obscurely."""
    if path.suffix in STORE_SUFFIXES:
        return  # a damaged store, whatever it holds now: `rebuild` keeps it aside
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return  # missing (a new store) or unreadable: DuckDB says which
    if not head or head[8:12] == DUCKDB_MAGIC:
        return
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # (a cut multi-byte character at the end is still text)
            return  # binary: a damaged store, which `rebuild` keeps aside
    raise NotAStore(f"{path} is not a packwatch store but a text file (a ledger or a report?): "
                    "pass --db a store's path (default ~/.local/share/packwatch/usage.duckdb)")


class StoreTrouble(StoreError):
    """The store failed under us (a full disk, a read-only or vanished folder): what was committed is
    kept, and once the cause is gone the store is opened again and reading resumes where it stopped."""


_TROUBLES = (
    ("no space left on device", "the disk holding {db} is full: what was read is kept; free some space and "
                                "packwatch resumes where it stopped"),
    ("database has been invalidated", "the store {db} stopped after an earlier error (a full disk?); free "
                                      "space and packwatch reopens it"),
    ("read-only file system", "cannot write the store {db}: its file system is read-only; pass --db"),
    ("permission denied", "cannot write the store {db}: permission denied; fix its permissions or pass --db"),
)


def trouble(exc: BaseException, db: Path | None) -> StoreTrouble | None:
    """A DuckDB failure a user can act on, as one line; None for anything else."""
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).lower()
    for needle, message in _TROUBLES:
        if needle in text:
            return StoreTrouble(message.format(db=db or "in memory"))
    return None


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
    tail: bytes = b""
    """The last bytes before ``offset`` as read: a file whose bytes there changed was rewritten."""
    replaces: list[int] = field(default_factory=list)
    """Sources whose file this one replaced (an editor's save), and theirs: its lines may be theirs."""


@dataclass
class Ingested:
    rows: int = 0
    rejected: int = 0

    def __iadd__(self, other: Ingested) -> Ingested:
        self.rows += other.rows
        self.rejected += other.rejected
        return self


def first(result: duckdb.DuckDBPyConnection) -> tuple | None:
    """The first row, with the result consumed (DuckDB 2 refuses new work while one is open)."""
    rows = result.fetchall()
    return rows[0] if rows else None


_LOCK_PID = re.compile(r"PID (\d+)")
_SOURCE_COLUMNS = 'id, kind, path, dev, inode, head, "offset", lines, rejected, active, tail, replaces'


def _source(row: tuple) -> Source:
    return Source(*row[:5], bytes(row[5] or b""), *row[6:10], bytes(row[10] or b""), list(row[11] or []))


class Connection:
    """One DuckDB connection to the store, with the bookkeeping every write shares: transactions,
    what is known of each file (``sources``), rejected lines, probes. ``Store`` adds opening,
    ingest and settling on top."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, settings: Settings):
        self.con = con
        self.path = path
        self.settings = settings
        self.tmpdir = Path(tempfile.mkdtemp(prefix="packwatch-"))
        self.fingerprint: str | None = None  # the settings cannot change while the store is open
        self.priced_as: str | None = None
        self.priced_raw: set[tuple[str | None, str]] = set()  # (provider_raw, model) priced

    def configure(self) -> None:
        self.con.execute(f"SET TimeZone = '{self.settings.timezone}'")
        # Parallel inserts: ~1.3x faster cold ingest; order comes from ts, not insertion.
        self.con.execute("SET preserve_insertion_order = false")

    def secrets_pattern(self, names: bool = False) -> str:
        """The SQL (RE2) pattern of texts that might hold a secret (``ledger.secrets``), known keys too;
        ``names``: the narrower one for names and ids."""
        return (NAME_PREFILTER_SQL if names else PREFILTER_SQL) + "".join(
            "|" + re.escape(k) for k in self.settings.secrets())

    def scrub_rows(self, table: str, texts: tuple[str, ...], names: tuple[str, ...] = ()) -> None:
        """Mask secrets in the ``texts`` columns (free text) and ``names`` columns (names and ids) of a temp
        table, before its rows are copied into the store: a value written to a stored table, even if updated
        in the same transaction, would reach the WAL. A cheap SQL pattern picks the few texts the Python
        scrubber must read. Each pattern costs ~2 ms to compile per expression, so one query first asks it
        of each row's columns of a kind joined (a column's match is the joined text's: no pattern is
        anchored); only when some row matched is each column asked on its own."""
        kinds = [(cols, name) for cols, name in ((texts, "secrets"), (names, "names")) if cols]
        def texts_of(cols: tuple[str, ...]) -> str:
            return ", ".join(f'"{c}"::VARCHAR' for c in cols)

        joined = " OR ".join(f"regexp_matches(concat_ws(chr(10), {texts_of(cols)}), ${name})" for cols, name in kinds)
        patterns = {name: self.secrets_pattern(names=name == "names") for _, name in kinds}
        if not kinds or not first(self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {joined})",
                                                   patterns))[0]:
            return
        for column in texts:
            self._scrub_column(table, column)
        for column in names:
            self._scrub_column(table, column, names=True)

    def _scrub_column(self, table: str, column: str, names: bool = False) -> None:
        known = self.settings.secrets()
        found = self.con.execute(
            f'SELECT rowid, "{column}"::VARCHAR FROM {table} WHERE regexp_matches("{column}"::VARCHAR, ?)',
            [self.secrets_pattern(names)]).fetchall()
        json_column = column == "detail"
        changed = [(clean, rowid) for rowid, text in found
                   if (clean := (scrub_json(text, known) if json_column else scrub(text, known))) != text]
        if changed:
            cast = "::JSON" if json_column else ""
            self.con.executemany(f'UPDATE {table} SET "{column}" = ?{cast} WHERE rowid = ?', changed)

    def table_mark(self, table: str) -> int:
        """The last rowid of ``table``: rows inserted after it are this ingest's."""
        return first(self.con.execute(f"SELECT coalesce(max(rowid), -1) FROM {table}"))[0]

    def add_rejects(self, rows: list[tuple]) -> None:
        """Lines that are not records, kept for ``packwatch rejected``: (source id, line offset, line
        bytes, reason, excerpt) each, the excerpt's secrets masked. Inside the caller's transaction,
        with its offsets."""
        if rows:
            known = self.settings.secrets()
            self.con.executemany(
                "INSERT INTO rejected (source_id, line_offset, line_bytes, reason, excerpt) VALUES (?, ?, ?, ?, ?)",
                [(*r[:4], excerpt_of(r[4], known)) for r in rows])

    def migrate(self) -> None:
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
        # Numbered migrations in order; a number may be missing while parallel branches are merged.
        for v in sorted(n for n in MIGRATIONS if n > version):
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
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self) -> Connection:
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

    def meta(self, key: str) -> str | None:
        row = first(self.con.execute("SELECT value FROM meta WHERE key = ?", [key]))
        return row[0] if row else None

    # -- sources -----------------------------------------------------------------------------

    def sources(self, kind: str, *, active_only: bool = True) -> list[Source]:
        rows = self.con.execute(
            f"""SELECT {_SOURCE_COLUMNS} FROM sources WHERE kind = ? AND (active OR NOT ?) ORDER BY id""",
            [kind, active_only],
        ).fetchall()
        return [_source(r) for r in rows]

    def active_sources(self, kinds: tuple[str, ...] | None = None) -> dict[str, dict[str, Source]]:
        """Every active source (of ``kinds``, when given) by kind, then path: one query for a whole pass."""
        out: dict[str, dict[str, Source]] = {}
        where = "active" if kinds is None else "active AND list_contains(?, kind)"
        rows = self.con.execute(f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE {where} ORDER BY id",
                                [] if kinds is None else [list(kinds)]).fetchall()
        for r in rows:
            out.setdefault(r[1], {})[r[2]] = _source(r)
        return out

    def source_stamps(self, kind: str) -> dict[str, tuple[int, int, int]]:
        """path -> (device, inode, offset) of each active source of ``kind``: all a catch-up needs to see
        that a file has nothing new (thousands of session files: no ``Source`` built for each)."""
        rows = self.con.execute('SELECT path, dev, inode, "offset" FROM sources WHERE active AND kind = ?',
                                [kind]).fetchall()
        return {r[0]: r[1:] for r in rows}

    def add_source(self, kind: str, path: str, dev: int, inode: int, head: bytes,
                   replaces: list[int] | None = None) -> Source:
        """A new file generation; ``head`` (its first bytes) is kept as a fingerprint only."""
        head = fingerprint(first_line(head))
        row = first(self.con.execute(
            """INSERT INTO sources (kind, path, dev, inode, head, replaces) VALUES (?, ?, ?, ?, ?, ?)
               RETURNING id""",
            [kind, path, dev, inode, head, replaces or None],
        ))
        return Source(row[0], kind, path, dev, inode, head, 0, 0, 0, True, b"", list(replaces or []))

    def update_source(self, source: Source, **fields: object) -> None:
        """Set fields outside an ingest (a rotated file's new path, retirement, a restart)."""
        sets = ", ".join(f'"{k}" = ?' for k in fields)
        self.con.execute(
            f"UPDATE sources SET {sets}, updated_at = now() WHERE id = ?", [*fields.values(), source.id]
        )
        for k, v in fields.items():
            setattr(source, k, v)

    def advance(self, source: Source, end: int, head: bytes, rows: int, rejected: int) -> None:
        """Move ``source``'s offset to ``end``, inside the transaction that stored its rows."""
        head = fingerprint(first_line(head))
        self.con.execute(
            """UPDATE sources SET "offset" = ?, head = ?, lines = lines + ?, rejected = rejected + ?,
               updated_at = now() WHERE id = ?""",
            [end, head, rows, rejected, source.id],
        )
        source.offset, source.head = end, head
        source.lines += rows
        source.rejected += rejected

    # -- probes and marks ---------------------------------------------------------------------

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

    def mark(self) -> int:
        """A bookmark: rows inserted after it are new to ``settle``."""
        return self.table_mark("usage")

def connect(path: Path | None, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    if path is not None:
        check_not_text(path)
    while True:
        try:
            return duckdb.connect(str(path) if path else ":memory:")
        except duckdb.IOException as exc:
            text = str(exc)
            if "not a valid DuckDB database" in text:
                raise StoreError(f"{path} is not a packwatch store: run `packwatch rebuild` (it keeps the file "
                                 "aside) or pass --db") from exc
            if "lock" not in text.lower():
                raise StoreError(f"cannot open the store {path}: {text.splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                m = _LOCK_PID.search(text)
                raise StoreBusy(path, int(m.group(1)) if m else None) from exc
            time.sleep(0.1)
        except duckdb.Error as exc:
            raise StoreError(
                f"{path} is not a packwatch store ({str(exc).splitlines()[0]}): run `packwatch rebuild` "
                "(it keeps the file aside) or pass --db"
            ) from exc
