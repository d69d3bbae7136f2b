"""An agent's real CLI run against its scripted model server, both inside one command, so a test runs
the whole thing where only loopback is reachable (``tests.support.offline.offline``)::

    python -m tests.support.agent_runs AGENT WORKDIR

``WORKDIR/home`` is the agent's HOME (its config folder inside), ``WORKDIR/proj`` the project it works
in. ``WORKDIR/run.json`` gets what the stub sent (``sent``: one record per model response, as the
stub logged it) and each CLI invocation (``runs``: argv, exit code, stdout, stderr). The stubs are the
research team's (``tests/support/stubs``); each agent's set-up is the one its research notes verified.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.clis import path as cli_path

TIMEOUT = 240
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


def _run(argv: list[str], env: dict[str, str], cwd: Path, runs: list[dict]) -> None:
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL)
        runs.append({"argv": argv, "returncode": p.returncode, "stdout": p.stdout[-4000:],
                     "stderr": p.stderr[-4000:]})
    except subprocess.TimeoutExpired as exc:
        runs.append({"argv": argv, "returncode": None, "stdout": "", "stderr": f"timed out: {exc}"})


def _program(name: str) -> str:
    found = cli_path(name)
    if found is None:
        raise SystemExit(f"{name} is not installed: run `make clis`")
    return str(found)


# -- Claude Code -----------------------------------------------------------------------------------

SUBAGENT_MARK = "SUBAGENT-TASK-7f3a: list nothing and answer"


def _claude_subagent(body: dict, script) -> object:
    """The subagent's own requests (its prompt is the mark): Bash, then text. The main loop's: None."""
    from tests.support.stubs.claude import Reply, Usage, first_user_text, tool_results

    if SUBAGENT_MARK not in first_user_text(body):
        return None
    if not tool_results(body):
        return Reply.tool("Bash", {"command": "echo from-subagent", "description": "echo"},
                          usage=Usage(900, 40, cache_read=3000, cache_5m=100, cache_1h=0))
    return Reply.text("Subagent result: nothing to list.",
                      usage=Usage(1000, 30, cache_read=3100, cache_5m=0, cache_1h=50))


def claude(work: Path) -> tuple[list[dict], list[dict]]:
    """A subagent (Agent tool, foreground, running Bash), then ``/compact`` (a summary call Claude Code
    logs only in its cost-state), then one more prompt: three processes on one session."""
    from tests.support.stubs.claude import Reply, Script, StubServer, Usage

    home, cfg, proj = work / "home", work / "home" / ".claude", work / "proj"
    main = [
        Reply.tool("Agent", {"description": "Check things", "prompt": SUBAGENT_MARK,
                             "subagent_type": "general-purpose", "run_in_background": False},
                   usage=Usage(1200, 345, cache_read=5000, cache_5m=700, cache_1h=300, thinking=120)),
        Reply.text("Main: the subagent is done.", usage=Usage(1500, 56, cache_read=6000, cache_1h=200)),
        Reply.text("After the compaction.", usage=Usage(2500, 80, cache_read=4000, cache_1h=600, thinking=20)),
    ]
    script = Script(main, default=Reply.text("ok", usage=Usage(50, 5)), responder=_claude_subagent)
    script.compaction = Reply.text("<analysis>stub</analysis>\n<summary>Stub summary.</summary>",
                                   usage=Usage(3000, 200, cache_read=100))
    runs: list[dict] = []
    with StubServer(script, work / "stub") as srv:
        env = {"PATH": BASE_PATH, "HOME": str(home), "CLAUDE_CONFIG_DIR": str(cfg), "LANG": "C.UTF-8",
               "ANTHROPIC_BASE_URL": srv.base_url, "ANTHROPIC_API_KEY": "sk-ant-api03-dummy-stub-key-0000000000",
               "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1", "DISABLE_AUTOUPDATER": "1",
               "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        program = _program("claude")
        _run([program, "-p", "delegate a check", "--allowedTools", "Agent Bash"], env, proj, runs)
        _run([program, "-p", "/compact", "--continue"], env, proj, runs)
        _run([program, "-p", "one more thing", "--continue"], env, proj, runs)
        sent = list(srv.usages)
    return sent, runs


# -- Codex -----------------------------------------------------------------------------------------

CODEX_CONFIG = """model = "gpt-5.5"
model_provider = "stub"
check_for_update_on_startup = false

[model_providers.stub]
name = "Stub"
base_url = "{base_url}"
env_key = "STUB_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
apps = false
"""


def codex(work: Path) -> tuple[list[dict], list[dict]]:
    """A command, a patch and an answer (cached input, cache writes, reasoning), then ``exec resume``."""
    from tests.support.stubs.codex import StubServer, make_usage

    home, proj = work / "home" / ".codex", work / "proj"
    script = [
        {"type": "function_call", "name": "exec_command", "arguments": {"cmd": "echo hi-from-tool"},
         "reasoning": "I will run a command.",
         "usage": make_usage(2000, cached_tokens=1500, cache_write_tokens=300, output_tokens=50, reasoning_tokens=20)},
        {"type": "custom_tool_call", "name": "apply_patch",
         "input": "*** Begin Patch\n*** Add File: hello.txt\n+hello patch\n*** End Patch\n",
         "usage": make_usage(2600, cached_tokens=2000, output_tokens=60)},
        {"type": "text", "text": "All done (turn 1)",
         "usage": make_usage(3000, cached_tokens=2500, cache_write_tokens=100, output_tokens=30, reasoning_tokens=5)},
        {"type": "text", "text": "Resumed answer (turn 2)",
         "usage": make_usage(3500, cached_tokens=3000, output_tokens=25)},
    ]
    runs: list[dict] = []
    with StubServer(script=script) as srv:
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(CODEX_CONFIG.format(base_url=srv.base_url))
        env = {"PATH": BASE_PATH, "HOME": str(work / "home"), "CODEX_HOME": str(home), "STUB_API_KEY": "dummy-key",
               "NO_COLOR": "1"}
        program = _program("codex")
        _run([program, "exec", "--skip-git-repo-check", "-C", str(proj), "-s", "workspace-write",
              "create hello.txt and run a command"], env, proj, runs)
        _run([program, "exec", "--skip-git-repo-check", "-C", str(proj), "resume", "--last", "second prompt"],
             env, proj, runs)
        sent = list(srv.sent_usage)
    return sent, runs


# -- Gemini CLI ------------------------------------------------------------------------------------

def gemini(work: Path) -> tuple[list[dict], list[dict]]:
    """The main agent delegates to the codebase_investigator subagent, which reads a file."""
    from tests.support.stubs.gemini import SCENARIOS, StubGemini

    home, proj = work / "home", work / "proj"
    settings = {"security": {"auth": {"selectedType": "gemini-api-key"}}, "telemetry": {"enabled": False},
                "privacy": {"usageStatisticsEnabled": False},
                "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False}}
    (home / ".gemini").mkdir(parents=True, exist_ok=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
    runs: list[dict] = []
    with StubGemini(script=SCENARIOS["subagent"]) as srv:
        env = {"PATH": BASE_PATH, "HOME": str(home), "TERM": "dumb", "GEMINI_CLI_TRUST_WORKSPACE": "true",
               "GEMINI_API_KEY": "dummy-key", "GOOGLE_GEMINI_BASE_URL": srv.url}
        _run([_program("gemini"), "-p", "Investigate the codebase: what does hello.txt say?"], env, proj, runs)
        sent = list(srv.records)
    return sent, runs


# -- Qwen Code -------------------------------------------------------------------------------------

def qwen(work: Path) -> tuple[list[dict], list[dict]]:
    """The main agent starts a general-purpose subagent (in the background), which reads a file."""
    from tests.support.stubs.qwen import SCENARIOS, StubQwen

    home, proj = work / "home", work / "proj"
    settings = {"security": {"auth": {"selectedType": "openai"}}, "telemetry": {"enabled": False},
                "privacy": {"usageStatisticsEnabled": False}, "general": {"enableAutoUpdate": False}}
    (home / ".qwen").mkdir(parents=True, exist_ok=True)
    (home / ".qwen" / "settings.json").write_text(json.dumps(settings))
    runs: list[dict] = []
    with StubQwen(script=SCENARIOS["subagent"], cwd=str(proj)) as srv:
        env = {"PATH": BASE_PATH, "HOME": str(home), "TERM": "dumb", "OPENAI_API_KEY": "dummy-key",
               "OPENAI_BASE_URL": f"{srv.url}/v1", "OPENAI_MODEL": "qwen3-coder-plus"}
        _run([_program("qwen"), "-p", "Read hello.txt with a subagent and tell me."], env, proj, runs)
        sent = list(srv.records)
    return sent, runs


# -- OpenCode --------------------------------------------------------------------------------------

def opencode(work: Path) -> tuple[list[dict], list[dict]]:
    """A subagent (the task tool) running bash, then a continued session running bash itself."""
    from tests.support.stubs.openai_compat import StubServer

    home, proj = work / "home", work / "proj"
    config = home / ".config" / "opencode"
    config.mkdir(parents=True, exist_ok=True)
    runs: list[dict] = []
    with StubServer(tool_preference=("task", "bash")) as srv:
        (config / "opencode.json").write_text(json.dumps({
            "$schema": "https://opencode.ai/config.json",
            "provider": {"stub": {"npm": "@ai-sdk/openai-compatible", "name": "Stub",
                                  "options": {"baseURL": srv.base_url, "apiKey": "dummy-key"},
                                  "models": {"stub-model": {
                                      "name": "Stub Model",
                                      "cost": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75},
                                      "limit": {"context": 200000, "output": 8192}}}}},
            "model": "stub/stub-model", "small_model": "stub/stub-model", "autoupdate": False, "share": "disabled"}))
        env = {"PATH": BASE_PATH, "HOME": str(home), "OPENCODE_DISABLE_AUTOUPDATE": "1",
               "OPENCODE_DISABLE_MODELS_FETCH": "1", "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
               "OPENCODE_DISABLE_SHARE": "1"}
        program = _program("opencode")
        _run([program, "run", "[use-subagent] Delegate an echo to a subagent, then answer."], env, proj, runs)
        _run([program, "run", "-c", "Run echo via bash, then answer."], env, proj, runs)
        sent = list(srv.sent)
    return sent, runs


# -- GitHub Copilot CLI ----------------------------------------------------------------------------

def copilot(work: Path) -> tuple[list[dict], list[dict]]:
    """A bring-your-own-key run (no GitHub login, offline mode): a shell call, then an answer; its
    OpenTelemetry file export on too (the same calls, which must count once)."""
    from tests.support.stubs.openai_compat import StubServer

    home, proj = work / "home", work / "proj"
    runs: list[dict] = []
    with StubServer(models=("gpt-4.1",)) as srv:
        env = {"PATH": BASE_PATH, "HOME": str(home), "COPILOT_HOME": str(home / ".copilot"),
               "COPILOT_OFFLINE": "true", "COPILOT_AUTO_UPDATE": "false",
               "COPILOT_PROVIDER_BASE_URL": srv.base_url, "COPILOT_PROVIDER_API_KEY": "dummy-key",
               "COPILOT_MODEL": "gpt-4.1", "COPILOT_OTEL_FILE_EXPORTER_PATH": str(work / "otel.jsonl")}
        _run([_program("copilot"), "-p", "Run echo via the shell tool, then answer.", "--allow-all-tools"],
             env, proj, runs)
        sent = list(srv.sent)
    return sent, runs


AGENTS: dict[str, Callable[[Path], tuple[list[dict], list[dict]]]] = {
    "claude": claude, "codex": codex, "gemini": gemini, "qwen": qwen, "opencode": opencode, "copilot": copilot,
}


def main() -> int:
    agent, work = sys.argv[1], Path(sys.argv[2])
    for folder in ("home", "proj"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    (work / "proj" / "hello.txt").write_text("hello from the project file\n")
    os.chdir(work / "proj")
    sent, runs = AGENTS[agent](work)
    (work / "run.json").write_text(json.dumps({"sent": sent, "runs": runs}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
