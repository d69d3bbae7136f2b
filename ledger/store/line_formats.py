"""The line formats packwatch reads (DESIGN.md): the ledger's usage lines, the agent event log, the
status line's quota snapshots. Each is what both ingest paths (``ingest``: read_json's fast path and
the line path) and the rewrite path apply: its columns as read, the SQL that types them, the reason a
line is rejected, where it goes and which texts are scrubbed of secrets first."""

from __future__ import annotations

from dataclasses import dataclass

from ..scope import KNOWN_AGENTS, LEDGER_AGENT
from .schema import EVENT_AGENT, EVENT_SUBAGENT

MAX_TOKENS = 10**10
"""More tokens than this in one field of one request is not a record (the largest context windows hold
about 10**7): such a line would overflow the sums of a report."""
FIRST_DAY, LAST_DAY = "2000-01-01", "2100-01-01"
"""Timestamps outside [2000, 2100) are rejected: DuckDB's date arithmetic fails on the far ones."""
MAX_COST_USD = 1e6
TEXT_CHARS = 2000
"""An error text is stored cut to this many characters (a line is never rejected for its length)."""


@dataclass(frozen=True)
class LineFormat:
    """How one kind of JSON-lines file becomes rows: the fields DuckDB reads, how they are typed (a
    SELECT list over them), why a typed line is not a record (NULL when it is one), and the insert.
    Both ingest paths share it, so they apply the same rules."""

    table: str
    """Where the rows go; its ``text_columns`` (free text) and ``name_columns`` (names and ids, scrubbed by
    the narrower pattern of keys by shape) are scrubbed of secrets before the rows commit."""
    text_columns: tuple[str, ...]
    name_columns: tuple[str, ...]
    columns: dict[str, str]
    typed_sql: str
    reason_sql: str
    insert_sql: str
    projection_sql: str
    duplicate_sql: str = "NULL"
    """Why a good line repeats one already counted (line path; it knows line order), or NULL."""

    def might_hold_secret_sql(self) -> str:
        """Whether a read line's texts may hold a secret (``$secrets``, ``$names``: the store's patterns)."""
        texts = [f'coalesce(regexp_matches("{c}"::VARCHAR, $secrets), false)' for c in self.text_columns]
        names = ", ".join(f'"{c}"' for c in self.name_columns)
        return " OR ".join([*texts, f"regexp_matches(concat_ws(' ', {names}), $names)"])

    def columns_literal(self) -> str:
        return "{" + ", ".join(f"'{k}': '{v}'" for k, v in self.columns.items()) + "}"


TOKEN_FIELDS = ("in", "out", "cache_read", "cache_write")


def _whole(name: str) -> str:
    """A JSON value as BIGINT only when it is a JSON integer (not "100", 1.5 or true, which DuckDB's own
    conversion would accept), else NULL."""
    return f"""CASE WHEN json_type("{name}") IN ('UBIGINT', 'BIGINT') THEN TRY_CAST("{name}" AS BIGINT) END"""


def _token_checks() -> str:
    required = "".join(f"""
    WHEN "{f}" IS NULL THEN 'missing or non-integer {f}'""" for f in ("in", "out"))
    optional = "".join(f"""
    WHEN {f}_type IS NOT NULL AND {f}_type <> 'NULL' AND "{f}" IS NULL THEN 'non-integer {f}'"""
                       for f in ("cache_read", "cache_write"))
    return required + optional


# The ledger's fields as DuckDB reads them. Unknown fields are ignored. Token counts are read as JSON
# and typed by hand (see _whole); other wrong types send the chunk down the line path, where
# json_transform turns them into NULL.
USAGE = LineFormat(
    table="usage", text_columns=("error",),
    name_columns=("provider", "model", "type", "session", "agent", "workload", "request_id"),
    columns={
        "ts": "VARCHAR", "provider": "VARCHAR", "model": "VARCHAR", "in": "JSON", "out": "JSON",
        "type": "VARCHAR", "session": "VARCHAR", "latency": "BIGINT", "cached": "BOOLEAN",
        "error": "VARCHAR", "status": "BIGINT", "cache_read": "JSON", "cache_write": "JSON",
        "cost_usd": "DOUBLE", "agent": "VARCHAR", "workload": "VARCHAR", "request_id": "VARCHAR",
    },
    typed_sql="* REPLACE (" + ", ".join(f'{_whole(f)} AS "{f}"' for f in TOKEN_FIELDS) + "), "
              + "json_type(cache_read) AS cache_read_type, json_type(cache_write) AS cache_write_type, "
              + "TRY_CAST(ts AS TIMESTAMPTZ) AS ts_parsed",
    reason_sql=f"""CASE
    WHEN ts IS NULL THEN 'missing or non-string ts'
    WHEN model IS NULL OR trim(model) = '' THEN 'missing model'{_token_checks()}
    WHEN ts_parsed IS NULL THEN 'unparseable ts'
    WHEN "in" < 0 OR "out" < 0 OR coalesce(cache_read, 0) < 0 OR coalesce(cache_write, 0) < 0
        THEN 'negative token count'
    WHEN greatest("in", "out", coalesce(cache_read, 0), coalesce(cache_write, 0)) > {MAX_TOKENS}
        THEN 'token count out of range (over {MAX_TOKENS:,} in one field)'
    WHEN ts_parsed < TIMESTAMPTZ '{FIRST_DAY}' OR ts_parsed >= TIMESTAMPTZ '{LAST_DAY}'
        THEN 'timestamp out of range (years 2000 to 2099)'
    WHEN cost_usd IS NOT NULL AND (isnan(cost_usd) OR isinf(cost_usd) OR cost_usd < 0 OR cost_usd > {MAX_COST_USD})
        THEN 'cost_usd is not a finite, non-negative amount'
END""",
    # The ledger's ``agent`` is who inside Code Puppy made the request (a pack member): the subagent.
    insert_sql="""INSERT INTO usage (source_id, ts, provider_raw, model, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, kind, session, latency_ms, cached, error,
    status, cost_usd_given, subagent, workload, request_id, agent)""",
    projection_sql=f"""
    ts_parsed, provider, model, "in", "out",
    coalesce(cache_read, 0), coalesce(cache_write, 0), type, session,
    CASE WHEN latency > 0 THEN latency END, cached, left(NULLIF(error, ''), {TEXT_CHARS}), status,
    cost_usd, agent, workload, request_id, '{LEDGER_AGENT}'""",
    # A request id names one request: a second line with it is the same request written again.
    duplicate_sql=f"""CASE WHEN request_id IS NOT NULL AND (
        row_number() OVER (PARTITION BY request_id, reason IS NULL ORDER BY line_offset) > 1
        OR request_id IN (SELECT request_id FROM usage WHERE agent = '{LEDGER_AGENT}' AND request_id IS NOT NULL))
        THEN 'duplicate request_id (counted once)' END""",
)

# The agent event log (DESIGN.md): any kind is kept, so a newer agent's kinds are not lost.
EVENTS = LineFormat(
    table="events", text_columns=("detail",), name_columns=("kind", "agent", "session", "provider", "model"),
    columns={"ts": "VARCHAR", "kind": "VARCHAR", "agent": "VARCHAR", "session": "VARCHAR",
             "provider": "VARCHAR", "model": "VARCHAR", "detail": "JSON"},
    typed_sql="*, TRY_CAST(ts AS TIMESTAMPTZ) AS ts_parsed",
    reason_sql=f"""CASE
    WHEN ts IS NULL THEN 'missing or non-string ts'
    WHEN kind IS NULL OR trim(kind) = '' THEN 'missing kind'
    WHEN ts_parsed IS NULL THEN 'unparseable ts'
    WHEN detail IS NOT NULL AND json_type(detail) <> 'OBJECT' THEN 'detail is not an object'
    WHEN ts_parsed < TIMESTAMPTZ '{FIRST_DAY}' OR ts_parsed >= TIMESTAMPTZ '{LAST_DAY}'
        THEN 'timestamp out of range (years 2000 to 2099)'
END""",
    insert_sql="INSERT INTO events (source_id, ts, kind, agent, subagent, session, provider_raw, model, detail)",
    projection_sql=f"""ts_parsed, kind, {EVENT_AGENT.format(raw="agent")},
    {EVENT_SUBAGENT.format(raw="agent")}, session, provider, model, detail""",
)

# Quota snapshots the Claude Code status line writes (quota.jsonl beside the ledger). ``agent`` is the
# agent program that reported the window (never a subagent); estimates are made when read, never stored.
MAX_WINDOW_MINUTES = 366 * 24 * 60
MAX_PERCENT = 1000.0
_PROGRAMS = ", ".join(f"'{a}'" for a in KNOWN_AGENTS)
QUOTA = LineFormat(
    table="quota_snapshots", text_columns=(), name_columns=("session", "model", "window", "limit_id"),
    columns={"ts": "VARCHAR", "agent": "VARCHAR", "session": "VARCHAR", "model": "VARCHAR", "window": "VARCHAR",
             "window_minutes": "JSON", "used_percent": "DOUBLE", "resets_at": "VARCHAR", "source": "VARCHAR",
             "session_cost_usd": "DOUBLE", "limit_id": "VARCHAR"},
    typed_sql=f"""* REPLACE ({_whole("window_minutes")} AS window_minutes),
        json_type(window_minutes) AS window_minutes_type, TRY_CAST(ts AS TIMESTAMPTZ) AS ts_parsed,
        TRY_CAST(resets_at AS TIMESTAMPTZ) AS resets_parsed""",
    reason_sql=f"""CASE
    WHEN ts IS NULL THEN 'missing or non-string ts'
    WHEN agent IS NULL OR trim(agent) = '' THEN 'missing agent'
    WHEN agent NOT IN ({_PROGRAMS}) THEN 'agent is not an agent program ({", ".join(KNOWN_AGENTS)})'
    WHEN ts_parsed IS NULL THEN 'unparseable ts'
    WHEN ts_parsed < TIMESTAMPTZ '{FIRST_DAY}' OR ts_parsed >= TIMESTAMPTZ '{LAST_DAY}'
        THEN 'timestamp out of range (years 2000 to 2099)'
    WHEN "window" IS NOT NULL AND used_percent IS NULL THEN 'missing or non-numeric used_percent'
    WHEN used_percent IS NOT NULL AND (isnan(used_percent) OR isinf(used_percent) OR used_percent < 0
                                       OR used_percent > {MAX_PERCENT})
        THEN 'used_percent is not a percentage (0 to {MAX_PERCENT:g})'
    WHEN window_minutes_type IS NOT NULL AND window_minutes_type <> 'NULL' AND window_minutes IS NULL
        THEN 'non-integer window_minutes'
    WHEN window_minutes <= 0 OR window_minutes > {MAX_WINDOW_MINUTES}
        THEN 'window_minutes out of range (1 to {MAX_WINDOW_MINUTES:,})'
    WHEN resets_at IS NOT NULL AND resets_parsed IS NULL THEN 'unparseable resets_at'
    WHEN resets_parsed < TIMESTAMPTZ '{FIRST_DAY}' OR resets_parsed >= TIMESTAMPTZ '{LAST_DAY}'
        THEN 'resets_at out of range (years 2000 to 2099)'
    WHEN session_cost_usd IS NOT NULL AND (isnan(session_cost_usd) OR isinf(session_cost_usd)
                                           OR session_cost_usd < 0 OR session_cost_usd > {MAX_COST_USD})
        THEN 'session_cost_usd is not a finite, non-negative amount'
    WHEN coalesce(source, 'agent') <> 'agent' THEN 'source is not agent (estimates are never stored)'
END""",
    insert_sql="""INSERT INTO quota_snapshots (source_id, ts, agent, session, model, window_name, window_minutes,
    used_percent, resets_at, source, session_cost_usd, limit_id)""",
    projection_sql=f"""ts_parsed, agent, left(session, {TEXT_CHARS}), left(model, {TEXT_CHARS}),
    left("window", {TEXT_CHARS}), window_minutes, used_percent, resets_parsed, 'agent', session_cost_usd,
    left(limit_id, {TEXT_CHARS})""",
)

FORMATS: dict[str, LineFormat] = {"usage": USAGE, "events": EVENTS, "quota": QUOTA}
