"""The real Claude Code CLI (2.1.332), headless, steered through packwatch's hooks.

``packwatch install claude-code`` writes the hooks into ``$CLAUDE_CONFIG_DIR/settings.json``; then
``claude -p`` runs with HOME and CLAUDE_CONFIG_DIR in a temporary folder against a scripted Messages
API on 127.0.0.1, both inside ``unshare -rn`` (only loopback reachable). The model asks for a
``Write``: with review-only off the file is written; after ``packwatch control review-only on`` the
file is unchanged, the tool result the model gets back is packwatch's reason, events.jsonl has the
``blocked`` event and the ``control_ack``, and ``packwatch control show`` says applied. A prompt is
refused by the ``block`` budget policy before any model request.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.clis import need
from tests.support.offline import offline

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@dataclass
class Rig:
    tmp: Path
    program: Path

    @property
    def ledger(self) -> Path:
        return self.tmp / "ledger" / "usage.jsonl"

    @property
    def folder(self) -> Path:
        return self.ledger.parent

    @property
    def env(self) -> dict[str, str]:
        return {"PATH": os.environ["PATH"], "HOME": str(self.tmp / "home"), "CLAUDE_CONFIG_DIR": str(self.tmp / "cfg"),
                "PACKWATCH_CONFIG": str(self.tmp / "no-config.toml"), "ANTHROPIC_API_KEY": "sk-ant-api03-dummy",
                "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1", "DISABLE_AUTOUPDATER": "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "XDG_DATA_HOME": str(self.tmp / "home" / "data")}

    def packwatch(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                              env=self.env, cwd=ROOT, timeout=120)
        assert not check or proc.returncode == 0, proc.stderr
        return proc

    def events(self, kind: str) -> list[dict]:
        path = self.folder / "events.jsonl"
        lines = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
        return [e for e in lines if e["kind"] == kind]

    def claude(self, scenario: str, prompt: str, *args: str) -> dict:
        n = len(list(self.tmp.glob("run-*.json")))
        spec = self.tmp / f"run-{n}.json"
        out = self.tmp / f"out-{n}.json"
        spec.write_text(json.dumps({
            "claude": str(self.program), "cwd": str(self.tmp / "project"), "env": self.env, "scenario": scenario,
            "args": ["-p", prompt, *args], "record_dir": str(self.tmp / f"stub-{n}"), "out": str(out)}))
        proc = offline([sys.executable, "-m", "tests.support.claude_run", str(spec)], timeout=240, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stderr
        return json.loads(out.read_text())


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    rig = Rig(tmp_path, need("claude"))
    for name in ("home", "cfg", "project", "ledger"):
        (tmp_path / name).mkdir()
    rig.ledger.touch()
    rig.packwatch("install", "claude-code", "--ledger", str(rig.ledger))
    return rig


def tool_results(result: dict) -> list[dict]:
    """Every tool_result block the model was sent."""
    found = []
    for request in result["requests"]:
        for message in request["body"].get("messages", []):
            content = message.get("content")
            if isinstance(content, list):
                found += [b for b in content if b.get("type") == "tool_result"]
    return found


def test_review_only_refuses_the_write(rig: Rig) -> None:
    target = rig.tmp / "project" / "notes.txt"
    first = rig.claude(f"write:{target}", "write the notes", "--allowedTools", "Write")
    assert first["returncode"] == 0, first["stderr"]
    assert target.read_text() == "written by stub\n"  # review-only off: the Write ran
    target.write_text("before\n")

    rig.packwatch("control", "--ledger", str(rig.ledger), "review-only", "on")
    second = rig.claude(f"write:{target}", "write the notes", "--allowedTools", "Write")
    assert second["returncode"] == 0, second["stderr"]
    assert target.read_text() == "before\n"
    (result,) = tool_results(second)
    text = json.dumps(result["content"])
    assert result.get("is_error") and "packwatch: review-only mode is on" in text, result
    assert "packwatch control review-only off" in text

    (blocked,) = rig.events("blocked")
    assert blocked["agent"] == "claude-code" and blocked["detail"]["tool"] == "Write"
    change_id = json.loads(rig.packwatch("control", "--ledger", str(rig.ledger), "show", "--json").stdout)
    acks = [e for e in rig.events("control_ack") if e["detail"]["action"] == "review-only"]
    assert acks and acks[-1]["agent"] == "claude-code" and acks[-1]["detail"]["result"] == "applied"
    shown = [c for c in change_id["changes"] if c["change"]["action"] == "review-only"]
    assert shown[0]["state"] == "applied" and shown[0]["agent"] == "claude-code", shown


def test_block_policy_refuses_the_prompt(rig: Rig) -> None:
    led = ["--ledger", str(rig.ledger)]
    rig.packwatch("control", *led, "budget", "--daily-usd", "0")  # a zero budget is spent at once
    rig.packwatch("control", *led, "enforce", "100", "block")
    result = rig.claude("text", "hello there")
    assert result["returncode"] == 0, result["stderr"]
    assert result["requests"] == []  # refused before any model request
    assert "UserPromptSubmit operation blocked by hook" in result["stdout"]
    assert "block policy refuses new prompts" in result["stdout"] and "packwatch control budget" in result["stdout"]
    (blocked,) = rig.events("blocked")
    assert blocked["agent"] == "claude-code" and blocked["detail"]["tool"] == "prompt"
    acked = {e["detail"]["action"]: e["detail"]["result"] for e in rig.events("control_ack")}
    assert acked == {"budget": "applied", "enforce": "applied"}


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_tui_runs_packwatchs_status_line(rig: Rig) -> None:
    """A subscriber login (CLAUDE_CODE_OAUTH_TOKEN, no API key: research §3) gets ``rate_limits`` after
    the first response; the installed status line shows them and records them for ``status``."""
    env = {k: v for k, v in rig.env.items() if k != "ANTHROPIC_API_KEY"}
    env.update({"CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat01-dummy-stub-token", "TERM": "xterm-256color",
                "NO_COLOR": "1"})
    spec, out = rig.tmp / "tui.json", rig.tmp / "tui-out.json"
    spec.write_text(json.dumps({"claude": str(rig.program), "cwd": str(rig.tmp / "project"),
                                "cfg": str(rig.tmp / "cfg"),
                                "env": env, "rate_limits": [0.42, 0.17], "prompt": "hello", "expect": "5h 42%",
                                "record_dir": str(rig.tmp / "stub-tui"), "out": str(out)}))
    proc = offline([sys.executable, "-m", "tests.support.claude_tui", str(spec)], timeout=300, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["ready"] and result["requests"] >= 1, result
    assert result["shown"], result["screen"]
    assert "7d 17%" in result["screen"]
    status = json.loads(rig.packwatch("status", "--ledger", str(rig.ledger), "--json", check=False).stdout)
    assert {(q["window"], q["used_percent"], q["source"]) for q in status["quota"]} == {
        ("five_hour", 42.0, "agent"), ("seven_day", 17.0, "agent")}


def test_claude_code_connects_to_the_registered_mcp_server(rig: Rig) -> None:
    rig.packwatch("install", "claude-code", "--mcp", "--ledger", str(rig.ledger))
    proc = offline([str(rig.program), "mcp", "list"], timeout=120, cwd=rig.tmp / "project", env=rig.env)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("packwatch")), "")
    assert "Connected" in line, proc.stdout + proc.stderr
