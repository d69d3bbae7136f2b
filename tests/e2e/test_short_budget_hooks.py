"""Hourly and per-task budgets through the real commands: ``status`` measures them (and writes the
summary the hooks read), and the Claude Code hook refuses a prompt of the task over its ``task_usd``
while another task goes on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.support.cli import packwatch


def _rows(ledger: Path) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = [  # claude-sonnet-4-5: $3 per million input tokens
        {"ts": (now - dt.timedelta(minutes=20)).isoformat(), "provider": "anthropic", "model": "claude-sonnet-4-5",
         "in": 40_000, "out": 0, "session": "cc-task-1"},  # $0.12
        {"ts": (now - dt.timedelta(minutes=10)).isoformat(), "provider": "anthropic", "model": "claude-sonnet-4-5",
         "in": 5_000, "out": 0, "session": "cc-task-2"},  # $0.015
    ]
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_task_over_its_budget_is_refused_by_the_claude_code_hook(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    _rows(ledger)
    common = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb")]
    packwatch("control", "budget", "--task-usd", "0.10", "--hourly-usd", "1", *common, check=True)
    packwatch("control", "enforce", "100", "block", *common, check=True)
    status = packwatch("status", "--json", *common)
    assert status.returncode == 11, status.stderr  # a limit reached
    limits = {lim["kind"]: lim for lim in json.loads(status.stdout)["limits"]}
    assert limits["task_usd"]["task"] == "cc-task-1" and limits["task_usd"]["level"] == "exceeded"
    assert round(limits["hourly_usd"]["amount"], 3) == 0.135 and limits["hourly_usd"]["level"] == "ok"
    summary = json.loads((ledger.parent / "packwatch-summary.json").read_text())
    assert round(summary["tasks"]["cc-task-1"]["cost_usd"], 3) == 0.12

    env = {"PACKWATCH_CONTROL_DIR": str(ledger.parent)}
    over = packwatch("hook", "claude-code", "user-prompt-submit", env=env,
                     input_text=json.dumps({"session_id": "cc-task-1", "prompt": "go on"}))
    answer = json.loads(over.stdout)
    assert answer["decision"] == "block" and "in task cc-task-1" in answer["reason"], over.stderr
    other = packwatch("hook", "claude-code", "user-prompt-submit", env=env,
                      input_text=json.dumps({"session_id": "cc-task-2", "prompt": "go on"}))
    assert other.returncode == 0 and other.stdout == "", other.stdout


def test_a_codex_task_over_its_token_limit_is_refused_by_its_hook(tmp_path: Path) -> None:
    """A real Codex 0.171.0 rollout and the ``UserPromptSubmit`` input Codex gave a hook in that same run
    (tests/fixtures/agents/codex/hooks): the hook's ``session_id`` is the task the store measured from the
    rollout, so the task over ``task_tokens`` is refused; another session goes on."""
    import shutil

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "agents" / "codex" / "hooks"
    codex_home = tmp_path / "codex"
    shutil.copytree(fixture / "sessions", codex_home / "sessions")
    (rollout,) = codex_home.glob("sessions/*/*/*/rollout-*.jsonl")
    now = dt.datetime.now(dt.UTC)
    lines = [json.loads(x) for x in rollout.read_text().splitlines()]
    for i, rec in enumerate(lines):  # the run moved to a few minutes ago: a task of the last day
        rec["timestamp"] = (now - dt.timedelta(minutes=5, seconds=-i)).isoformat().replace("+00:00", "Z")
    rollout.write_text("".join(json.dumps(r) + "\n" for r in lines))
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    ledger.touch()
    env = {"CODEX_HOME": str(codex_home), "HOME": str(tmp_path)}
    common = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb")]
    packwatch("control", "budget", "--task-tokens", "1000", *common, env=env, check=True)
    packwatch("control", "enforce", "100", "block", *common, env=env, check=True)
    packwatch("collect", "--once", *common, env=env, check=True)
    payload = json.loads((fixture / "user-prompt-submit.json").read_text())
    summary = json.loads((ledger.parent / "packwatch-summary.json").read_text())
    assert summary["tasks"][payload["session_id"]]["tokens"] > 1000

    hook_env = {**env, "PACKWATCH_CONTROL_DIR": str(ledger.parent)}
    over = packwatch("hook", "codex", "user-prompt-submit", env=hook_env, input_text=json.dumps(payload))
    answer = json.loads(over.stdout)
    assert answer["decision"] == "block" and f"in task {payload['session_id']}" in answer["reason"], over.stderr
    other = packwatch("hook", "codex", "user-prompt-submit", env=hook_env,
                      input_text=json.dumps({**payload, "session_id": "another-session"}))
    assert other.returncode == 0 and other.stdout == "", other.stdout
