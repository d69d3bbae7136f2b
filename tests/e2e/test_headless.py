"""The headless commands (status, report, collect, control, rejected, config) run where Textual is not
installed: a meta-path finder refuses every ``textual`` import in a fresh interpreter, and each command
must still do its job and exit as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import append, line

ROOT = Path(__file__).resolve().parents[2]

WITHOUT_TEXTUAL = """
import sys
class NoTextual:
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual."):
            raise ImportError(f"No module named {name!r} (this test runs without Textual)")
        return None
sys.meta_path.insert(0, NoTextual())
from dashboard.cli import main
code = main(sys.argv[1:])
assert not any(m == "textual" or m.startswith("textual.") for m in sys.modules), "textual was imported"
sys.exit(code)
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_TEXTUAL, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.fixture
def flags(tmp_path: Path) -> list[str]:
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line(ts="2026-11-20T10:00:00") + line(ts="2026-11-20T11:00:00", model="claude-opus-4-5"))
    return ["--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb")]


def test_the_headless_commands_need_no_textual(flags: list[str]) -> None:
    collected = run("collect", "--once", *flags)
    assert collected.returncode == 0, collected.stderr
    assert "2 new rows" in collected.stdout
    report = run("report", "--format", "json", *flags)
    assert report.returncode == 0, report.stderr
    assert sum(d["requests"] for d in json.loads(report.stdout)["days"]) == 2
    status = run("status", "--json", *flags)
    assert status.returncode in (0, 10, 11), status.stderr
    assert json.loads(status.stdout)["exit_code"] == status.returncode
    control = run("control", "review-only", "on", *flags)
    assert control.returncode == 0, control.stderr
    shown = run("control", "show", "--json", *flags)
    assert json.loads(shown.stdout)["controls"]["review_only"] is True
    assert run("rejected", *flags).stdout.strip() == "no rejected lines"
    assert run("config", "--json", *flags).returncode == 0


def test_the_dashboard_without_textual_says_so_in_one_line(flags: list[str]) -> None:
    proc = run(*flags)
    assert proc.returncode == 2
    assert proc.stderr.startswith("packwatch: the dashboard needs Textual") and proc.stderr.count("\n") == 1
