"""Codex CLI (0.171.0): packwatch's totals equal what the model server sent, field by field, with cache
writes apart from input (input billed = input − cached − cache writes, as ccusage 20 counts it), on a
rollout the real CLI wrote and on a fresh offline run; ``token_usage_record`` (a copy of each
``token_count``) counts nothing; the provider is the one that prices the model, the config's id kept
raw; daily totals equal ``ccusage codex daily``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.agent_check import agent_settings, ccusage_daily, read_with_packwatch, run_agent, sums

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agents" / "codex"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")


def sent_totals(records: list[dict]) -> dict:
    """The Responses API usage the stub sent, in packwatch's columns."""
    out = dict.fromkeys(TOKENS, 0)
    for r in records:
        u = r["usage"]
        cached = u.get("input_tokens_details", {}).get("cached_tokens", 0)
        writes = u.get("input_tokens_details", {}).get("cache_write_tokens", 0)
        out["input_tokens"] += u["input_tokens"] - cached - writes
        out["output_tokens"] += u["output_tokens"]
        out["cache_read_tokens"] += cached
        out["cache_write_tokens"] += writes
        out["reasoning_tokens"] += u.get("output_tokens_details", {}).get("reasoning_tokens", 0)
    return out


def test_a_real_rollout_counts_each_response_once(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    shutil.copytree(FIXTURES / "basic", home)
    sent = [json.loads(line) for line in (home / "stub-usage.jsonl").read_text().splitlines()]
    rows = read_with_packwatch(agent_settings(tmp_path, codex=True, codex_home=home))
    assert sums(rows, *TOKENS) == sent_totals(sent)
    assert [r["request_id"] for r in rows] == [s["response_id"] for s in sent]  # one row per response
    assert {(r["provider_raw"], r["provider"]) for r in rows} == {("stub", "openai")}
    assert all(not r["unpriced"] and r["cost_usd"] > 0 for r in rows)


@pytest.mark.e2e
def test_the_real_cli_offline(tmp_path: Path) -> None:
    run = run_agent("codex", tmp_path)
    home = tmp_path / "home" / ".codex"
    rows = read_with_packwatch(agent_settings(tmp_path, codex=True, codex_home=home))
    assert sums(rows, *TOKENS) == sent_totals(run["sent"])
    assert len(rows) == len(run["sent"]) == 4 and len({r["session"] for r in rows}) == 1  # resume: one session
    theirs = ccusage_daily("codex", tmp_path / "home", env={"CODEX_HOME": str(home)})
    (day,) = theirs.values()
    ours = sums(rows, *TOKENS)
    assert (day["inputTokens"], day["outputTokens"], day["cacheReadTokens"], day["cacheCreationTokens"]) == (
        ours["input_tokens"], ours["output_tokens"], ours["cache_read_tokens"], ours["cache_write_tokens"])
