"""One real Codex CLI run against the scripted Responses API (``tests.support.stubs.codex``), both inside the caller's
network namespace: ``python -m tests.support.codex_run SPEC.json`` (through ``tests.support.offline``).
SPEC: ``codex`` (the program), ``home`` (CODEX_HOME), ``work``, ``env``, ``args`` (after ``exec
--skip-git-repo-check -C WORK``), ``steps`` (stubs.codex script steps), ``headers`` (sent on every
response), ``config_extra`` (appended to config.toml) and ``out`` (exit code, stdout, stderr, requests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.stubs.codex import StubServer


def config_toml(port: int, extra: str = "") -> str:
    # What Codex 0.171.0 needs offline (research notes): a custom provider on the stub, no update
    # check, no analytics, no plugins or apps (else it runs git ls-remote at start).
    return f"""model = "gpt-5.5"
model_provider = "stub"
check_for_update_on_startup = false

[model_providers.stub]
name = "Stub"
base_url = "http://127.0.0.1:{port}/v1"
env_key = "STUB_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
apps = false
{extra}"""


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    home = Path(spec["home"])
    with StubServer(script=spec["steps"], headers=spec.get("headers")) as stub:
        config = home / "config.toml"
        kept = config.read_text() if config.exists() else ""
        marker = "# --- test provider ---\n"
        config.write_text(config_toml(stub.port, spec.get("config_extra", "")) + marker + kept.split(marker)[-1])
        env = {**spec["env"], "CODEX_HOME": str(home), "STUB_API_KEY": "dummy-key", "NO_COLOR": "1"}
        argv = [spec["codex"], "exec", "--skip-git-repo-check", "-C", spec["work"], *spec["args"]]
        try:
            proc = subprocess.run(argv, cwd=spec["work"], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=spec.get("timeout", 180))
            result = {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
        except subprocess.TimeoutExpired as exc:
            result = {"returncode": None, "stdout": str(exc.stdout), "stderr": f"timed out: {exc.stderr}"}
        result["requests"] = stub.responses_bodies
    Path(spec["out"]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
