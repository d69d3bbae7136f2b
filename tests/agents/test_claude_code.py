"""Claude Code (2.1.332): packwatch's totals equal what the model server sent, field by field — on files
the real CLI wrote (``tests/fixtures/agents/claude-code``) and on a fresh offline run of the real CLI —,
its cost equals Claude Code's own ``costUSD`` within a cent per thousand dollars, and its daily totals
equal ccusage 20's but for the calls only Claude Code's cost-state holds (the deliberate difference)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.agent_check import agent_settings, ccusage_daily, read_with_packwatch, rejected, run_agent, sums

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agents" / "claude-code"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
          "reasoning_tokens")
CENT_PER_THOUSAND = 1e-5


def sent_totals(records: list[dict], kinds: tuple[str, ...] = ("main", "compaction", "side", "title")) -> dict:
    """What the stub sent, in packwatch's columns (Anthropic's counts are already split that way)."""
    out = dict.fromkeys(TOKENS, 0)
    for r in records:
        if r.get("kind") not in kinds or r.get("status", 200) != 200:
            continue
        u = r["usage"]
        out["input_tokens"] += u["input_tokens"]
        out["output_tokens"] += u["output_tokens"]
        out["cache_read_tokens"] += u.get("cache_read_input_tokens", 0)
        out["cache_write_tokens"] += u.get("cache_creation_input_tokens", 0)
        out["cache_write_1h_tokens"] += (u.get("cache_creation") or {}).get("ephemeral_1h_input_tokens", 0)
        out["reasoning_tokens"] += (u.get("output_tokens_details") or {}).get("thinking_tokens", 0)
    return out


def cost_states(config: Path) -> list[dict]:
    return [json.loads(line) for f in sorted((config / "projects").rglob("*.jsonl"))
            for line in f.read_text().splitlines() if '"cost-state"' in line]


def copy_run(run: str, tmp_path: Path) -> Path:
    target = tmp_path / run
    shutil.copytree(FIXTURES / run, target)
    return target


def stub_records(run: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / run / "stub-usage.jsonl").read_text().splitlines()]


def test_a_subagents_calls_count_once_named_by_its_type(tmp_path: Path) -> None:
    config = copy_run("task", tmp_path)
    rows = read_with_packwatch(agent_settings(tmp_path, claude_code=True, claude_code_dirs=[config]))
    assert sums(rows, *TOKENS) == sent_totals(stub_records("task"))
    assert [r["subagent"] for r in rows] == [None, "general-purpose", "general-purpose", None]
    assert {r["session"] for r in rows} == {cost_states(config)[-1]["sessionId"]}  # the parent's session
    assert all(r["kind"] is None for r in rows)  # the cost-state holds nothing the lines do not
    assert all(r["latency_ms"] is not None for r in rows)  # api-request line -> the response's line
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(cost_states(config)[-1]["totalCostUSD"],
                                                            rel=CENT_PER_THOUSAND)


def test_a_compactions_calls_are_unlogged_rows_and_the_session_costs_what_claude_code_says(tmp_path: Path) -> None:
    config = copy_run("compact", tmp_path)
    rows = read_with_packwatch(agent_settings(tmp_path, claude_code=True, claude_code_dirs=[config]))
    records = stub_records("compact")
    assert sums(rows, *TOKENS) == sent_totals(records)
    (unlogged,) = [r for r in rows if r["kind"] == "unlogged"]
    assert {k: unlogged[k] for k in TOKENS} == sent_totals(records, kinds=("compaction",))
    last = cost_states(config)[-1]
    usage = last["modelUsage"]["claude-opus-5-5"]
    assert sums(rows, "input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens") == {
        "input_tokens": usage["inputTokens"], "output_tokens": usage["outputTokens"],
        "cache_read_tokens": usage["cacheReadInputTokens"], "reasoning_tokens": usage["thinkingTokens"]}
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(last["totalCostUSD"], rel=CENT_PER_THOUSAND)
    # genai-prices prices the logged responses as Claude Code does (1-hour writes at the 1-hour rate):
    # the unlogged row's own figure is the compaction's list price, 3000 x $4/M + 200 x $20/M.
    assert unlogged["cost_usd"] == pytest.approx(0.016, rel=CENT_PER_THOUSAND)


def test_a_subagent_file_read_after_the_cost_state_is_not_counted_twice(tmp_path: Path) -> None:
    config = copy_run("task", tmp_path)
    subagents = next(config.rglob("subagents"))
    aside = tmp_path / "later"
    shutil.move(subagents, aside)
    settings = agent_settings(tmp_path, claude_code=True, claude_code_dirs=[config])
    early = read_with_packwatch(settings)  # the cost-state explains the subagent's calls: unlogged, for now
    assert sums(early, *TOKENS) == sent_totals(stub_records("task"))
    assert [r["kind"] for r in early].count("unlogged") == 1
    shutil.move(aside, subagents)
    late = read_with_packwatch(settings)
    assert sums(late, *TOKENS) == sent_totals(stub_records("task"))
    assert "unlogged" not in [r["kind"] for r in late]


@pytest.mark.e2e
def test_the_real_cli_offline(tmp_path: Path) -> None:
    """A subagent, ``/compact`` and one more prompt: three Claude Code processes on one session."""
    run = run_agent("claude", tmp_path)
    config = tmp_path / "home" / ".claude"
    rows = read_with_packwatch(agent_settings(tmp_path, claude_code=True, claude_code_dirs=[config]))
    assert sums(rows, *TOKENS) == sent_totals(run["sent"])
    compaction = sent_totals(run["sent"], kinds=("compaction",))
    assert sums([r for r in rows if r["kind"] == "unlogged"], *TOKENS) == compaction
    assert {r["subagent"] for r in rows} == {None, "general-purpose"}
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(cost_states(config)[-1]["totalCostUSD"],
                                                            rel=CENT_PER_THOUSAND)
    # ccusage 20 reads the assistant lines only: the same days but for the unlogged compaction.
    theirs = ccusage_daily("claude", tmp_path / "home")
    logged = [r for r in rows if r["kind"] != "unlogged"]
    (day,) = theirs.values()
    assert (day["inputTokens"], day["outputTokens"], day["cacheCreationTokens"], day["cacheReadTokens"]) == tuple(
        sums(logged, "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens").values())


def test_bad_lines_are_rejected_and_kept(tmp_path: Path) -> None:
    from tests.support.agent_lines import append, claude, claude_cost_state

    config = tmp_path / "claude"
    log = config / "projects" / "p" / "s.jsonl"
    bad_state = claude_cost_state({"claude-opus-5-5": {"inputTokens": 5}}).replace('"inputTokens":5',
                                                                                      '"inputTokens":"five"')
    append(log, claude("m1", "r1") + claude("m2", "r2", thinking=-1) + bad_state + '{"type":"cost-state"\n'
           + claude("m3", "r3"))
    rows, reasons = rejected(agent_settings(tmp_path, claude_code=True, claude_code_dirs=[config]))
    assert (rows, reasons) == (2, ["negative token count", "cost-state with fields of an unexpected type",
                                   "not valid JSON"])


def test_responses_after_the_last_cost_state_leave_the_unlogged_rows_alone(tmp_path: Path) -> None:
    """A live session: each new response (after its last cost-state) changes nothing already made, so
    no hour is rolled up again for it."""
    from ledger.store import Store, agent_totals
    from tests.support.agent_lines import append, claude

    config = copy_run("compact", tmp_path)
    settings = agent_settings(tmp_path, claude_code=True, claude_code_dirs=[config])
    before = read_with_packwatch(settings)
    (log,) = (config / "projects").rglob("*.jsonl")
    session = cost_states(config)[-1]["sessionId"]
    append(log, claude("msg_new", "req_new", ts="2026-12-01T07:50:00.000Z", session=session,
                       model="claude-opus-5-5", inp=10, out=1))
    after = read_with_packwatch(settings)
    assert [r for r in after if r["kind"] == "unlogged"] == [r for r in before if r["kind"] == "unlogged"]
    assert len(after) == len(before) + 1
    with Store.open(settings) as store:
        assert agent_totals.reconcile(store, "claude-code", {session}, "anthropic") is None
