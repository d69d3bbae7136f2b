"""The real Codex CLI (0.171.0) against a scripted Responses API that sends the rate-limit headers
Codex reads (``x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at}``,
codex-rs/codex-api/src/rate_limits.rs): Codex writes them into its rollout's ``token_count`` events,
and ``packwatch status --json`` then shows its windows, named by their length."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.clis import need
from tests.support.offline import offline
from tests.support.stubs.codex import rate_limit_headers

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def codex_run(tmp: Path, codex: Path, steps: list[dict], headers: dict[str, str], prompt: str, *args: str) -> dict:
    n = len(list(tmp.glob("codex-run-*.json")))
    spec, out = tmp / f"codex-run-{n}.json", tmp / f"codex-out-{n}.json"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home")}
    spec.write_text(json.dumps({"codex": str(codex), "home": str(tmp / "codex"), "work": str(tmp / "work"),
                                "env": env, "args": [*args, prompt], "steps": steps, "headers": headers,
                                "out": str(out)}))
    proc = offline([sys.executable, "-m", "tests.support.codex_run", str(spec)], timeout=240, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["returncode"] == 0, result["stderr"]
    return result


def test_status_shows_the_windows_codex_was_sent(tmp_path: Path) -> None:
    codex = need("codex")
    for name in ("home", "codex", "work"):
        (tmp_path / name).mkdir()
    now = int(time.time())
    headers = rate_limit_headers(primary_used_percent=12.5, primary_window_minutes=300, primary_reset_at=now + 3600,
                                 secondary_used_percent=40.0, secondary_window_minutes=10080,
                                 secondary_reset_at=now + 5 * 86400, credits=(True, False, "17.50"))
    codex_run(tmp_path, codex, [{"type": "text", "text": "hello"}], headers, "say hello")
    rollouts = list((tmp_path / "codex" / "sessions").rglob("rollout-*.jsonl"))
    assert rollouts and b'"rate_limits"' in rollouts[0].read_bytes()

    env = {**os.environ, "CODEX_HOME": str(tmp_path / "codex"), "PACKWATCH_LEDGERS": str(tmp_path / "ledger.jsonl"),
           "PACKWATCH_DB": str(tmp_path / "store.duckdb")}
    for _ in range(2):  # a second pass counts nothing again
        status = subprocess.run([sys.executable, "-m", "dashboard.cli", "status", "--json"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    quota = json.loads(status.stdout)["quota"]
    assert status.returncode in (0, 10), status.stderr
    for q in quota:
        q["resets_at"] = dt.datetime.fromisoformat(q["resets_at"]).timestamp()
    assert quota == [
        {"agent": "codex", "window": "five_hour", "used_percent": 12.5, "resets_at": now + 3600, "source": "agent"},
        {"agent": "codex", "window": "seven_day", "used_percent": 40.0, "resets_at": now + 5 * 86400,
         "source": "agent"}]
