"""The light path's cost (`make bench`, or `python bench/light.py` alone): ``packwatch hook`` and
``packwatch statusline`` as the agent runs them (a new process per call, JSON on stdin), each as a
ratio to a bare ``python -c pass`` of the same interpreter. DESIGN.md: a few tens of milliseconds,
at most 4x. Runs are interleaved so a busy machine slows all three alike; medians of RUNS each."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKWATCH = Path(sys.executable).with_name("packwatch")
PAYLOAD = ROOT / "tests" / "fixtures" / "claude_statusline" / "example-oauth-with-rate_limits.json"
RUNS = 30


def wall_ms(argv: list[str], stdin: bytes, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return (time.perf_counter() - start) * 1000


def measure() -> list[tuple[str, float, float]]:
    """(what, median ms, ratio to python -c pass)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "control.json").write_text(json.dumps({"review_only": True, "change_ids": {"review_only": "x"}}))
        env = {**os.environ, "PACKWATCH_CONTROL_DIR": str(folder), "PACKWATCH_CONFIG": str(folder / "none.toml")}
        tool = json.dumps({"session_id": "s", "tool_name": "Write", "tool_input": {"file_path": "/x"}}).encode()
        read = json.dumps({"session_id": "s", "tool_name": "Read", "tool_input": {"file_path": "/x"}}).encode()
        prompt = json.dumps({"session_id": "s", "prompt": "go"}).encode()
        hook = [str(PACKWATCH), "hook", "claude-code"]
        cases = {
            "python -c pass (baseline)": ([sys.executable, "-c", "pass"], b""),
            "hook claude-code pre-tool-use (Write refused)": ([*hook, "pre-tool-use"], tool),
            "hook claude-code pre-tool-use (Read, through)": ([*hook, "pre-tool-use"], read),
            "hook claude-code user-prompt-submit": ([*hook, "user-prompt-submit"], prompt),
            "statusline (OAuth payload, 2 windows)": ([str(PACKWATCH), "statusline"], PAYLOAD.read_bytes()),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(RUNS):
            for name, (argv, stdin) in cases.items():
                samples[name].append(wall_ms(argv, stdin, env))
    base = statistics.median(samples["python -c pass (baseline)"])
    return [(name, statistics.median(ms), statistics.median(ms) / base) for name, ms in samples.items()]


def main() -> int:
    print(f"light path: {RUNS} interleaved runs each, median wall time (target: a few tens of ms, <= 4x)")
    for name, ms, ratio in measure():
        verdict = "" if name.startswith("python") else ("ok" if ratio <= 4 else "MISSED")
        print(f"  {name:<48} {ms:6.1f} ms  {ratio:4.2f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
