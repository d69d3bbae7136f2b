"""The console script ends its process itself after a command (``dashboard.cli.leave``: no interpreter
teardown): every byte it wrote still arrives, and its exit status is the command's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..conftest import append, line


def _packwatch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--ledger", str(tmp_path / "usage.jsonl"), "--db", str(tmp_path / "store.duckdb")]
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args, *flags], capture_output=True,
                          env=_env(), timeout=120)


def _env() -> dict[str, str]:
    """Output block-buffered, as for any user (PYTHONUNBUFFERED would hide a lost buffer)."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PACKWATCH_ANSWER_CACHE": "0"}


def test_a_long_answer_arrives_whole_with_its_status(tmp_path: Path) -> None:
    append(tmp_path / "usage.jsonl", "".join(line(ts=f"2026-11-{d:02d}T10:00:00", session=f"s{d}")
                                             for d in range(1, 29)))
    got = _packwatch(tmp_path, "report", "--format", "json", "--by", "session")
    assert got.returncode == 0, got.stderr
    assert len(json.loads(got.stdout)["sessions"]) == 28
    status = _packwatch(tmp_path, "status", "--json")
    assert status.returncode == json.loads(status.stdout)["exit_code"]


def test_bad_usage_is_still_exit_2_in_one_line(tmp_path: Path) -> None:
    append(tmp_path / "usage.jsonl", line())
    got = _packwatch(tmp_path, "report", "--since", "not-a-day")
    assert got.returncode == 2
    assert got.stderr.decode().count("\n") == 1 and b"Traceback" not in got.stderr


def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path) -> None:
    append(tmp_path / "usage.jsonl", line())
    flags = ["--ledger", str(tmp_path / "usage.jsonl"), "--db", str(tmp_path / "store.duckdb")]
    got = subprocess.run(f"{sys.executable} -m dashboard.cli report --format json {' '.join(flags)} | head -c 5",
                         shell=True, capture_output=True, env=_env(), timeout=120)
    assert got.stdout == b'{\n  "' and b"Traceback" not in got.stderr
