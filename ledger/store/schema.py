"""The store's schema, as numbered migrations. The store is a derived index: ``packwatch rebuild``
recreates it from the ledgers, so a migration may also drop and rebuild what it must."""

from __future__ import annotations

from ..scope import KNOWN_AGENTS, LEDGER_AGENT

# Provider mapping and cost are applied when read, so a changed override or alias changes the next
# report without touching the stored rows. Migrations that change a view re-create it (USAGE_V etc.
# below hold the current definitions).
USAGE_V_1 = """CREATE OR REPLACE VIEW usage_v AS
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

_PROGRAMS = ", ".join(f"'{a}'" for a in KNOWN_AGENTS)
EVENT_AGENT = f"CASE WHEN {{raw}} IN ({_PROGRAMS}) THEN {{raw}} ELSE '{LEDGER_AGENT}' END"
"""An event's agent program: its ``agent`` field when that names a program, else Code Puppy's (the
log beside a ledger is Code Puppy's, whose ``agent`` is a pack member)."""
EVENT_SUBAGENT = f"CASE WHEN {{raw}} IN ({_PROGRAMS}) THEN NULL ELSE {{raw}} END"

# The provider a row is priced under: the ledger's (its aliases mapped); for another agent's row whose
# provider genai-prices does not know (Codex's config id "stub", OpenCode's custom providers), the
# provider genai-prices found the model under. The raw value stays in provider_raw.
_MAPPED = "coalesce(pa.provider, lower(u.provider_raw), 'unknown')"

USAGE_V = f"""CREATE OR REPLACE VIEW usage_v AS
    SELECT u.*,
        coalesce(CASE WHEN u.agent <> '{LEDGER_AGENT}' THEN p.priced_provider END, {_MAPPED}) AS provider,
        coalesce(u.cost_usd_given,
            u.input_tokens * p.input_rate + u.output_tokens * p.output_rate
            + u.cache_read_tokens * p.cache_read_rate
            + (u.cache_write_tokens - coalesce(u.cache_write_1h_tokens, 0)) * p.cache_write_rate
            + coalesce(u.cache_write_1h_tokens, 0) * coalesce(p.cache_write_1h_rate, p.cache_write_rate),
            0) AS cost_usd,
        u.cost_usd_given IS NULL AND p.model IS NULL AS unpriced,
        (coalesce(u.error, '') <> '' OR coalesce(u.status, 0) >= 400) AS is_error,
        coalesce(u.cache_read_tokens * (p.input_rate - p.cache_read_rate), 0) AS cache_saved_usd,
        u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens AS tokens
    FROM usage u
    LEFT JOIN provider_aliases pa ON pa.raw = lower(u.provider_raw)
    LEFT JOIN prices p
        ON p.provider = {_MAPPED}
        AND p.model = u.model
        AND u.input_tokens + u.cache_read_tokens + u.cache_write_tokens > p.min_input
        AND u.input_tokens + u.cache_read_tokens + u.cache_write_tokens <= p.max_input;"""

# Without prices; the priced provider of another agent's row comes from priced_keys (one row per
# provider and model), so both views name a row's provider alike.
USAGE_LITE = f"""CREATE OR REPLACE VIEW usage_lite AS
    SELECT u.*, coalesce(k.priced_provider, {_MAPPED}) AS provider,
        (coalesce(u.error, '') <> '' OR coalesce(u.status, 0) >= 400) AS is_error,
        u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens AS tokens
    FROM usage u
    LEFT JOIN provider_aliases pa ON pa.raw = lower(u.provider_raw)
    LEFT JOIN priced_keys k ON u.agent <> '{LEDGER_AGENT}' AND k.provider = {_MAPPED} AND k.model = u.model;"""

EVENTS_V = """CREATE OR REPLACE VIEW events_v AS
    SELECT e.*, coalesce(pa.provider, lower(e.provider_raw)) AS provider
    FROM events e LEFT JOIN provider_aliases pa ON pa.raw = lower(e.provider_raw);"""

# Every row names its agent program (the ledger's rows: Code Puppy) and who inside it made the request.
USAGE = f"""CREATE TABLE usage_8 (
        source_id INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        provider_raw VARCHAR,
        model VARCHAR NOT NULL,
        input_tokens BIGINT NOT NULL,       -- billed at the plain input rate (no cached or cache-write tokens)
        output_tokens BIGINT NOT NULL,      -- reasoning included
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        kind VARCHAR,                       -- the request's kind; 'unlogged': only the agent's own totals held it
        session VARCHAR,
        latency_ms BIGINT,
        cached BOOLEAN,
        error VARCHAR,
        status INTEGER,
        cost_usd_given DOUBLE,              -- a writer's own cost, which wins over our price
        subagent VARCHAR,                   -- who inside the agent (a pack member, a Claude Code subagent)
        workload VARCHAR,
        request_id VARCHAR,
        agent VARCHAR NOT NULL DEFAULT '{LEDGER_AGENT}',  -- the agent program
        project VARCHAR,                    -- the agent's working folder
        reasoning_tokens BIGINT,            -- part of output_tokens, shown apart
        dedup_key VARCHAR,                  -- which response this row is a copy of
        cache_write_1h_tokens BIGINT        -- of cache_write_tokens, the 1-hour writes
    );"""

USAGE_HOURLY = """CREATE TABLE usage_hourly (
        hour TIMESTAMPTZ NOT NULL, provider VARCHAR, model VARCHAR, workload VARCHAR, agent VARCHAR NOT NULL,
        requests BIGINT, errors BIGINT, cached BIGINT, unpriced BIGINT,
        input_tokens BIGINT, output_tokens BIGINT, cache_read_tokens BIGINT,
        cache_write_tokens BIGINT, reasoning_tokens BIGINT, tokens BIGINT, cost_usd DOUBLE, cache_saved_usd DOUBLE,
        served BIGINT, served_tokens BIGINT, served_cost_usd DOUBLE  -- uncached, successful
    );"""

USAGE_RECENT = """CREATE TABLE usage_recent (
        ts TIMESTAMPTZ NOT NULL, provider VARCHAR, model VARCHAR, agent VARCHAR NOT NULL, subagent VARCHAR,
        session VARCHAR, workload VARCHAR, latency_ms BIGINT, cached BOOLEAN, error VARCHAR, status INTEGER,
        is_error BOOLEAN, tokens BIGINT, cost_usd DOUBLE, input_tokens BIGINT, output_tokens BIGINT,
        cache_read_tokens BIGINT, cache_write_tokens BIGINT
    );"""

# Copies of one response are resolved through agent_keys (one row per stored copy), not a unique
# index on usage: the ledger's cold ingest pays nothing for them.
AGENT_KEYS = """CREATE TABLE agent_keys (
        agent VARCHAR NOT NULL,
        message_id VARCHAR NOT NULL,  -- copies of one response share it
        copy_id VARCHAR NOT NULL,     -- tells distinct responses under one message id apart
        replay BOOLEAN NOT NULL,      -- a replay (a sidechain's copy) matches any copy of its message
        tokens BIGINT NOT NULL,
        dedup_key VARCHAR NOT NULL    -- the stored row's usage.dedup_key
    );"""

# What an agent itself counted for a whole session, per model (Claude Code's cost-state lines):
# cumulative, one row per such line, so the latest says what the session used in all.
AGENT_TOTALS = """CREATE TABLE agent_totals (
        agent VARCHAR NOT NULL,
        session VARCHAR NOT NULL,
        source_id INTEGER NOT NULL,
        line_offset UBIGINT NOT NULL,  -- the line's place in its file: later lines supersede
        ts TIMESTAMPTZ NOT NULL,       -- the last time the file showed before the line
        model VARCHAR NOT NULL,
        input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL, cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL, cache_write_1h_tokens BIGINT NOT NULL,
        reasoning_tokens BIGINT NOT NULL, cost_usd DOUBLE
    );"""

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
    {USAGE_V_1}
    """,
    # v2: the view also says what the prompt cache saved, for the Cache pane.
    2: f"""
    {USAGE_V_1}
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
    # v7: the bytes just before a source's offset, so a file rewritten to more than its old size is
    # still seen as rewritten (collectors/reading.py); first and last bytes are kept as fingerprints
    # from now on, never as the bytes themselves (a first line may hold a secret): old heads go.
    7: """
    ALTER TABLE sources ADD COLUMN tail BLOB;
    ALTER TABLE sources ADD COLUMN replaces INTEGER[];  -- sources whose file this one replaced
    UPDATE sources SET head = NULL;
    """,
    # v8: agents and subagents named apart (DESIGN.md): ``agent`` is the program that made the request
    # (``code-puppy`` for the ledgers), ``subagent`` who inside it (a pack member, a Claude Code
    # subagent). The other agents' rows are read again from their logs: their readers now count
    # cache writes (Codex), 1-hour cache writes, reasoning, latency and the calls only the agent's own
    # session totals hold (Claude Code's cost-state).
    8: f"""
    DROP VIEW usage_v;
    DROP VIEW usage_lite;
    {USAGE}
    INSERT INTO usage_8 SELECT source_id, ts, provider_raw, model, input_tokens, output_tokens, cache_read_tokens,
        cache_write_tokens, kind, session, latency_ms, cached, error, status, cost_usd_given, agent, workload,
        request_id, '{LEDGER_AGENT}', project, reasoning_tokens, dedup_key, NULL
    FROM usage WHERE source_agent IS NULL;
    DROP TABLE usage;
    ALTER TABLE usage_8 RENAME TO usage;
    DELETE FROM rejected WHERE source_id IN (SELECT id FROM sources WHERE kind IN ('claude-code', 'codex'));
    DELETE FROM sources WHERE kind IN ('claude-code', 'codex');
    DROP TABLE agent_keys;
    {AGENT_KEYS}
    {AGENT_TOTALS}
    ALTER TABLE events RENAME COLUMN agent TO subagent;
    ALTER TABLE events ADD COLUMN agent VARCHAR;
    UPDATE events SET agent = {EVENT_AGENT.format(raw="subagent")},
                      subagent = {EVENT_SUBAGENT.format(raw="subagent")};
    DROP TABLE usage_hourly;
    {USAGE_HOURLY}
    ALTER TABLE prices ADD COLUMN cache_write_1h_rate DOUBLE;
    ALTER TABLE prices ADD COLUMN priced_provider VARCHAR;
    ALTER TABLE priced_keys ADD COLUMN priced_provider VARCHAR;
    {USAGE_V}
    {USAGE_LITE}
    {EVENTS_V}
    DELETE FROM meta WHERE key = 'pricing';  -- price (1-hour writes) and roll up everything again
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
    # v10: the alerts sent (ledger/alerts): one row per scope, period and level, so a restart never
    # sends one again; ``delivered`` says where it went (toast, desktop, webhook host) and how.
    10: """
    CREATE TABLE alerts_sent (
        scope VARCHAR NOT NULL,         -- budget:all:daily, quota:claude-code:five_hour, circuit:openai...
        period VARCHAR NOT NULL,        -- the day, month, hour, task or window it counts over
        level VARCHAR NOT NULL,         -- info warning critical exceeded
        ts TIMESTAMPTZ NOT NULL,        -- when it was first sent
        kind VARCHAR NOT NULL,          -- budget tokens quota circuit anomaly
        percent DOUBLE,
        text VARCHAR NOT NULL,
        sent_by VARCHAR,                -- dashboard, collect
        delivered VARCHAR,              -- JSON list of {"to", "where", "result"}
        PRIMARY KEY (scope, period, level)
    );
    """,
    # v11: the team store (ledger/team/): the keys of the rows each team database committed, so a push sends
    # only new rows and removes the ones replaced here; the store's own id, which the team database records.
    11: """
    CREATE TABLE team_pushed (team_id VARCHAR NOT NULL, tbl VARCHAR NOT NULL, key UUID NOT NULL);
    INSERT OR IGNORE INTO meta VALUES ('store_id', uuid()::VARCHAR);
    """,
    # v12: the last day's rows, priced (``usage_recent``, ledger/store/rollup.py): what the overview's trailing
    # windows read instead of pricing the whole table through usage_v. meta 'recent_from': every row from then on
    # is in it. Kept current wherever usage_hourly is.
    12: f"""
    {USAGE_RECENT}
    DELETE FROM meta WHERE key = 'pricing';  -- roll up again: fills usage_recent
    """,
}

SCHEMA_VERSION = max(MIGRATIONS)  # 12
