"""What is pushed of each local table, and how a row is keyed.

A row's key is the MD5 of its content (every pushed column, NULLs told apart from empty texts, times as
epoch microseconds so the zone never changes a key) and its occurrence among identical rows: the same
row is the same key on every push, a rebuilt store gives its rows the same keys again, and two identical
ledger lines stay two rows. The team database is unique on (machine, key): a row pushed twice is stored
once. A row that changes locally (an agent's copy of a response replaced by a fuller one, a session's
unlogged calls rewritten) is a new key, and its old key is deleted from the team database (a tombstone
tells the pulls)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    """(column, PostgreSQL type), in the local table's names; times are TIMESTAMPTZ."""
    where: str = "true"
    sourced: bool = True
    """Whether the local table's rows name the file they came from (``source_id``; a pull stores 0)."""

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def times(self) -> list[str]:
        return [c for c, t in self.columns if t == "timestamptz"]


USAGE = Table("usage", (
    ("ts", "timestamptz"), ("provider_raw", "text"), ("model", "text"), ("input_tokens", "bigint"),
    ("output_tokens", "bigint"), ("cache_read_tokens", "bigint"), ("cache_write_tokens", "bigint"),
    ("kind", "text"), ("session", "text"), ("latency_ms", "bigint"), ("cached", "boolean"), ("error", "text"),
    ("status", "integer"), ("cost_usd_given", "double precision"), ("subagent", "text"), ("workload", "text"),
    ("request_id", "text"), ("agent", "text"), ("project", "text"), ("reasoning_tokens", "bigint"),
    ("dedup_key", "text"), ("cache_write_1h_tokens", "bigint"),
))
EVENTS = Table("events", (
    ("ts", "timestamptz"), ("kind", "text"), ("agent", "text"), ("subagent", "text"), ("session", "text"),
    ("provider_raw", "text"), ("model", "text"), ("detail", "text"),
))
QUOTA = Table("quota_snapshots", (
    ("ts", "timestamptz"), ("agent", "text"), ("session", "text"), ("model", "text"), ("window_name", "text"),
    ("window_minutes", "integer"), ("used_percent", "double precision"), ("resets_at", "timestamptz"),
    ("source", "text"), ("session_cost_usd", "double precision"), ("limit_id", "text"),
))
CONTROLS = Table("control_changes", (
    ("ts", "timestamptz"), ("change_id", "text"), ("who", "text"), ("action", "text"), ("change_key", "text"),
    ("old", "text"), ("new", "text"), ("revision", "bigint"),
))
"""The control channel's audit trail (``controls.jsonl``), loaded into a temporary table before a push."""

PROBES = Table("probes", (
    ("ts", "timestamptz"), ("provider", "text"), ("endpoint", "text"), ("status", "integer"),
    ("latency_ms", "double precision"), ("error_class", "text"), ("message", "text"),
), sourced=False)
"""Provider health probes (messages scrubbed at the door): the team's Providers screen and circuits."""

PUSHED = (USAGE, EVENTS, QUOTA, CONTROLS, PROBES)
PULLED = (USAGE, EVENTS, QUOTA, PROBES)
"""What a pull brings into the local cache, where every view, pane and report reads them."""

_NULL = "chr(0)"


def keyed_sql(table: Table, source: str) -> str:
    """``source``'s rows with their keys (``key`` UUID) and their columns, times as epoch microseconds."""
    parts = ", ".join(
        f"coalesce(epoch_us({c})::VARCHAR, {_NULL})" if t == "timestamptz" else f"coalesce({c}::VARCHAR, {_NULL})"
        for c, t in table.columns)
    cols = ", ".join(f"epoch_us({c}) AS {c}" if t == "timestamptz" else c for c, t in table.columns)
    return f"""SELECT md5(h || '#' || row_number() OVER (PARTITION BY h))::UUID AS key, {cols}
        FROM (SELECT md5(concat_ws(chr(31), {parts})) AS h, * FROM {source} WHERE {table.where})"""
