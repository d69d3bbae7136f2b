"""The store's schema, as numbered migrations. The store is a derived index: ``packwatch rebuild``
recreates it from the ledgers, so a migration may also drop and rebuild what it must."""

from __future__ import annotations

# Provider mapping and cost are applied when read, so a changed override or alias changes the next
# report without touching the stored rows. One definition; migrations that change it re-create it.
USAGE_V = """CREATE OR REPLACE VIEW usage_v AS
    SELECT u.*,
        coalesce(pa.provider, lower(u.provider_raw), 'unknown') AS provider,
        coalesce(u.cost_usd_given,
            u.input_tokens * p.input_rate + u.output_tokens * p.output_rate
            + u.cache_read_tokens * p.cache_read_rate + u.cache_write_tokens * p.cache_write_rate,
            0) AS cost_usd,
        u.cost_usd_given IS NULL AND p.model IS NULL AS unpriced,
        (coalesce(u.error, '') <> '' OR coalesce(u.status, 0) >= 400) AS is_error,
        coalesce(u.cache_read_tokens * (p.input_rate - p.cache_read_rate), 0) AS cache_saved_usd,
        u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens AS tokens
    FROM usage u
    LEFT JOIN provider_aliases pa ON pa.raw = lower(u.provider_raw)
    LEFT JOIN prices p
        ON p.provider = coalesce(pa.provider, lower(u.provider_raw), 'unknown')
        AND p.model = u.model
        AND u.input_tokens + u.cache_read_tokens + u.cache_write_tokens > p.min_input
        AND u.input_tokens + u.cache_read_tokens + u.cache_write_tokens <= p.max_input;"""

MIGRATIONS: dict[int, str] = {
    1: f"""
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE SEQUENCE source_ids START 1;
    -- One row per file generation: a rotated file keeps its row, the new file gets a new one.
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY DEFAULT nextval('source_ids'),
        kind VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        dev UBIGINT, inode UBIGINT,
        head BLOB,                      -- first bytes, to notice a file replaced in place
        "offset" UBIGINT NOT NULL DEFAULT 0,
        lines UBIGINT NOT NULL DEFAULT 0,
        rejected UBIGINT NOT NULL DEFAULT 0,
        active BOOLEAN NOT NULL DEFAULT true,
        first_seen TIMESTAMPTZ DEFAULT now(),
        updated_at TIMESTAMPTZ DEFAULT now()
    );
    CREATE TABLE usage (
        source_id INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        provider_raw VARCHAR,
        model VARCHAR NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        kind VARCHAR,
        session VARCHAR,
        latency_ms BIGINT,
        cached BOOLEAN,
        error VARCHAR,
        status INTEGER,
        cost_usd_given DOUBLE,          -- a writer's own cost, which wins over our price
        agent VARCHAR,
        workload VARCHAR,
        request_id VARCHAR
    );
    CREATE TABLE rejected (
        source_id INTEGER NOT NULL,
        line_offset UBIGINT NOT NULL,
        line_bytes UBIGINT NOT NULL,
        reason VARCHAR NOT NULL,
        excerpt VARCHAR,
        seen_at TIMESTAMPTZ DEFAULT now()
    );
    CREATE TABLE provider_aliases (raw VARCHAR PRIMARY KEY, provider VARCHAR NOT NULL);
    CREATE TABLE prices (
        provider VARCHAR, model VARCHAR, min_input BIGINT, max_input BIGINT,
        input_rate DOUBLE, output_rate DOUBLE, cache_read_rate DOUBLE, cache_write_rate DOUBLE,
        source VARCHAR
    );
    CREATE TABLE priced_keys (provider VARCHAR, model VARCHAR, known BOOLEAN);
    {USAGE_V}
    """,
    # v2: the view also says what the prompt cache saved, for the Cache pane.
    2: f"""
    {USAGE_V}
    """,
    # v3: an hourly rollup (local hours), so month and week panes do not re-price every row.
    3: """
    CREATE TABLE usage_hourly (
        hour TIMESTAMPTZ NOT NULL, provider VARCHAR, model VARCHAR, workload VARCHAR,
        requests BIGINT, errors BIGINT, cached BIGINT, unpriced BIGINT,
        input_tokens BIGINT, output_tokens BIGINT, cache_read_tokens BIGINT,
        cache_write_tokens BIGINT, tokens BIGINT, cost_usd DOUBLE, cache_saved_usd DOUBLE,
        served BIGINT, served_tokens BIGINT, served_cost_usd DOUBLE  -- uncached, successful
    );
    -- The view without prices, for panes that need providers and outcomes but not cost.
    CREATE VIEW usage_lite AS
    SELECT u.*, coalesce(pa.provider, lower(u.provider_raw), 'unknown') AS provider,
        (coalesce(u.error, '') <> '' OR coalesce(u.status, 0) >= 400) AS is_error,
        u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens AS tokens
    FROM usage u LEFT JOIN provider_aliases pa ON pa.raw = lower(u.provider_raw);
    DELETE FROM meta WHERE key = 'pricing';  -- rebuild prices and the rollup on next open
    """,
    # v4: the agent event log (events.jsonl beside the ledger), provider-mapped like usage.
    4: """
    CREATE TABLE events (
        source_id INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        kind VARCHAR NOT NULL,
        agent VARCHAR,
        session VARCHAR,
        provider_raw VARCHAR,
        model VARCHAR,
        detail JSON
    );
    CREATE VIEW events_v AS
    SELECT e.*, coalesce(pa.provider, lower(e.provider_raw)) AS provider
    FROM events e LEFT JOIN provider_aliases pa ON pa.raw = lower(e.provider_raw);
    """,
    # v5: other agents' own logs (Claude Code, Codex). Their columns stay NULL on ledger rows, which
    # costs the ledger's cold ingest nothing; no index on usage, for the same reason. Copies of one
    # response are resolved through agent_keys (one row per stored copy), not a unique index.
    5: """
    ALTER TABLE usage ADD COLUMN source_agent VARCHAR;   -- NULL: a usage ledger
    ALTER TABLE usage ADD COLUMN project VARCHAR;        -- the agent's working folder
    ALTER TABLE usage ADD COLUMN reasoning_tokens BIGINT; -- part of output_tokens, shown apart
    ALTER TABLE usage ADD COLUMN dedup_key VARCHAR;      -- which response this row is a copy of
    ALTER TABLE sources ADD COLUMN parser_state VARCHAR; -- JSON a log parser carries across reads
    CREATE TABLE agent_keys (
        source_agent VARCHAR NOT NULL,
        message_id VARCHAR NOT NULL,  -- copies of one response share it
        request_id VARCHAR NOT NULL,
        sidechain BOOLEAN NOT NULL,
        tokens BIGINT NOT NULL,
        dedup_key VARCHAR NOT NULL    -- the stored row's usage.dedup_key
    );
    ALTER TABLE usage_hourly ADD COLUMN source_agent VARCHAR;
    DELETE FROM meta WHERE key = 'pricing';  -- roll the hours up again, now per agent
    """,
    # v6: provider health probes (collectors/probes.py). Messages are scrubbed of keys before
    # they get here; error_class is NULL for a probe that succeeded.
    6: """
    CREATE TABLE probes (
        ts TIMESTAMPTZ NOT NULL,
        provider VARCHAR NOT NULL,
        endpoint VARCHAR,               -- scheme://host/path, never a query string
        status INTEGER,                 -- HTTP status, NULL when no answer came
        latency_ms DOUBLE,
        error_class VARCHAR,            -- timeout refused closed http_4xx auth rate_limited http_5xx other
        message VARCHAR
    );
    """,
    # v9: subscription quota windows as the agents report them: Claude Code's status line (quota.jsonl
    # beside the ledger) and Codex's rollouts (token_count.rate_limits). window_name NULL: a status
    # line snapshot with the session's cost alone (an API-key login reports no windows).
    9: """
    CREATE TABLE quota_snapshots (
        source_id INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,        -- when the agent reported it
        agent VARCHAR NOT NULL,         -- the agent program: claude-code, codex
        session VARCHAR,
        model VARCHAR,
        window_name VARCHAR,            -- five_hour seven_day primary secondary
        window_minutes INTEGER,
        used_percent DOUBLE,
        resets_at TIMESTAMPTZ,
        source VARCHAR NOT NULL,        -- agent (the agent's own number)
        session_cost_usd DOUBLE,        -- the agent's own figure for the session so far
        limit_id VARCHAR                -- Codex's rate-limit family (codex, codex_other...)
    );
    """,
}

SCHEMA_VERSION = max(MIGRATIONS)
