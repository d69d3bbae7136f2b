"""The real Codex CLI (0.171.0) steered through packwatch's hooks: ``packwatch install codex`` writes
them into ``$CODEX_HOME/hooks.json`` and trusts them in ``config.toml`` (Codex skips untrusted hooks
without a word), then ``codex exec`` runs against a scripted Responses API inside ``unshare -rn``.
The model asks for ``exec_command touch ...``: with review-only off the file appears; with it on the
command never runs, the model is told packwatch's reason, and events.jsonl has the ``blocked`` event
and the ``control_ack`` from agent ``codex``. A prompt is refused by the ``block`` policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_codex_quota import codex_run
from tests.support.clis import need

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _packwatch(tmp: Path, *args: str) -> None:
    env = {**os.environ, "CODEX_HOME": str(tmp / "codex"), "PACKWATCH_LEDGERS": str(tmp / "ledger" / "usage.jsonl")}
    proc = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _events(tmp: Path, kind: str) -> list[dict]:
    path = tmp / "ledger" / "events.jsonl"
    lines = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
    return [e for e in lines if e["kind"] == kind]


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    for name in ("home", "codex", "work", "ledger"):
        (tmp_path / name).mkdir()
    (tmp_path / "ledger" / "usage.jsonl").touch()
    _packwatch(tmp_path, "install", "codex", "--ledger", str(tmp_path / "ledger" / "usage.jsonl"))
    return tmp_path


def test_review_only_refuses_the_command(tmp: Path) -> None:
    codex = need("codex")
    target = tmp / "work" / "made.txt"
    steps = [{"type": "function_call", "name": "exec_command", "arguments": {"cmd": f"touch {target}"}},
             {"type": "text", "text": "done"}]
    codex_run(tmp, codex, steps, {}, "make the file", "-s", "workspace-write")
    assert target.exists()  # review-only off: the command ran
    target.unlink()

    _packwatch(tmp, "control", "review-only", "on")
    result = codex_run(tmp, codex, steps, {}, "make the file", "-s", "workspace-write")
    assert not target.exists()
    outputs = [item for body in result["requests"] for item in body.get("input", [])
               if isinstance(item, dict) and item.get("type") == "function_call_output"]
    assert outputs and "packwatch: review-only mode is on" in json.dumps(outputs[-1])
    (blocked,) = _events(tmp, "blocked")
    assert blocked["agent"] == "codex" and blocked["detail"]["tool"] == "Bash"
    acks = [e for e in _events(tmp, "control_ack") if e["detail"]["action"] == "review-only"]
    assert acks and acks[-1]["agent"] == "codex" and acks[-1]["detail"]["result"] == "applied"


def test_the_block_policy_refuses_the_prompt(tmp: Path) -> None:
    codex = need("codex")
    _packwatch(tmp, "control", "budget", "--daily-usd", "0")
    _packwatch(tmp, "control", "enforce", "100", "block")
    result = codex_run(tmp, codex, [{"type": "text", "text": "hello"}], {}, "hello")
    assert result["requests"] == []  # refused before any model request
    (blocked,) = _events(tmp, "blocked")
    assert blocked["agent"] == "codex" and blocked["detail"]["tool"] == "prompt"


def test_codex_lists_the_registered_mcp_server(tmp: Path) -> None:
    codex = need("codex")
    _packwatch(tmp, "install", "codex", "--mcp")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home"), "CODEX_HOME": str(tmp / "codex")}
    proc = subprocess.run([str(codex), "mcp", "list"], env=env, capture_output=True, text=True, timeout=120)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("packwatch ")), "")
    assert " mcp " in line and "enabled" in line, proc.stdout + proc.stderr
