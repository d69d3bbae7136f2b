"""The Code Puppy plugin against the real ``code-puppy`` package: loaded through its entry point,
driven by firing Code Puppy's own callback triggers (``code_puppy.callbacks.on_*``)."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest.importorskip("code_puppy", reason="the code-puppy test extra is not installed")

from code_puppy import callbacks  # noqa: E402
from code_puppy.messaging.pause_controller import get_pause_controller  # noqa: E402
from code_puppy.plugins import _plugin_loading_context  # noqa: E402
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart  # noqa: E402
from pydantic_ai.usage import RequestUsage  # noqa: E402

from ledger.control.channel import ControlChannel  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _load_plugin():
    (entry,) = [e for e in entry_points(group="code_puppy.plugins") if e.name == "packwatch"]
    assert entry.value == "ledger.agent.code_puppy"
    with _plugin_loading_context("packwatch"):  # what Code Puppy's loader does for each entry point
        return entry.load()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "agent"
    folder.mkdir()
    monkeypatch.setenv("PACKWATCH_CONTROL_DIR", str(folder))
    return folder


@pytest.fixture
def plugin(folder: Path):
    module = _load_plugin()
    module.PLUGIN.__init__()  # a fresh agent process
    get_pause_controller().drain_compaction_requests()
    return module


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def events(folder: Path, kind: str) -> list[dict]:
    return [e for e in lines(folder / "events.jsonl") if e["kind"] == kind]


def exchange(model: str, sent: dt.datetime, ms: int, **usage: int) -> list:
    return [ModelRequest(parts=[UserPromptPart("fix the bug")], timestamp=sent),
            ModelResponse(parts=[TextPart("done")], usage=RequestUsage(**usage), model_name=model,
                          timestamp=sent + dt.timedelta(milliseconds=ms), provider_name="anthropic",
                          provider_response_id=f"resp-{ms}")]


def test_the_plugin_registers_through_its_entry_point(plugin) -> None:
    for phase in ("message_history_processor_start", "model_select", "pre_tool_call", "pre_compact",
                  "agent_run_end", "agent_run_context"):
        owners = [callbacks.get_callback_owner(cb) for cb in callbacks.get_callbacks(phase)]
        assert "packwatch" in owners, phase


def test_each_model_response_is_one_usage_row(plugin, folder: Path) -> None:
    t0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    history = (exchange("claude-sonnet-4-5", t0, 1800, input_tokens=12_000, output_tokens=400,
                        cache_read_tokens=9_000, cache_write_tokens=1_000)
               + exchange("claude-sonnet-4-5", t0 + dt.timedelta(seconds=5), 950, input_tokens=13_000,
                          output_tokens=120))
    callbacks.on_message_history_processor_start("code-puppy", "s-1", history[:2], [])
    callbacks.on_message_history_processor_start("code-puppy", "s-1", history, [])  # the next request
    rows = lines(folder / "usage.jsonl")
    assert [(r["model"], r["in"], r["out"], r.get("cache_read"), r.get("cache_write"), r["latency"]) for r in rows] == [
        ("claude-sonnet-4-5", 2_000, 400, 9_000, 1_000, 1800),
        ("claude-sonnet-4-5", 13_000, 120, None, None, 950),
    ]
    assert rows[0]["session"] == "s-1" and rows[0]["agent"] == "code-puppy"


async def test_a_failed_run_is_an_error_row(plugin, folder: Path) -> None:
    await callbacks.on_agent_run_end("code-puppy", "gpt-5", "s-2", success=False,
                                     error=RuntimeError("429 Too Many Requests"), metadata={})
    (row,) = lines(folder / "usage.jsonl")
    assert row["model"] == "gpt-5" and "429 Too Many Requests" in row["error"]


def test_a_forced_failover_selects_the_target_and_is_acknowledged(plugin, folder: Path) -> None:
    change = ControlChannel(folder).set_failover("claude-opus-4-5", "claude-sonnet-4-5")
    chosen = callbacks.on_model_select(agent_name="code-puppy", current_model="claude-opus-4-5",
                                       prompt="go", messages=[], session_id="s")
    assert chosen == "claude-sonnet-4-5"
    assert callbacks.on_model_select(agent_name="code-puppy", current_model="gpt-5", prompt="go",
                                     messages=[]) is None
    (ack,) = events(folder, "control_ack")
    assert ack["detail"]["control_id"] == change.id
    # claude-sonnet-4-5 is not in Code Puppy's models config unless the user added it: refused, with why
    assert ack["detail"]["result"] in ("applied", "refused")
    if ack["detail"]["result"] == "refused":
        assert "models config" in ack["detail"]["reason"]


async def test_review_only_blocks_mutating_tools_with_a_reason(plugin, folder: Path) -> None:
    ControlChannel(folder).set_review_only(True)
    results = await callbacks.on_pre_tool_call("replace_in_file", {"file_path": "a.py"})
    (blocked,) = [r for r in results if isinstance(r, dict) and r.get("blocked")]
    assert "review-only" in blocked["error_message"]
    for tool in ("create_file", "delete_file", "agent_run_shell_command"):
        assert any(isinstance(r, dict) and r.get("blocked") for r in await callbacks.on_pre_tool_call(tool, {}))
    assert not any(isinstance(r, dict) and r.get("blocked")
                   for r in await callbacks.on_pre_tool_call("read_file", {"file_path": "a.py"}))
    assert [e["detail"]["tool"] for e in events(folder, "blocked")][0] == "replace_in_file"
    ControlChannel(folder).set_review_only(False)
    assert not any(isinstance(r, dict) and r.get("blocked")
                   for r in await callbacks.on_pre_tool_call("replace_in_file", {}))


async def test_the_review_only_check_fails_closed(plugin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    monkeypatch.setenv("PACKWATCH_CONTROL_DIR", str(not_a_folder))
    plugin.PLUGIN.__init__()
    results = await callbacks.on_pre_tool_call("create_file", {})
    assert any(isinstance(r, dict) and r.get("blocked") for r in results)
    # ...while every other hook just logs and lets the agent go on.
    assert callbacks.on_model_select(agent_name="a", current_model="m", prompt="", messages=[]) is None
    callbacks.on_message_history_processor_start("a", None, [], [])


async def test_a_compaction_request_reaches_code_puppy_and_is_recorded(plugin, folder: Path) -> None:
    change = ControlChannel(folder).request_compaction()
    callbacks.on_message_history_processor_start("code-puppy", "s-3", [], [])
    assert get_pause_controller().take_compaction_request()  # Code Puppy's compaction would take it here
    assert events(folder, "control_ack") == []  # pending until it really compacts
    await callbacks.on_pre_compact("code-puppy", "summarization", 40, 52_000)
    after = [ModelRequest(parts=[UserPromptPart("summary of the work so far")])]
    callbacks.on_message_history_processor_end("code-puppy", "s-3", after, 0, 0)
    (compaction,) = events(folder, "compaction")
    assert compaction["detail"]["control_id"] == change.id
    assert compaction["detail"]["before_tokens"] == 52_000
    assert 0 < compaction["detail"]["after_tokens"] < 52_000
    (ack,) = events(folder, "control_ack")
    assert (ack["detail"]["control_id"], ack["detail"]["result"]) == (change.id, "applied")


async def test_a_block_budget_stops_the_next_model_attempt(plugin, folder: Path) -> None:
    channel = ControlChannel(folder)
    channel.set_budget("anthropic", daily_tokens=1_000)
    channel.set_enforcement(100, "block")
    t0 = dt.datetime.now(dt.UTC)
    callbacks.on_message_history_processor_start(
        "code-puppy", "s", exchange("claude-sonnet-4-5", t0, 500, input_tokens=1_500, output_tokens=10), [])
    (gate,) = [g for g in callbacks.on_agent_run_context(None, None, "g", []) if type(g).__name__ == "_BudgetGate"]
    with pytest.raises(plugin.BudgetBlocked, match="anthropic budget at"):
        await gate.__aenter__()
    results = await callbacks.on_pre_tool_call("create_file", {})
    assert any(isinstance(r, dict) and r.get("blocked") for r in results)
