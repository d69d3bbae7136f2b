"""Reading an agent's SQLite database (OpenCode's ``opencode.db``) while the agent writes it.

Opened ``file:...?mode=ro`` (never ``immutable=1``: that ignores the ``-wal`` file, where most rows
of a live database are, and reads a state frozen at the last checkpoint), one short read per pass,
so the writer's checkpoints are never held up. A pass that finds the database and its ``-wal``
unchanged (size and modification time) opens nothing. The reader's cursor (``time_updated`` and the
row id, which only grow) is the source's parser state, committed with the rows, so a row is read
again only when the agent updated it — and then its fuller copy replaces the stored one.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from ledger.store import Source, Store, agent_rows
from ledger.store.agent_rows import FileRead

from ..tail import CatchUp
from .base import Database

BUSY_MS = 2000


def stamp(path: Path) -> list[int]:
    """What changes whenever the agent commits: the database's and its ``-wal``'s size and mtime."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            out += [-1, -1]
    return out


def connect_read_only(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=BUSY_MS / 1000,
                          check_same_thread=False)
    con.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    return con


def read_database(store: Store, agent: str, db: Database, known: dict[str, Source], batcher, result: CatchUp) -> None:
    """Bring one database's rows into ``batcher`` (committed with the pass's files)."""
    path = db.path
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        result.errors.append(f"{path}: {exc.strerror or exc}")
        return
    result.agent_files += 1
    source = known.get(str(path))
    if source is not None and (source.dev, source.inode) != (st.st_dev, st.st_ino):
        store.update_source(source, active=False)  # a new database in its place: read it anew
        source = None
    state = agent_rows.parser_states(store, agent).get(source.id) if source is not None else None
    now = stamp(path)
    if state is not None and state.get("stamp") == now:
        return  # nothing committed since the last pass
    if source is None:
        (source,) = agent_rows.add_sources(store, agent, [(str(path), st.st_dev, st.st_ino, b"")])
    try:
        con = connect_read_only(path)
        try:
            parsed = db.reader.read(con, source.id, (state or {}).get("cursor"))
        finally:
            con.close()
    except sqlite3.Error as exc:
        result.errors.append(f"{path}: {exc} (read-only; packwatch tries again on the next pass)")
        return
    result.files += 1
    parsed.state = {"stamp": now, "cursor": parsed.state}
    read = FileRead(source, os.path.getsize(path), b"", rows=len(parsed.rows), rejected=len(parsed.rejects),
                    state=parsed.state)
    batcher.add(read, parsed, 0)
