"""Claude Code and Codex logs as sources: parsing, de-duplication, tailing, bad lines, settings.

Real files in a temporary HOME, a real DuckDB store, the real catch-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collectors.sources import catch_up_all
from ledger.report.queries import rejected_lines
from ledger.settings import Settings, Sources, load_settings
from ledger.store import Store
from tests.support.agent_lines import (
    SONNET,
    append,
    claude,
    claude_user,
    codex_count,
    codex_meta,
    codex_turn,
    usage,
)

TZ = "Europe/Paris"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return Path(os.environ["HOME"])


@pytest.fixture
def project(home: Path) -> Path:
    """Where Claude Code keeps one project's session logs."""
    return home / ".claude" / "projects" / "-home-me-app"


@pytest.fixture
def sessions(home: Path) -> Path:
    return home / ".codex" / "sessions" / "2026" / "11" / "20"


@pytest.fixture
def agent_settings(tmp_path: Path) -> Settings:
    """No ledger; Claude Code and Codex on auto, found under the test's HOME."""
    return load_settings(ledgers=[tmp_path / "no-ledger" / "usage.jsonl"], db=tmp_path / "store.duckdb",
                         timezone=TZ)


@pytest.fixture
def st(agent_settings: Settings):
    s = Store.open(agent_settings)
    yield s
    s.close()


def run(store: Store, settings: Settings):
    return catch_up_all(store, settings)


def rows(store: Store, agent: str = "claude-code") -> list[tuple]:
    return store.con.execute(
        """SELECT input_tokens, output_tokens, cache_write_tokens, cache_read_tokens FROM usage
           WHERE agent = ? ORDER BY ALL""", [agent]).fetchall()


def sums(store: Store) -> tuple:
    """Token totals from the raw rows and from the hourly rollup, which must agree."""
    raw = store.con.execute("""SELECT count(*), coalesce(sum(input_tokens + output_tokens + cache_read_tokens
        + cache_write_tokens), 0)::BIGINT FROM usage""").fetchone()
    rolled = store.con.execute(
        "SELECT coalesce(sum(requests), 0)::BIGINT, coalesce(sum(tokens), 0)::BIGINT FROM usage_hourly").fetchone()
    assert raw == rolled
    return raw


# -- Claude Code --------------------------------------------------------------------------------


def test_a_response_keeps_its_agent_session_project_model_and_every_token_kind(st, agent_settings, project):
    append(project / "sess-1.jsonl", claude_user() + claude(inp=12, out=34, cache_write=56, cache_read=78,
                                                            costUSD=0.5))
    got = run(st, agent_settings)
    assert (got.rows, got.rejected, got.agent_files) == (1, 0, 1)
    row = st.con.execute("""SELECT agent, session, project, model, provider, input_tokens, output_tokens,
        cache_write_tokens, cache_read_tokens, request_id, cost_usd FROM usage_v""").fetchone()
    assert row == ("claude-code", "sess-1", "/home/me/app", SONNET, "anthropic", 12, 34, 56, 78, "req_1", 0.5)


def test_claude_code_responses_are_priced(st, agent_settings, project):
    append(project / "s.jsonl", claude(inp=1_000_000, out=0))
    run(st, agent_settings)
    cost, unpriced = st.con.execute("SELECT cost_usd, unpriced FROM usage_v").fetchone()
    assert not unpriced and cost == pytest.approx(3.0)  # Sonnet 4: $3 per million input tokens


def test_the_fullest_copy_wins_whatever_the_order(st, agent_settings, project):
    # A streamed response is logged early with a partial output count, then again when complete.
    append(project / "a.jsonl", claude("m1", "r1", out=5) + claude("m1", "r1", out=500) + claude("m1", "r1", out=50))
    append(project / "b.jsonl", claude("m2", "r2", out=700) + claude("m2", "r2", out=7))
    run(st, agent_settings)
    assert rows(st) == [(10, 500, 0, 0), (10, 700, 0, 0)]
    assert sums(st) == (2, 1220)


def test_a_fuller_copy_in_a_later_run_replaces_the_stored_one(st, agent_settings, project):
    log = project / "a.jsonl"
    append(log, claude("m1", "r1", out=5, ts="2026-11-20T10:59:59.000Z"))
    assert run(st, agent_settings).rows == 1
    append(log, claude("m1", "r1", out=500, ts="2026-11-20T11:00:01.000Z"))  # the next hour
    run(st, agent_settings)
    assert rows(st) == [(10, 500, 0, 0)]
    assert sums(st) == (1, 510)  # the 10:00 hour no longer holds the partial copy
    append(log, claude("m1", "r1", out=400))  # smaller again: ignored
    run(st, agent_settings)
    assert rows(st) == [(10, 500, 0, 0)]


def test_copies_across_files_and_runs_count_once(st, agent_settings, project, home):
    append(project / "a.jsonl", claude("m1", "r1", out=100))
    run(st, agent_settings)
    append(project / "b.jsonl", claude("m1", "r1", out=100))
    other = home / ".claude" / "projects" / "-home-me-other" / "c.jsonl"
    append(other, claude("m1", "r1", out=100) + claude("m3", "r3", out=1))
    run(st, agent_settings)
    assert rows(st) == [(10, 1, 0, 0), (10, 100, 0, 0)]


def test_sidechain_replays_do_not_double_count(st, agent_settings, project):
    # A /btw sidechain replays the parent's message under a new request id; its own answer counts.
    append(project / "main.jsonl", claude("m1", "r1", out=100, cache_read=1000))
    append(project / "subagents" / "side.jsonl",
           claude("m1", "r-side", out=100, cache_read=1000, sidechain=True)
           + claude("m-side", "r-side-2", out=7, sidechain=True))
    run(st, agent_settings)
    assert rows(st) == [(10, 7, 0, 0), (10, 100, 0, 1000)]
    assert st.con.execute("SELECT count(*) FROM usage WHERE subagent = 'sidechain'").fetchone() == (1,)


def test_a_main_chain_copy_replaces_a_sidechain_copy_stored_first(st, agent_settings, project):
    append(project / "side.jsonl", claude("m1", "r-side", out=900, sidechain=True))
    run(st, agent_settings)
    append(project / "main.jsonl", claude("m1", "r1", out=100))
    run(st, agent_settings)
    assert st.con.execute("SELECT output_tokens, request_id, subagent FROM usage").fetchall() == [(100, "r1", None)]


def test_synthetic_messages_are_skipped(st, agent_settings, project):
    append(project / "a.jsonl", claude("m1", "r1") + claude("m2", "r2", model="<synthetic>", inp=0, out=0)
           + claude("m3", "r3", model="<synthetic>", inp=5, out=5))
    assert run(st, agent_settings).rows == 1
    assert st.con.execute("SELECT DISTINCT model FROM usage").fetchall() == [(SONNET,)]


def test_responses_without_both_ids_are_never_merged(st, agent_settings, project):
    append(project / "a.jsonl", claude(None, "r1") + claude(None, "r1") + claude("m1", None) + claude("m1", None))
    assert run(st, agent_settings).rows == 4


def test_unknown_lines_are_ignored_and_malformed_ones_kept(st, agent_settings, project):
    log = project / "a.jsonl"
    good = claude("m1", "r1")
    ignored = (claude_user() + '{"type": "summary", "summary": "x", "leafUuid": "u"}\n'
               + '{"type": "a-type-from-next-year", "message": "text", "timestamp": 5}\n'
               + '{"type": "file-history-snapshot", "messageId": "m", "snapshot": {}}\n'
               + "\n   \n")
    bad = {
        "{not json": "not valid JSON",
        "[1, 2]": "not a JSON object",
        claude("m2", "r2").replace('"input_tokens":10', '"input_tokens":"ten"').strip():
            "input_tokens is not a non-negative integer",
        claude("m3", "r3", inp=-1).strip(): "negative token count",
        claude("m4", "r4", ts="yesterday").strip(): "unparseable timestamp",
    }
    text = good + ignored
    offsets = {}
    for line, _ in bad.items():
        offsets[line] = len(text.encode())
        text += line + "\n"
    append(log, text + claude("m5", "r5"))
    got = run(st, agent_settings)
    assert (got.rows, got.rejected) == (2, len(bad))
    kept = rejected_lines(st.con).to_dicts()
    assert [(r["file"], r["offset"], r["reason"]) for r in kept] == [
        (str(log), offsets[line], reason) for line, reason in bad.items()]
    assert run(st, agent_settings).rejected == 0  # kept once, not again on every pass


def test_a_partial_last_line_waits_and_new_files_are_picked_up(st, agent_settings, project):
    log = project / "a.jsonl"
    line = claude("m1", "r1", out=42)
    append(log, line[:40])
    assert run(st, agent_settings).rows == 0
    append(log, line[40:])
    assert run(st, agent_settings).rows == 1
    append(project / "new-session.jsonl", claude("m2", "r2"))
    append(project.parent / "-home-me-new" / "s.jsonl", claude("m3", "r3"))
    assert run(st, agent_settings).rows == 2
    assert run(st, agent_settings).rows == 0


def test_a_rewritten_session_file_is_read_again_without_double_counting(st, agent_settings, project):
    log = project / "a.jsonl"
    append(log, claude("m1", "r1") + claude("m2", "r2"))
    run(st, agent_settings)
    log.write_text(claude("m1", "r1"))  # shorter: read again from the start
    run(st, agent_settings)
    append(log, claude("m3", "r3"))
    run(st, agent_settings)
    assert len(rows(st)) == 3


def test_nothing_is_lost_or_counted_twice_across_store_reopens(agent_settings, project):
    append(project / "a.jsonl", claude("m1", "r1", out=1))
    with Store.open(agent_settings) as s:
        run(s, agent_settings)
    append(project / "a.jsonl", claude("m1", "r1", out=9) + claude("m2", "r2", out=2))
    with Store.open(agent_settings) as s:
        run(s, agent_settings)
        assert rows(s) == [(10, 2, 0, 0), (10, 9, 0, 0)]


# -- where the logs are, and switching them ----------------------------------------------------------


def test_claude_config_dir_may_list_several_folders(st, tmp_path, monkeypatch):
    first, second = tmp_path / "cc-a", tmp_path / "cc-b"
    append(first / "projects" / "p" / "s.jsonl", claude("m1", "r1"))
    append(second / "projects" / "q" / "s.jsonl", claude("m2", "r2") + claude("m1", "r1"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{first}, {second}")
    settings = load_settings(ledgers=[tmp_path / "none.jsonl"], db=tmp_path / "x.duckdb", timezone=TZ)
    assert run(st, settings).rows == 2


def test_xdg_config_folder_is_read_too(st, agent_settings, home):
    append(Path(os.environ["XDG_CONFIG_HOME"]) / "claude" / "projects" / "p" / "s.jsonl", claude("m9", "r9"))
    assert run(st, agent_settings).rows == 1


def test_sources_can_be_switched_off_or_required(st, agent_settings, project, tmp_path):
    append(project / "a.jsonl", claude())
    off = agent_settings.model_copy(update={"sources": Sources(claude_code=False, codex=False)})
    got = run(st, off)
    assert (got.rows, got.agent_files) == (0, 0)
    required = agent_settings.model_copy(update={"sources": Sources(codex=True)})
    got = run(st, required)
    assert got.rows == 1
    assert got.missing_agents == [f"codex at {Path(os.environ['HOME']).resolve() / '.codex' / 'sessions'}"]


def test_sources_come_from_the_config_file(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[sources]\nclaude_code = false\ncodex = "auto"\ncodex_home = "~/elsewhere"\n')
    s = load_settings(config)
    assert s.sources.claude_code is False
    assert s.sources.codex == "auto"
    assert s.sources.codex_home == Path(os.environ["HOME"]) / "elsewhere"
    monkeypatch.setenv("PACKWATCH_SOURCES__CODEX", "false")
    assert load_settings(config).sources.codex is False


# -- Codex ------------------------------------------------------------------------------------------


def test_codex_turns_are_read_with_cached_input_and_reasoning(st, agent_settings, sessions):
    log = sessions / "rollout-2026-11-20T09-00-00-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl"
    append(log, codex_meta() + codex_turn()
           + codex_count(usage(1200, 200, 500, 64), usage(1200, 200, 500, 64))
           + codex_count(usage(2000, 300, 800, 64), usage(800, 100, 300, 0), ts="2026-11-20T09:01:00.000Z"))
    got = run(st, agent_settings)
    assert got.rows == 2
    assert st.con.execute("""SELECT agent, session, project, model, provider, input_tokens,
        cache_read_tokens, output_tokens, reasoning_tokens FROM usage_v ORDER BY ts""").fetchall() == [
        ("codex", "0199a213-81c0-7800-8aa1-bbab2a035a53", "/home/me/app", "gpt-5-codex", "openai",
         1000, 200, 500, 64),
        ("codex", "0199a213-81c0-7800-8aa1-bbab2a035a53", "/home/me/app", "gpt-5-codex", "openai",
         700, 100, 300, 0),
    ]


def test_repeated_token_counts_and_null_info_count_nothing(st, agent_settings, sessions):
    log = sessions / "rollout-a.jsonl"
    turn = codex_count(usage(1000, 0, 100), usage(1000, 0, 100))
    append(log, codex_meta("s-a") + codex_turn() + codex_count(None, None, null_info=True) + turn + turn)
    run(st, agent_settings)
    append(log, turn + codex_count(None, None, null_info=True))  # the same event again, in a later run
    run(st, agent_settings)
    append(log, codex_count(usage(1500, 0, 150), usage(500, 0, 50)))
    run(st, agent_settings)
    assert rows(st, "codex") == [(500, 50, 0, 0), (1000, 100, 0, 0)]


def test_codex_state_carries_across_runs(st, agent_settings, sessions):
    log = sessions / "rollout-b.jsonl"
    append(log, codex_meta("s-b", cwd="/work/b") + codex_turn("gpt-5.1-codex", cwd="/work/b"))
    run(st, agent_settings)
    append(log, codex_count(usage(10, 0, 1), usage(10, 0, 1)))
    run(st, agent_settings)
    assert st.con.execute("SELECT session, project, model FROM usage").fetchall() == [
        ("s-b", "/work/b", "gpt-5.1-codex")]


def test_old_codex_logs_without_last_usage_count_the_difference(st, agent_settings, sessions):
    append(sessions / "rollout-c.jsonl", codex_meta("s-c") + codex_count(usage(100, 10, 5), None)
           + codex_count(usage(250, 40, 9), None))
    run(st, agent_settings)
    assert st.con.execute("SELECT model FROM usage LIMIT 1").fetchone() == ("gpt-5",)  # ccusage's fallback
    assert rows(st, "codex") == [(90, 5, 0, 10), (120, 4, 0, 30)]


def test_a_session_replayed_into_another_file_counts_once(st, agent_settings, sessions):
    events = codex_meta("s-d") + codex_turn() + codex_count(usage(100, 0, 5), usage(100, 0, 5))
    append(sessions / "rollout-d1.jsonl", events)
    append(sessions.parent / "21" / "rollout-d2.jsonl", events + codex_count(usage(300, 0, 9), usage(200, 0, 4)))
    run(st, agent_settings)
    assert rows(st, "codex") == [(100, 5, 0, 0), (200, 4, 0, 0)]


def test_codex_malformed_lines_are_kept_and_other_events_ignored(st, agent_settings, sessions):
    log = sessions / "rollout-e.jsonl"
    append(log, codex_meta("s-e") + '{"timestamp": "x", "type": "response_item", "payload": {"type": "message"}}\n'
           + '{"type": "event_msg", "payload": {"type": "agent_message", "info": "text"}}\n'
           + "{oops\n"
           + '{"timestamp": "2026-11-20T09:00:05Z", "type": "event_msg", "payload": {"type": "token_count", '
             '"info": {"last_token_usage": {"input_tokens": "many"}}}}\n')
    got = run(st, agent_settings)
    assert (got.rows, got.rejected) == (0, 2)
    assert rejected_lines(st.con)["reason"].to_list() == [
        "not valid JSON", "token_count with fields of an unexpected type"]
