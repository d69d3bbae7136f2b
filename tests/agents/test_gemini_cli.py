"""Gemini CLI (0.61.0): packwatch's totals equal what the model server sent for every recorded call,
field by field — input = prompt − cached + tool-use prompt, output = candidates + thoughts (reasoning,
part of output) —, on files the real CLI wrote (a subagent; a legacy ``session-*.json`` resumed into a
``.jsonl``: counted once) and on a fresh offline run; daily totals equal ``ccusage gemini daily`` but for
the deliberate differences: ccusage's output leaves thoughts out, and it counts a migrated legacy
session twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.agent_check import agent_settings, ccusage_daily, read_with_packwatch, rejected, run_agent, sums

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agents" / "gemini-cli"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens")
RECORDED = ("main", "subagent")
"""The calls Gemini CLI writes to its chat files (the model router and compression: telemetry only)."""


def sent_totals(records: list[dict]) -> dict:
    out = dict.fromkeys(TOKENS, 0)
    for r in records:
        if r.get("role") not in RECORDED or not r.get("usage"):
            continue
        u = r["usage"]
        out["input_tokens"] += u["promptTokenCount"] - u["cachedContentTokenCount"] + u["toolUsePromptTokenCount"]
        out["output_tokens"] += u["candidatesTokenCount"] + u["thoughtsTokenCount"]
        out["cache_read_tokens"] += u["cachedContentTokenCount"]
        out["reasoning_tokens"] += u["thoughtsTokenCount"]
    return out


def home_of(run: str, tmp_path: Path) -> Path:
    home = tmp_path / run / ".gemini"
    shutil.copytree(FIXTURES / run / "tmp", home / "tmp")
    return home


def records(run: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / run / "stub-sent.jsonl").read_text().splitlines()]


def test_a_subagents_calls_belong_to_the_parent_session_named_by_the_parents_call(tmp_path: Path) -> None:
    rows = read_with_packwatch(agent_settings(tmp_path, gemini_cli=True, gemini_cli_home=home_of("gemini-subagent",
                                                                                                   tmp_path)))
    assert sums(rows, *TOKENS) == sent_totals(records("gemini-subagent"))
    assert [r["subagent"] for r in rows] == [None, "codebase_investigator", "codebase_investigator", None]
    assert len({r["session"] for r in rows}) == 1
    assert {r["provider"] for r in rows} == {"google"} and not any(r["unpriced"] for r in rows)


def test_a_legacy_session_resumed_into_a_jsonl_counts_once(tmp_path: Path) -> None:
    home = home_of("gemini-legacy-json", tmp_path)
    chats = home / "tmp" / "proj" / "chats"
    rows = read_with_packwatch(agent_settings(tmp_path, gemini_cli=True, gemini_cli_home=home))
    # the resumed call, and the two the legacy document and its .jsonl copy both hold
    assert len(rows) == 3 and len({r["request_id"] or r["ts"] for r in rows}) == 3
    assert sums(rows, *TOKENS)["input_tokens"] == 11487 + 609  # uncached + tool-use prompt (research totals)
    # the legacy document alone, before its migration: the same two responses
    only_legacy = tmp_path / "only" / ".gemini"
    (only_legacy / "tmp" / "proj" / "chats").mkdir(parents=True)
    legacy = next(chats.glob("*.json"))
    shutil.copy(legacy, only_legacy / "tmp" / "proj" / "chats" / legacy.name)
    alone = read_with_packwatch(agent_settings(tmp_path / "only", gemini_cli=True, gemini_cli_home=only_legacy))
    assert len(alone) == 2


@pytest.mark.e2e
def test_the_real_cli_offline(tmp_path: Path) -> None:
    run = run_agent("gemini", tmp_path)
    home = tmp_path / "home" / ".gemini"
    rows = read_with_packwatch(agent_settings(tmp_path, gemini_cli=True, gemini_cli_home=home))
    assert sums(rows, *TOKENS) == sent_totals(run["sent"])
    assert len(rows) == sum(1 for r in run["sent"] if r.get("role") in RECORDED)
    assert "codebase_investigator" in {r["subagent"] for r in rows}
    (day,) = ccusage_daily("gemini", tmp_path / "home").values()
    ours = sums(rows, *TOKENS)
    # ccusage: input and cache reads as ours; its output column leaves the thoughts out (they are in its
    # totalTokens): ours is output + thoughts, as DESIGN.md wants reasoning inside output.
    assert (day["inputTokens"], day["cacheReadTokens"], day["outputTokens"]) == (
        ours["input_tokens"], ours["cache_read_tokens"], ours["output_tokens"] - ours["reasoning_tokens"])


@pytest.mark.e2e
def test_where_ccusage_counts_a_migrated_legacy_session_twice(tmp_path: Path) -> None:
    """A deliberate difference: ccusage reads the legacy document and the .jsonl it was migrated to."""
    home = home_of("gemini-legacy-json", tmp_path)
    rows = read_with_packwatch(agent_settings(tmp_path, gemini_cli=True, gemini_cli_home=home))
    (day,) = ccusage_daily("gemini", tmp_path / "gemini-legacy-json").values()
    ours = sums(rows, *TOKENS)
    legacy = json.loads(next((home / "tmp" / "proj" / "chats").glob("*.json")).read_text())
    tokens = [m["tokens"] for m in legacy["messages"] if m.get("tokens")]
    twice = {"input_tokens": sum(t["input"] - t["cached"] + t["tool"] for t in tokens),
             "cache_read_tokens": sum(t["cached"] for t in tokens)}
    assert day["inputTokens"] == ours["input_tokens"] + twice["input_tokens"]
    assert day["cacheReadTokens"] == ours["cache_read_tokens"] + twice["cache_read_tokens"]


def test_bad_records_are_rejected_and_kept(tmp_path: Path) -> None:
    chats = tmp_path / ".gemini" / "tmp" / "proj" / "chats"
    chats.mkdir(parents=True)
    good = {"id": "g1", "timestamp": "2026-12-01T07:41:46.033Z", "type": "gemini", "model": "gemini-3.8-flash",
            "tokens": {"input": 100, "output": 5, "cached": 10, "thoughts": 2, "tool": 0, "total": 107}}
    lines = [{"sessionId": "s1", "projectHash": "h", "startTime": "x", "lastUpdated": "x", "kind": "main"}, good,
             {**good, "id": "g2", "tokens": {**good["tokens"], "input": "many"}},
             {**good, "id": "g3", "tokens": {**good["tokens"], "output": -1}},
             {**good, "id": "g4", "timestamp": "soon"}, {"$rewindTo": "g1"}, {"$set": {"messages": []}}]
    (chats / "session-2026-12-01T07-41-s1.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines)
                                                            + "{broken\n")
    (chats / "session-2026-12-01T07-40-s0.json").write_text("[1, 2")  # a legacy document cut short
    (chats.parent / "logs.json").write_text("[]")  # the TUI's prompt log: not a session
    rows, reasons = rejected(agent_settings(tmp_path, gemini_cli=True, gemini_cli_home=tmp_path / ".gemini"))
    assert rows == 1
    assert sorted(reasons) == sorted(["tokens.input is not a non-negative integer", "negative token count",
                                      "unparseable timestamp", "not valid JSON",
                                      "not a Gemini CLI session document"])
