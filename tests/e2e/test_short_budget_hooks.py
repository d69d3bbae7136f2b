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
