"""Qwen Code (0.24.4): packwatch's totals equal what the model server sent for every call Qwen Code
records (main conversation, subagents, chat compression, memory extraction — its telemetry records in
the chat file), field by field — input = prompt − cached, output = completion (reasoning inside it) —,
on files the real CLI wrote and on a fresh offline run. ccusage 20 reads the assistant records only,
adds the cached tokens to input and the reasoning to output again, and misses the subagents and the
compression: the deliberate differences, each checked below against ccusage's own numbers."""

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

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agents" / "qwen-code"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens")
SIDE = "json"
"""The stub's role for Qwen Code's side queries (the permission classifier): only in its cumulative
``usage_record.jsonl``, never per call."""


def sent_totals(records: list[dict]) -> dict:
    return chat_completions_totals(records, lambda r: r.get("role") == SIDE)


def home_of(run: str, tmp_path: Path) -> Path:
    home = tmp_path / run / ".qwen"
    shutil.copytree(FIXTURES / run / "projects", home / "projects")
    return home


def records(run: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / run / "stub-sent.jsonl").read_text().splitlines()]


def test_subagent_calls_are_counted_once_and_named(tmp_path: Path) -> None:
    rows = read_with_packwatch(agent_settings(tmp_path, qwen_code=True, qwen_code_home=home_of("qwen-subagent",
                                                                                                 tmp_path)))
    assert sums(rows, *TOKENS) == sent_totals(records("qwen-subagent"))
    assert [r["subagent"] for r in rows].count("general-purpose") == 2
    assert all(r["latency_ms"] for r in rows)  # duration_ms of each call
    assert {(r["provider_raw"], r["model"]) for r in rows} == {("openai-compatible", "qwen3-coder-plus")}


def test_a_compression_call_only_the_telemetry_holds_is_counted(tmp_path: Path) -> None:
    rows = read_with_packwatch(agent_settings(tmp_path, qwen_code=True, qwen_code_home=home_of("qwen-compress",
                                                                                                 tmp_path)))
    assert sums(rows, *TOKENS) == sent_totals(records("qwen-compress"))
    assert len(rows) == 4  # 3 assistant records + the compression call


@pytest.mark.e2e
def test_the_real_cli_offline(tmp_path: Path) -> None:
    run = run_agent("qwen", tmp_path)
    home = tmp_path / "home" / ".qwen"
    rows = read_with_packwatch(agent_settings(tmp_path, qwen_code=True, qwen_code_home=home))
    assert sums(rows, *TOKENS) == sent_totals(run["sent"])
    assert "general-purpose" in {r["subagent"] for r in rows}
    # ccusage reads the main chat's assistant records only (our rows of the same calls: same counts),
    # with cached tokens inside its input and the reasoning added to its total again.
    records = [(u["promptTokenCount"], u["candidatesTokenCount"]) for u in _assistant_usage(home)]
    assistant = [r for r in rows if (r["input_tokens"] + r["cache_read_tokens"], r["output_tokens"]) in records]
    assert len(assistant) == len(records) < len(rows)  # the subagent's calls are not among them
    (day,) = ccusage_daily("qwen", tmp_path / "home").values()
    mine = sums(assistant, *TOKENS)
    assert day["inputTokens"] == mine["input_tokens"] + mine["cache_read_tokens"]
    assert day["cacheReadTokens"] == mine["cache_read_tokens"]
    assert day["outputTokens"] == mine["output_tokens"]
    assert day["totalTokens"] == mine["input_tokens"] + 2 * mine["cache_read_tokens"] + mine["output_tokens"] \
        + mine["reasoning_tokens"]


def _assistant_usage(home: Path) -> list[dict]:
    return [r["usageMetadata"] for f in home.glob("projects/*/chats/*.jsonl") for line in f.read_text().splitlines()
            if (r := json.loads(line)).get("type") == "assistant" and r.get("usageMetadata")]


def test_bad_records_are_rejected_and_kept(tmp_path: Path) -> None:
    chats = tmp_path / ".qwen" / "projects" / "-proj" / "chats"
    chats.mkdir(parents=True)

    def telemetry(**event) -> dict:
        base = {"event.name": "qwen-code.api_response", "event.timestamp": "2026-12-01T07:44:32.531Z",
                "response_id": "r1", "model": "qwen3-coder-plus", "status_code": 200, "duration_ms": 5,
                "input_token_count": 100, "output_token_count": 10, "cached_content_token_count": 20,
                "thoughts_token_count": 4, "auth_type": "openai"}
        return {"uuid": "u", "sessionId": "s1", "timestamp": "2026-12-01T07:44:32.532Z", "type": "system",
                "subtype": "ui_telemetry", "systemPayload": {"uiEvent": {**base, **event}}}

    lines = [telemetry(), telemetry(response_id="r2", input_token_count="lots"),
             telemetry(response_id="r3", output_token_count=-5), {**telemetry(response_id="r4"), "forkedFrom": {}},
             telemetry(response_id="r5", status_code=500)]
    (chats / "s1.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    settings = agent_settings(tmp_path, qwen_code=True, qwen_code_home=tmp_path / ".qwen")
    rows, reasons = rejected(settings)
    assert (rows, reasons) == (2, ["input_token_count is not a non-negative integer", "negative token count"])
    assert [r["request_id"] for r in read_with_packwatch(settings) if r["kind"] is None] == ["r1", "r5"]
