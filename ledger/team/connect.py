"""Reaching the team database: its libpq URL (``--team``, ``PACKWATCH_TEAM_URL`` or ``[team] url``; the
password from the URL, ``PGPASSWORD`` or ``~/.pgpass``, as libpq finds it), the machine and the user a
push names, and its schema migrated. Every failure is one ``TeamError`` line that names the server by
``safe_url``: the password never reaches a message."""

from __future__ import annotations

import os
import uuid

import psycopg

from ..secrets import safe_url, scrub
from .names import ENV, machine_name, team_url, user_name  # noqa: F401 (their home before names.py)
from .schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION

CONNECT_TIMEOUT_S = 10


class TeamError(Exception):
    """The team database could not be used: one line that says what to do (exit 2 from a command)."""



def shown(url: str) -> str:
    """The URL as messages show it: scheme, host, port and database, never user info or a password."""
    if "://" not in url:  # a libpq keyword string: host=... password=...
        return scrub(" ".join(p for p in url.split() if not p.lower().startswith("password")))
    return safe_url(url)


def _why(exc: BaseException, url: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("connection failed: ")
    for secret in _passwords(url):
        text = text.replace(secret, "****")
    return scrub(text)


def _passwords(url: str) -> list[str]:
    from urllib.parse import parse_qs, unquote, urlsplit

    found = [os.environ.get("PGPASSWORD", "")]
    try:
        parts = urlsplit(url)
        found += [unquote(parts.password or ""), *parse_qs(parts.query).get("password", [])]
    except ValueError:
        pass
    return [p for p in found if len(p) >= 3]


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A connection to the team database with its schema migrated; ``TeamError`` when it cannot be had."""
    try:
        con = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit,
                              application_name="packwatch")
    except psycopg.OperationalError as exc:
        raise TeamError(f"cannot reach the team database {shown(url)}: {_why(exc, url)}; "
                        "check --team (PACKWATCH_TEAM_URL), the password (PGPASSWORD, ~/.pgpass) and the server"
                        ) from None
    except (psycopg.ProgrammingError, ValueError) as exc:
        raise TeamError(f"bad team database URL {shown(url)}: {_why(exc, url)}; "
                        "use postgresql://user@host:port/database") from None
    try:
        migrate(con)
    except psycopg.Error as exc:
        con.close()
        raise TeamError(f"cannot set up the team database {shown(url)}: {_why(exc, url)}") from None
    return con


def migrate(con: psycopg.Connection) -> None:
    """Create or upgrade the ``packwatch`` schema, one migration per transaction, under a lock so two
    machines' first pushes do not both create it."""
    autocommit = con.autocommit
    con.autocommit = False
    try:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(7215000)")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (key text PRIMARY KEY, value text NOT NULL)")
            row = con.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise TeamError(f"the team database was set up by a newer packwatch (team schema {version}); "
                                "upgrade packwatch")
            for v in sorted(n for n in MIGRATIONS if n > version):
                con.execute(MIGRATIONS[v])
                con.execute(f"""INSERT INTO {SCHEMA}.meta VALUES ('schema_version', %s)
                                ON CONFLICT (key) DO UPDATE SET value = excluded.value""", [str(v)])
            con.execute(f"""INSERT INTO {SCHEMA}.meta VALUES ('team_id', %s) ON CONFLICT (key) DO NOTHING""",
                        [str(uuid.uuid4())])
    finally:
        con.autocommit = autocommit


def team_id(con: psycopg.Connection) -> str:
    """The team database's own id (made when its schema was): what a local store's pushed keys belong to."""
    return con.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'team_id'").fetchone()[0]
