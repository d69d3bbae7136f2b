"""One real Claude Code run against the scripted Messages API (``tests.support.stubs.claude``), both inside the
caller's network namespace: ``python -m tests.support.claude_run SPEC.json`` (run through
``tests.support.offline.offline``). SPEC: ``claude`` (the program), ``cwd``, ``env``, ``args``,
``scenario`` (``stubs.claude.scenario``: ``text``, ``write:PATH``...), optional ``rate_limits``
[five_hour, seven_day] utilizations, ``record_dir`` and ``out`` (where the result goes: exit code,
stdout, stderr, and every request the stub received)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.stubs.claude import StubServer, scenario


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    script = scenario(spec["scenario"])
    if spec.get("rate_limits"):
        script.rate_limits(*spec["rate_limits"])
    with StubServer(script, spec["record_dir"]) as stub:
        env = {**spec["env"], "ANTHROPIC_BASE_URL": stub.base_url}
        try:
            proc = subprocess.run([spec["claude"], *spec["args"]], cwd=spec["cwd"], env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=spec.get("timeout", 180))
            result = {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
        except subprocess.TimeoutExpired as exc:
            result = {"returncode": None, "stdout": str(exc.stdout), "stderr": f"timed out: {exc.stderr}"}
        result["requests"] = stub.messages_requests()
    Path(spec["out"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
