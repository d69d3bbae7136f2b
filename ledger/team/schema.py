"""The team database's schema, as numbered migrations packwatch runs itself (like the local store's),
in its own PostgreSQL schema ``packwatch``.

Every pushed table has the machine and user a row came from, its key (``tables``), unique per machine,
and ``seq``, a server-side sequence a pull reads past. Pushes take one advisory lock around their inserts,
so rows become visible in ``seq`` order: a pull that has seen ``seq`` N never later meets a row below N.
``machines`` holds each machine's high-water mark, written in the transaction that stored its rows."""

from __future__ import annotations

from .tables import CONTROLS, EVENTS, PROBES, QUOTA, USAGE, Table

SCHEMA = "packwatch"
PUSH_LOCK = 7_215_001
"""The advisory lock every push holds while it inserts (``pg_advisory_xact_lock``)."""


def _table(t: Table) -> str:
    cols = ",\n        ".join(f"{c} {typ}" for c, typ in t.columns)
    return f"""
    CREATE TABLE {SCHEMA}.{t.name} (
        seq bigserial NOT NULL,
        machine text NOT NULL,
        user_name text NOT NULL,
        key uuid NOT NULL,
        {cols},
        pushed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (machine, key)
    );
    CREATE UNIQUE INDEX ON {SCHEMA}.{t.name} (seq);  -- what a pull reads past"""


MIGRATIONS: dict[int, str] = {
    1: "\n".join(_table(t) for t in (USAGE, EVENTS, QUOTA, CONTROLS)) + f"""
    -- A row a machine no longer holds (replaced by a fuller copy): pulls delete it from their caches.
    CREATE TABLE {SCHEMA}.tombstones (
        seq bigserial PRIMARY KEY,
        tbl text NOT NULL,
        machine text NOT NULL,
        key uuid NOT NULL,
        deleted_at timestamptz NOT NULL DEFAULT now()
    );
    -- Each machine's high-water mark: what its last committed push stored.
    CREATE TABLE {SCHEMA}.machines (
        machine text PRIMARY KEY,
        user_name text NOT NULL,
        store_id text NOT NULL,
        commits bigint NOT NULL DEFAULT 0,
        rows_stored bigint NOT NULL DEFAULT 0,
        last_seq bigint NOT NULL DEFAULT 0,
        first_push timestamptz NOT NULL DEFAULT now(),
        last_push timestamptz NOT NULL DEFAULT now()
    );
    -- Budgets the team shares: every change kept (who, when); the latest per scope is in force.
    CREATE TABLE {SCHEMA}.budgets (
        seq bigserial PRIMARY KEY,
        scope text NOT NULL,
        daily_usd double precision,
        monthly_usd double precision,
        daily_tokens bigint,
        cleared boolean NOT NULL DEFAULT false,
        who text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
    );
    """,
    2: _table(PROBES),  # provider health probes, pushed since 2026-12-01
}

SCHEMA_VERSION = max(MIGRATIONS)
