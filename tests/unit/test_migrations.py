"""A store written before agents and subagents were named apart (schema 6) migrates itself: ledger rows
keep everything, their pack member becomes the subagent of ``code-puppy``; other agents' rows are read
again from their logs (their readers now count more), and events split the same way."""

from __future__ import annotations

from pathlib import Path

import duckdb

from collectors.sources import catch_up_all
from ledger.settings import Settings, load_settings
from ledger.store import Store
from ledger.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import append, line
from tests.support.agent_lines import append as append_log
from tests.support.agent_lines import claude


def _old_store(path: Path, upto: int = 6) -> None:
    con = duckdb.connect(str(path))
    for v in range(1, upto + 1):
        con.execute(MIGRATIONS[v])
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(v)])
    con.execute("""INSERT INTO sources (kind, path, "offset") VALUES ('usage', '/gone/usage.jsonl', 100),
                   ('claude-code', '/home/me/.claude/projects/p/s.jsonl', 500)""")
    con.execute("""INSERT INTO usage (source_id, ts, provider_raw, model, input_tokens, output_tokens,
                       cache_read_tokens, cache_write_tokens, agent, session)
                   VALUES (1, '2026-11-20 10:00:00+00', 'cerebras', 'glm-4.7', 10, 2, 0, 0, 'husky', 's')""")
    con.execute("""INSERT INTO usage (source_id, ts, provider_raw, model, input_tokens, output_tokens,
                       cache_read_tokens, cache_write_tokens, source_agent, dedup_key)
                   VALUES (2, '2026-11-20 10:00:00+00', 'anthropic', 'claude-sonnet-4-5', 5, 5, 0, 0,
                           'claude-code', 'm1\x1fr1')""")
    con.execute("INSERT INTO agent_keys VALUES ('claude-code', 'm1', 'r1', false, 10, 'm1\x1fr1')")
    con.execute("""INSERT INTO events (source_id, ts, kind, agent) VALUES
                   (1, '2026-11-20 10:00:00+00', 'failover', 'husky'),
                   (1, '2026-11-20 10:00:01+00', 'error', 'code-puppy'),
                   (1, '2026-11-20 10:00:02+00', 'blocked', 'claude-code')""")
    con.close()


def test_an_old_store_migrates_and_reads_other_agents_again(tmp_path: Path, settings: Settings) -> None:
    db = tmp_path / "old.duckdb"
    _old_store(db)
    settings = load_settings(ledgers=settings.ledgers, db=db, timezone="UTC")
    with Store.open(settings) as store:
        con = store.con
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert con.execute("SELECT agent, subagent, model, input_tokens FROM usage").fetchall() == [
            ("code-puppy", "husky", "glm-4.7", 10)]  # the Claude Code row goes: its file is read again
        assert con.execute("SELECT kind FROM sources ORDER BY id").fetchall() == [("usage",)]
        assert con.execute("SELECT count(*) FROM agent_keys").fetchone() == (0,)
        assert con.execute("SELECT kind, agent, subagent FROM events ORDER BY ts").fetchall() == [
            ("failover", "code-puppy", "husky"), ("error", "code-puppy", None), ("blocked", "claude-code", None)]
        assert con.execute("SELECT DISTINCT agent FROM usage_hourly").fetchall() == [("code-puppy",)]
        # new rows go on as they should: a ledger line and a Claude Code response
        append(settings.ledgers[0], line(agent="terrier"))
        append_log(Path.home() / ".claude" / "projects" / "p" / "s.jsonl", claude(thinking=40, cache_write=9,
                                                                                    cache_1h=4))
        catch_up_all(store, settings)
        assert con.execute("""SELECT agent, subagent, reasoning_tokens, cache_write_1h_tokens FROM usage
                              ORDER BY agent, subagent""").fetchall() == [
            ("claude-code", None, 40, 4), ("code-puppy", "husky", None, None), ("code-puppy", "terrier", None, None)]
