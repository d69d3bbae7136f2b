"""The real Claude Code TUI in a private tmux server, against the scripted Messages API, both inside
the caller's network namespace: ``python -m tests.support.claude_tui SPEC.json``. The status line only
runs in the TUI (never in ``-p``). SPEC: ``claude``, ``cwd``, ``cfg`` (CLAUDE_CONFIG_DIR), ``env``,
``rate_limits`` [five_hour, seven_day] utilizations, ``prompt``, ``expect`` (text the screen must show
after the answer), ``out`` (the last screen, whether ``expect`` showed, the requests)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.support.stubs.claude import Reply, Script, StubServer, Usage

SOCKET = "packwatch-cc"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True).stdout


def wait_for(needle: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if needle in tmux("capture-pane", "-p", "-t", "cc"):
            return True
        time.sleep(0.3)
    return False


def onboarded(cfg: Path, project: str) -> None:
    """What lets the TUI skip onboarding and the trust dialog (research: Claude Code 2.1.332); the
    status line runs only in a trusted workspace."""
    path = cfg / ".claude.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update({"hasCompletedOnboarding": True, "theme": "dark", "numStartups": 5,
                 "customApiKeyResponses": {"approved": [], "rejected": []},
                 "projects": {project: {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True,
                                        "allowedTools": []}}})
    path.write_text(json.dumps(data))


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    onboarded(Path(spec["cfg"]), spec["cwd"])
    script = Script([Reply.text("First answer.", usage=Usage(1200, 345, cache_read=5000))],
                    default=Reply.text("side answer", usage=Usage(50, 5))).rate_limits(*spec["rate_limits"])
    result: dict = {}
    with StubServer(script, spec.get("record_dir")) as stub:
        env = {**spec["env"], "ANTHROPIC_BASE_URL": stub.base_url}
        command = shlex.join(["env", "-i", *[f"{k}={v}" for k, v in env.items()], spec["claude"],
                              "--permission-mode", "acceptEdits"])
        tmux("new-session", "-d", "-s", "cc", "-x", "120", "-y", "36", "-c", spec["cwd"], command)
        try:
            result["ready"] = wait_for("\u276f", 60)
            time.sleep(2)
            tmux("send-keys", "-t", "cc", "-l", spec["prompt"])
            time.sleep(0.3)
            tmux("send-keys", "-t", "cc", "Enter")
            result["shown"] = wait_for(spec["expect"], 60)
            result["screen"] = tmux("capture-pane", "-p", "-t", "cc")
            tmux("send-keys", "-t", "cc", "-l", "/exit")
            time.sleep(0.3)
            tmux("send-keys", "-t", "cc", "Enter")
            time.sleep(2)
        finally:
            tmux("kill-server")
        result["requests"] = len(stub.messages_requests("main"))
    Path(spec["out"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
