"""GitHub Copilot CLI (1.0.102): packwatch's totals equal what the model server sent, field by field —
input = prompt − cached (− cache writes), output = completion (reasoning inside it) —, read from the
session events Copilot always writes and from its OpenTelemetry file export when it is on (the same
calls, counted once), on the real CLI's files and on a fresh offline (bring-your-own-key) run; daily
totals equal ``ccusage copilot daily``, which reads the OpenTelemetry export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.agent_check import (
    agent_settings,
    ccusage_daily,
    chat_completions_totals,
    read_with_packwatch,
    rejected,
    run_agent,
    sums,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agents" / "copilot-cli"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")


def sent_totals(records: list[dict]) -> dict:
    return {**chat_completions_totals(records), "cache_write_tokens": 0}  # none through OpenAI-compatible APIs


def sent() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "stub-sent.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("with_otel", [False, True])
def test_each_call_once_from_events_and_the_otel_export(tmp_path: Path, with_otel: bool) -> None:
    home = tmp_path / ".copilot"
    shutil.copytree(FIXTURES / "session-state", home / "session-state")
    otel = [FIXTURES / "otel.jsonl"] if with_otel else []
    rows = read_with_packwatch(agent_settings(tmp_path, copilot_cli=True, copilot_cli_home=home,
                                              copilot_cli_otel_files=otel))
    assert sums(rows, *TOKENS) == sent_totals(sent())
    assert [r["request_id"] for r in rows] == [s["id"] for s in sent()]
    assert all(r["latency_ms"] for r in rows)
    assert {(r["provider_raw"], r["provider"]) for r in rows} == {("openai", "openai")}  # BYOK, OpenAI's family


def test_the_otel_export_alone(tmp_path: Path) -> None:
    rows = read_with_packwatch(agent_settings(tmp_path, copilot_cli=True, copilot_cli_home=tmp_path / "none",
                                              copilot_cli_otel_files=[FIXTURES / "otel.jsonl"]))
    assert sums(rows, *TOKENS) == sent_totals(sent())
    assert {r["session"] for r in rows} == {"10ffe5ab-347a-4760-ba9e-229ab2c87433"}


@pytest.mark.e2e
def test_the_real_cli_offline(tmp_path: Path) -> None:
    run = run_agent("copilot", tmp_path)
    otel = tmp_path / "otel.jsonl"
    home = tmp_path / "home" / ".copilot"
    rows = read_with_packwatch(agent_settings(tmp_path, copilot_cli=True, copilot_cli_home=home,
                                              copilot_cli_otel_files=[otel]))
    assert sums(rows, *TOKENS) == sent_totals(run["sent"])
    assert len(rows) == len(run["sent"])
    (day,) = ccusage_daily("copilot", tmp_path / "home", env={"COPILOT_OTEL_FILE_EXPORTER_PATH": str(otel)}).values()
    ours = sums(rows, *TOKENS)
    assert (day["inputTokens"], day["outputTokens"], day["cacheReadTokens"], day["cacheCreationTokens"]) == (
        ours["input_tokens"], ours["output_tokens"], ours["cache_read_tokens"], ours["cache_write_tokens"])


def test_bad_records_are_rejected_and_kept(tmp_path: Path) -> None:
    events = tmp_path / ".copilot" / "session-state" / "s1" / "events.jsonl"
    events.parent.mkdir(parents=True)
    usage = {"model": "gpt-4.1", "inputTokens": 100, "outputTokens": 10, "cacheReadTokens": 5, "cacheWriteTokens": 0,
             "reasoningTokens": 1, "duration": 9, "apiCallId": "c1", "accounting": {"usageId": "c1"}}
    lines = [{"type": "session.usage_record", "timestamp": "2026-12-01T07:29:08.341Z", "data": {"usage": usage}},
             {"type": "session.usage_record", "timestamp": "2026-12-01T07:29:09Z",
              "data": {"usage": {**usage, "inputTokens": "x", "accounting": {"usageId": "c2"}}}},
             {"type": "session.usage_record", "timestamp": "2026-12-01T07:29:10Z", "data": {"usage": "none"}},
             {"type": "assistant.message", "timestamp": "2026-12-01T07:29:11Z", "data": {"content": 3}}]
    events.write_text("".join(json.dumps(x) + "\n" for x in lines))
    rows, reasons = rejected(agent_settings(tmp_path, copilot_cli=True, copilot_cli_home=tmp_path / ".copilot"))
    assert (rows, reasons) == (1, ["inputTokens is not a non-negative integer",
                                   "a usage record without a usage object"])


@pytest.mark.e2e
def test_where_ccusage_leaves_cache_writes_inside_input(tmp_path: Path) -> None:
    """A deliberate difference: a span with cache writes (a Copilot-hosted Claude model writes them)."""
    span = json.loads((FIXTURES / "otel.jsonl").read_text().splitlines()[1])
    assert span["name"].startswith("chat ")
    span["attributes"].update({"gen_ai.usage.input_tokens": 5000, "gen_ai.usage.cache_read.input_tokens": 1000,
                               "gen_ai.usage.cache_creation.input_tokens": 700})
    otel = tmp_path / "home" / ".copilot" / "otel" / "export.jsonl"
    otel.parent.mkdir(parents=True)
    otel.write_text(json.dumps(span) + "\n")
    rows = read_with_packwatch(agent_settings(tmp_path, copilot_cli=True, copilot_cli_home=otel.parent.parent))
    assert sums(rows, "input_tokens", "cache_read_tokens", "cache_write_tokens") == {
        "input_tokens": 5000 - 1000 - 700, "cache_read_tokens": 1000, "cache_write_tokens": 700}
    (day,) = ccusage_daily("copilot", tmp_path / "home").values()
    assert (day["inputTokens"], day["cacheReadTokens"], day["cacheCreationTokens"]) == (5000 - 1000, 1000, 700)
