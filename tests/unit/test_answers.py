"""A kept ``packwatch report`` answer (dashboard.cli.answers) is served only while it is proven current:
a line appended, the config changed, the store written by someone else, the day changed, or a block
closing makes the next report a computed one."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dashboard.cli import answers, main
from dashboard.cli import report as report_cmd

from ..conftest import TZ, append, line

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "agents"
OLD = time.time() - 3600


def _age(*roots: Path) -> None:
    """Every file and folder under ``roots`` last changed an hour ago (a kept answer needs quiet inputs)."""
    for root in roots:
        os.utime(root, (OLD, OLD))
        for folder, _, names in os.walk(root):
            for name in names:
                os.utime(Path(folder) / name, (OLD, OLD))
            os.utime(folder, (OLD, OLD))


@pytest.fixture
def run(tmp_path: Path, ledger: Path, monkeypatch: pytest.MonkeyPatch):
    """``packwatch report --format json`` in process: (stdout, stderr, whether the report was computed)."""
    monkeypatch.setenv("TZ", TZ)
    built = []
    real = report_cmd.build_report

    def spy(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_cmd, "build_report", spy)
    argv = ["report", "--format", "json", "--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb"),
            "--config", str(tmp_path / "config.toml")]

    def go(*extra: str) -> tuple[dict, str, bool]:
        built.clear()
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            assert main([*argv, *extra]) == 0, err.getvalue()
        return json.loads(out.getvalue()), err.getvalue(), bool(built)

    return go


@pytest.fixture
def quiet(tmp_path: Path, ledger: Path):
    append(ledger, line(ts="2026-11-20T10:00:00") + line(ts="2026-11-20T11:00:00", out=50))
    (tmp_path / "config.toml").write_text("")

    def settle() -> None:
        _age(ledger.parent, tmp_path / "config.toml")

    settle()
    return settle


def test_a_second_report_is_served_the_same_and_the_first_computed(run, quiet) -> None:
    first, err1, computed1 = run()
    second, err2, computed2 = run()
    assert computed1 and not computed2
    assert {k: v for k, v in first.items() if k != "generated_at"} == {k: v for k, v in second.items()
                                                                       if k != "generated_at"}
    assert second["generated_at"] >= first["generated_at"]
    assert err1 == err2


def test_a_line_appended_is_read_and_counted(run, quiet, ledger: Path) -> None:
    run()
    append(ledger, line(ts="2026-11-20T12:00:00", out=7))
    doc, _, computed = run()
    assert computed and doc["totals"]["requests"] == 3 and doc["totals"]["output_tokens"] == 157
    quiet()
    assert run()[0]["totals"]["requests"] == 3  # and the answer kept again says so too


def test_a_new_ledger_file_in_a_folder_is_found(run, quiet, ledger: Path) -> None:
    run("--ledger", str(ledger.parent))
    append(ledger.parent / "usage-2.jsonl", line(ts="2026-11-21T10:00:00"))
    os.utime(ledger.parent / "usage-2.jsonl", (OLD, OLD))  # even a file with an old mtime: its folder moved
    doc, _, computed = run("--ledger", str(ledger.parent))
    assert computed and doc["totals"]["requests"] == 3


def test_a_changed_config_is_applied(run, quiet, tmp_path: Path) -> None:
    run()
    (tmp_path / "config.toml").write_text("[budgets.all]\ndaily_usd = 12.5\n")
    os.utime(tmp_path / "config.toml", (OLD, OLD))
    doc, _, computed = run()
    assert computed and doc["budget"]["daily_usd"] == 12.5


def test_a_store_written_by_another_command_is_asked_again(run, quiet, tmp_path: Path) -> None:
    run()
    assert main(["rebuild", "--ledger", str(tmp_path / "agent" / "usage.jsonl"),
                 "--db", str(tmp_path / "store.duckdb"), "--config", str(tmp_path / "config.toml")]) == 0
    assert run()[2]


def test_the_next_day_or_a_closing_block_computes_again(run, quiet, monkeypatch: pytest.MonkeyPatch) -> None:
    run()
    assert not run()[2]
    entry = json.loads(next((Path(os.environ["HOME"]) / ".cache" / "packwatch" / "answers").glob("*.json"))
                       .read_text())
    zone = ZoneInfo(entry["timezone"])  # the settings' zone: where "today" is
    midnight = dt.datetime.combine(dt.datetime.fromtimestamp(entry["now"], zone).date() + dt.timedelta(days=1),
                                   dt.time(), zone)
    assert entry["valid_until"] <= midnight.timestamp()
    monkeypatch.setattr(answers, "clock", lambda: entry["valid_until"] + 1)
    assert run()[2]


def test_a_fresh_file_keeps_no_answer(run, ledger: Path, tmp_path: Path) -> None:
    append(ledger, line())  # written just now: a line appended in the same clock tick would not move it
    run()
    assert run()[2]


def test_switched_off(run, quiet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKWATCH_ANSWER_CACHE", "0")
    run()
    assert run()[2]


def test_a_claude_code_session_line_appended_is_counted(run, quiet, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code" / "task" / "projects", claude / "projects")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    _age(claude)
    first, _, _ = run()
    assert not run()[2]
    session = next((claude / "projects").glob("*/*.jsonl"))
    lines = session.read_text().splitlines(keepends=True)
    usage = next(x for x in lines if '"usage"' in x and '"assistant"' in x)
    rec = json.loads(usage)
    rec["message"]["id"], rec["requestId"], rec["uuid"] = "msg_appended", "req_appended", "u-appended"
    append(session, json.dumps(rec) + "\n")
    _age(claude)  # an hour old: the size alone says it grew
    doc, _, computed = run()
    assert computed and doc["totals"]["requests"] == first["totals"]["requests"] + 1
