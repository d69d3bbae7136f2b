"""``packwatch statusline``, ``packwatch hook`` and ``packwatch install`` through the real CLI: the
payloads are the exact shapes Claude Code 2.1.332 builds (tests/fixtures/claude_statusline/, captured
from real TUI runs: its ``h9r`` builder), bad input gets one line and the documented exit code, the
light path imports nothing heavy, and the status line's snapshots reach ``status --json`` once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "claude_statusline"
HEAVY = ("duckdb", "polars", "pydantic", "pydantic_settings", "textual", "msgspec", "httpx", "pyarrow", "argparse",
         "dataclasses", "typing", "platformdirs", "tomllib")


def run(args: list[str], stdin: str = "", env: dict | None = None,
        python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *python, "-m", "dashboard.cli", *args], input=stdin, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=ROOT, timeout=60)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ledger"
    folder.mkdir()
    (folder / "usage.jsonl").touch()
    monkeypatch.setenv("PACKWATCH_LEDGERS", str(folder / "usage.jsonl"))
    return folder


def payload(name: str, **rate_limits: tuple[float, int]) -> str:
    data = json.loads((FIXTURES / name).read_text())
    if rate_limits:
        data["rate_limits"] = {k: {"used_percentage": u, "resets_at": r} for k, (u, r) in rate_limits.items()}
    return json.dumps(data)


def test_the_light_path_imports_nothing_heavy(folder: Path) -> None:
    tool = json.dumps({"session_id": "s", "tool_name": "Write", "tool_input": {}})
    for args, stdin in ((["hook", "claude-code", "pre-tool-use"], tool),
                        (["statusline"], payload("example-oauth-with-rate_limits.json"))):
        proc = run(args, stdin, python=("-X", "importtime"))
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
        assert imported and not imported & set(HEAVY), imported & set(HEAVY)
        assert {"ledger.agent.steering", "json"} <= imported


def test_statusline_records_the_windows_once_and_status_shows_them(folder: Path) -> None:
    now = int(time.time())
    line = payload("example-oauth-with-rate_limits.json", five_hour=(42.7, now + 3600), seven_day=(95, now + 86400))
    first = run(["statusline"], line, env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert first.returncode == 0 and first.stdout.startswith("Opus 5.5 · 5h 43% ↻"), first
    assert "7d 95%" in first.stdout and "$0.02 session" in first.stdout
    run(["statusline"], line)  # the same update again writes nothing
    snapshots = [json.loads(x) for x in (folder / "quota.jsonl").read_text().splitlines()]
    assert [(s["window"], s["used_percent"], s["source"]) for s in snapshots] == [
        ("five_hour", 42.7, "agent"), ("seven_day", 95.0, "agent")]
    for _ in range(2):  # ingested exactly once
        status = run(["status", "--json"])
    assert status.returncode == 10, status.stderr  # a window at 90 % or more is a warning
    quota = json.loads(status.stdout)["quota"]
    for q in quota:
        q["resets_at"] = dt.datetime.fromisoformat(q["resets_at"]).timestamp()
    assert quota == [
        {"agent": "claude-code", "window": "five_hour", "used_percent": 42.7, "resets_at": now + 3600,
         "source": "agent"},
        {"agent": "claude-code", "window": "seven_day", "used_percent": 95.0, "resets_at": now + 86400,
         "source": "agent"}]


def test_a_window_at_100_percent_is_a_limit_and_a_past_reset_shows_reset(folder: Path) -> None:
    now = int(time.time())
    edges = payload("example-oauth-edges-42.7-and-100.json", five_hour=(30, now - 60), seven_day=(100, now + 600))
    run(["statusline"], edges)
    status = run(["status", "--json"])
    assert status.returncode == 11
    quota = {q["window"]: q for q in json.loads(status.stdout)["quota"]}
    assert quota["five_hour"]["used_percent"] == 0.0  # reset, never the old 30 %
    assert dt.datetime.fromisoformat(quota["five_hour"]["resets_at"]).timestamp() > now + 4 * 3600
    assert quota["seven_day"]["used_percent"] == 100.0
    text = run(["status"]).stdout
    assert "quota claude-code five_hour: reset" in text and "seven-day quota used up" in text


def test_an_api_key_payload_has_no_windows_but_keeps_the_session_cost(folder: Path) -> None:
    proc = run(["statusline"], payload("example-apikey-after-response.json"), env={"NO_COLOR": "1"})
    assert proc.returncode == 0 and "5h" not in proc.stdout and "session" in proc.stdout
    (snapshot,) = [json.loads(x) for x in (folder / "quota.jsonl").read_text().splitlines()]
    assert snapshot["window"] is None and snapshot["session_cost_usd"] > 0
    assert json.loads(run(["status", "--json"]).stdout)["quota"] == []


@pytest.mark.parametrize("stdin", ["", "not json", "[1]", '"text"'])
def test_a_bad_statusline_payload_prints_a_plain_line(folder: Path, stdin: str) -> None:
    proc = run(["statusline"], stdin)
    assert proc.returncode == 0 and proc.stdout == "packwatch: no status from Claude Code\n"
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_the_line_fits_the_width_and_says_review_only(folder: Path) -> None:
    (folder / "control.json").write_text('{"review_only": true}')
    now = int(time.time())
    line = payload("example-oauth-with-rate_limits.json", five_hour=(42, now + 3600), seven_day=(17, now + 86400))
    wide = run(["statusline"], line, env={"NO_COLOR": "1", "COLUMNS": "200"}).stdout.strip()
    narrow = run(["statusline"], line, env={"NO_COLOR": "1", "COLUMNS": "30"}).stdout.strip()
    assert wide.startswith("REVIEW-ONLY · Opus 5.5 · 5h 42%") and len(narrow) <= 30 and narrow.startswith("REVIEW-ONLY")
    coloured = run(["statusline"], line, env={"COLUMNS": "200"}).stdout
    assert "\x1b[1;31mREVIEW-ONLY\x1b[0m" in coloured


@pytest.mark.parametrize(("args", "stdin", "code", "says"), [
    (["hook", "claude-code", "pre-tool-use"], "", 1, "input was empty"),
    (["hook", "claude-code", "user-prompt-submit"], "{nope", 1, "not a JSON object"),
    (["hook", "claude-code", "explode"], "{}", 2, "unknown claude-code hook event"),
    (["hook", "gemini", "pre-tool-use"], "{}", 2, "unknown agent"),
    (["hook", "claude-code"], "{}", 2, "usage: packwatch hook AGENT EVENT"),
    (["hook", "claude-code", "pre-tool-use", "--frobnicate"], "{}", 2, "unknown option"),
])
def test_bad_hook_input_is_one_line(folder: Path, args: list[str], stdin: str, code: int, says: str) -> None:
    proc = run(args, stdin)
    assert proc.returncode == code and says in proc.stderr, proc
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_corrupt_control_file_keeps_review_only_on(folder: Path) -> None:
    tool = json.dumps({"session_id": "s", "tool_name": "Edit", "tool_input": {}})
    (folder / "control.json").write_text('{"review_only": true}')
    assert "deny" in run(["hook", "claude-code", "pre-tool-use"], tool).stdout
    (folder / "control.json").write_text("{broken")
    proc = run(["hook", "claude-code", "pre-tool-use"], tool)
    answer = json.loads(proc.stdout)["hookSpecificOutput"]
    assert proc.returncode == 0 and answer["permissionDecision"] == "deny"
    assert "cannot be read now" in answer["permissionDecisionReason"] and proc.stderr.count("\n") == 1
    bad = run(["hook", "claude-code", "pre-tool-use"], "")  # and a payload it cannot read is refused too
    assert bad.returncode == 2 and "review-only is on" in bad.stderr
    read = run(["hook", "claude-code", "pre-tool-use"], json.dumps({"tool_name": "Read", "tool_input": {}}))
    assert read.returncode == 0 and read.stdout == ""  # reads go through


def test_a_missing_folder_lets_everything_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKWATCH_LEDGERS", str(tmp_path / "nowhere" / "usage.jsonl"))
    proc = run(["hook", "claude-code", "pre-tool-use"], json.dumps({"tool_name": "Write"}))
    assert proc.returncode == 0 and proc.stdout == "" and "no packwatch folder" in proc.stderr
    assert not (tmp_path / "nowhere").exists()


def test_the_tools_review_only_refuses_are_configurable(folder: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[hooks.mutating_tools]\nclaude-code = ["Write"]\n')
    (folder / "control.json").write_text('{"review_only": true}')
    env = {"PACKWATCH_CONFIG": str(config)}
    bash = run(["hook", "claude-code", "pre-tool-use"], json.dumps({"tool_name": "Bash"}), env=env)
    write = run(["hook", "claude-code", "pre-tool-use"], json.dumps({"tool_name": "Write"}), env=env)
    assert bash.stdout == "" and "deny" in write.stdout
    assert run(["config", "--json"], env=env).returncode == 0  # the settings model takes the table too


def test_pre_compact_writes_a_compaction_event(folder: Path, tmp_path: Path) -> None:
    transcript = tmp_path / "session.jsonl"
    usage = {"input_tokens": 1200, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 5000,
             "output_tokens": 345}
    transcript.write_text(json.dumps({"type": "assistant", "message": {"usage": usage}}) + "\n")
    stdin = json.dumps({"session_id": "s9", "transcript_path": str(transcript), "hook_event_name": "PreCompact",
                        "trigger": "manual", "custom_instructions": None})
    proc = run(["hook", "claude-code", "pre-compact"], stdin)
    assert proc.returncode == 0 and proc.stdout == ""
    (event,) = [json.loads(x) for x in (folder / "events.jsonl").read_text().splitlines()]
    assert event["kind"] == "compaction" and event["session"] == "s9"
    assert event["detail"] == {"strategy": "manual", "before_tokens": 7545}


def test_install_keeps_every_other_key_and_is_idempotent(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    settings = cfg / "settings.json"
    mine = {"theme": "dark", "model": "opus", "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "echo mine"}]}]}}
    settings.write_text(json.dumps(mine))
    claude_json = {"hasCompletedOnboarding": True, "mcpServers": {"x": {"command": "y"}}}
    (cfg / ".claude.json").write_text(json.dumps(claude_json))
    env = {"CLAUDE_CONFIG_DIR": str(cfg)}
    assert run(["install", "claude-code", "--mcp"], env=env).returncode == 0
    once = settings.read_text()
    again = run(["install", "claude-code", "--mcp"], env=env)
    assert "already up to date" in again.stdout and settings.read_text() == once
    data = json.loads(once)
    assert data["theme"] == "dark" and data["model"] == "opus"
    assert data["hooks"]["PreToolUse"][0] == mine["hooks"]["PreToolUse"][0]
    assert data["statusLine"]["command"].endswith("statusline")
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"] == 10  # SessionEnd has 1.5 s without one
    assert {e for e in data["hooks"]} == {"PreToolUse", "UserPromptSubmit", "PreCompact", "SessionStart", "SessionEnd"}
    claude = json.loads((cfg / ".claude.json").read_text())
    assert claude["hasCompletedOnboarding"] and claude["mcpServers"]["x"] == {"command": "y"}
    assert claude["mcpServers"]["packwatch"]["args"][-1] == "mcp"
    assert len(list(cfg.glob("settings.json.packwatch-backup-*"))) == 1  # one backup: one change
    assert run(["install", "claude-code", "--uninstall"], env=env).returncode == 0
    assert json.loads(settings.read_text()) == mine
    assert "packwatch" not in json.loads((cfg / ".claude.json").read_text())["mcpServers"]


def test_install_leaves_a_broken_settings_file_alone(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{ not json")
    proc = run(["install", "claude-code"], env={"CLAUDE_CONFIG_DIR": str(tmp_path)})
    assert proc.returncode == 2 and "is not valid JSON" in proc.stderr and proc.stderr.count("\n") == 1
    assert (tmp_path / "settings.json").read_text() == "{ not json" and len(list(tmp_path.iterdir())) == 1


def test_a_config_budget_reached_blocks_through_the_summary(folder: Path, tmp_path: Path) -> None:
    """The hook reads no store: ``status`` (like the dashboard and ``collect``) leaves the summary it
    measures today's spend by; the config's budget and control.json's policy do the rest."""
    now = dt.datetime.now(dt.UTC)
    line = {"ts": now.isoformat(), "provider": "anthropic", "model": "claude-sonnet-4-5", "in": 200_000,
            "out": 20_000}
    (folder / "usage.jsonl").write_text(json.dumps(line) + "\n")
    config = tmp_path / "config.toml"
    config.write_text("[budgets.all]\ndaily_usd = 0.5\n")
    env = {"PACKWATCH_CONFIG": str(config), "PACKWATCH_DB": str(tmp_path / "s.duckdb")}
    prompt = json.dumps({"session_id": "s", "prompt": "go on"})
    assert run(["hook", "claude-code", "user-prompt-submit"], prompt, env=env).stdout == ""  # no summary yet
    assert run(["status"], env=env).returncode == 11
    summary = json.loads((folder / "packwatch-summary.json").read_text())
    assert summary["budgets"] == {"all": {"daily_usd": 0.5}} and summary["spend"]["all"]["cost_today"] > 0.5
    warned = json.loads(run(["hook", "claude-code", "user-prompt-submit"], prompt, env=env).stdout)
    assert "review-only because the all budget" in warned["hookSpecificOutput"]["additionalContext"]
    assert run(["control", "enforce", "100", "block"], env=env).returncode == 0
    refused = json.loads(run(["hook", "claude-code", "user-prompt-submit"], prompt, env=env).stdout)
    assert refused["decision"] == "block" and "all budget is at" in refused["reason"]


def test_codex_trust_hash_is_the_one_codex_computes() -> None:
    from dashboard.cli.install_codex import trust_hash

    # currentHash values `codex app-server` (0.171.0) reported for the research's hooks (hooks/list).
    command = "python3 /work/research/codex/tmp/runs/hooks/home/hook.py"
    assert trust_hash("pre_tool_use", "*", command, 30) == \
        "sha256:c5d727c255d6c2eb5069c90da88f415257d81933467fcbba0ab206e7ca3a9f88"
    assert trust_hash("user_prompt_submit", None, command, 30) == \
        "sha256:fb8e5887179668cd9e63e92a268e0a48fc2ad8911be6b6e1fea81572d3f04c24"


def test_install_codex_keeps_the_rest_and_takes_itself_out(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    config = 'model = "gpt-5.5"\n\n[features]\nplugins = false\n\n[hooks.state."/elsewhere/hooks.json:stop:0:0"]\n' \
             'trusted_hash = "sha256:abc"\n'
    (home / "config.toml").write_text(config)
    theirs = {"Stop": [{"hooks": [{"type": "command", "command": "x"}]}]}
    (home / "hooks.json").write_text(json.dumps({"hooks": theirs}))
    env = {"CODEX_HOME": str(home)}
    assert run(["install", "codex"], env=env).returncode == 0
    once = (home / "config.toml").read_text(), (home / "hooks.json").read_text()
    assert "already up to date" in run(["install", "codex"], env=env).stdout
    assert ((home / "config.toml").read_text(), (home / "hooks.json").read_text()) == once
    assert once[0].startswith(config) and once[0].count("trusted_hash") == 5
    hooks = json.loads(once[1])["hooks"]
    assert set(hooks) == {"Stop", "PreToolUse", "UserPromptSubmit", "SessionStart", "PreCompact"}
    assert run(["install", "codex", "--uninstall"], env=env).returncode == 0
    assert (home / "config.toml").read_text() == config
    assert json.loads((home / "hooks.json").read_text())["hooks"] == theirs
    (home / "config.toml").write_text("not = [toml")
    bad = run(["install", "codex"], env=env)
    assert bad.returncode == 2 and "not valid TOML" in bad.stderr
    assert (home / "config.toml").read_text() == "not = [toml"


def test_the_line_shows_todays_spend_against_the_budget(folder: Path) -> None:
    today = dt.datetime.now().astimezone().date().isoformat()
    (folder / "packwatch-summary.json").write_text(json.dumps({
        "version": 1, "date": today, "spend": {"all": {"cost_today": 3.2, "cost_month": 40}},
        "budgets": {"all": {"daily_usd": 10}}, "alert_levels": [50, 75, 90, 100], "quota": []}))
    line = payload("example-apikey-after-response.json")
    assert "$3.20/$10 today" in run(["statusline"], line, env={"NO_COLOR": "1"}).stdout
    (folder / "control.json").write_text('{"budgets": {"all": {"daily_usd": 4}}}')  # control.json's wins
    coloured = run(["statusline"], line).stdout
    assert "\x1b[33m$3.20/$4 today\x1b[0m" in coloured  # 80 %: the warning colour (75 % level)
