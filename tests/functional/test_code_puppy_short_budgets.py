"""Per-task and hourly budgets in the Code Puppy plugin, against the real ``code-puppy`` package: a run
(Code Puppy's ``agent_run_start`` session id) over its ``task_usd`` is refused (block) or turned
review-only, the change is acknowledged, and another task goes on; runs are ``agent_run`` events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest.importorskip("code_puppy", reason="the code-puppy test extra is not installed")

from code_puppy import callbacks  # noqa: E402

from ledger.control.channel import ControlChannel  # noqa: E402

from . import test_code_puppy_plugin as base  # noqa: E402
from .test_code_puppy_plugin import events, exchange  # noqa: E402

folder, plugin = base.folder, base.plugin  # the same fixtures: a fresh agent folder and plugin

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _gate():
    (gate,) = [g for g in callbacks.on_agent_run_context(None, None, "g", []) if type(g).__name__ == "_BudgetGate"]
    return gate


async def _spend(task: str, input_tokens: int) -> None:
    """One run of ``task`` that made one claude-sonnet-4-5 request (USD 3 per million input tokens)."""
    await callbacks.on_agent_run_start("husky", "claude-sonnet-4-5", task)
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    callbacks.on_message_history_processor_start(
        "husky", task, exchange("claude-sonnet-4-5", t0, 400, input_tokens=input_tokens, output_tokens=10), [])


async def test_a_run_over_its_task_usd_is_refused_and_the_change_acknowledged(plugin, folder: Path) -> None:
    channel = ControlChannel(folder)
    change = channel.set_budget("all", task_usd=0.05)
    channel.set_enforcement(100, "block")
    await _spend("run-1", 30_000)  # $0.09: over the task's $0.05
    with pytest.raises(plugin.BudgetBlocked, match=r"all budget at \d+% \(0\.09 of 0\.05 USD in task run-1\)"):
        await _gate().__aenter__()
    (blocked,) = [e for e in events(folder, "blocked") if e["detail"]["tool"] == "model_request"]
    assert "task run-1" in blocked["detail"]["reason"]
    acks = {e["detail"]["control_id"]: e["detail"]["result"] for e in events(folder, "control_ack")}
    assert acks[change.id] == "applied"
    # A new task starts at zero: its first attempt goes through.
    await callbacks.on_agent_run_start("husky", "claude-sonnet-4-5", "run-2")
    await _gate().__aenter__()


async def test_review_only_at_the_task_limit_blocks_mutating_tools_only(plugin, folder: Path) -> None:
    channel = ControlChannel(folder)
    channel.set_budget("anthropic", task_tokens=10_000)
    channel.set_enforcement(100, "review-only")
    await _spend("run-3", 12_000)
    await _gate().__aenter__()  # review-only does not refuse the model
    results = await callbacks.on_pre_tool_call("create_file", {})
    (refusal,) = [r for r in results if isinstance(r, dict) and r.get("blocked")]
    assert "tokens in task run-3" in refusal["reason"]
    assert not any(isinstance(r, dict) and r.get("blocked") for r in await callbacks.on_pre_tool_call("read_file", {}))


async def test_an_hourly_budget_counts_the_rolling_hour(plugin, folder: Path) -> None:
    channel = ControlChannel(folder)
    channel.set_budget("all", hourly_usd=0.10)
    channel.set_enforcement(100, "block")
    await _spend("run-4", 20_000)  # $0.06
    await _gate().__aenter__()
    await _spend("run-5", 20_000)  # $0.12 in the hour, across two tasks
    with pytest.raises(plugin.BudgetBlocked, match="in the last hour"):
        await _gate().__aenter__()


async def test_runs_are_recorded_for_the_pack_view(plugin, folder: Path) -> None:
    await callbacks.on_agent_run_start("husky", "claude-sonnet-4-5", "run-6")
    await callbacks.on_agent_run_end("husky", "claude-sonnet-4-5", "run-6", success=True, metadata={})
    runs = events(folder, "agent_run")
    assert [(e["agent"], e["session"], e["detail"]["phase"], e["detail"]["workload"]) for e in runs] == [
        ("husky", "run-6", "start", "coder"), ("husky", "run-6", "end", "coder")]
    assert runs[1]["detail"]["success"] is True
