"""The smaller guards of issue 12, each through the real command: output targets that are not regular
files, days out of range, a typo'd config key, a held control lock, the store's permissions, a FIFO."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from filelock import FileLock

from dashboard.cli import main
from ledger.control import channel as control_channel
from tests.conftest import append, line
from tests.support.cli import ROOT, packwatch


@pytest.fixture
def flags(tmp_path: Path) -> list[str]:
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line() * 2)
    return ["--ledger", str(ledger), "--db", str(tmp_path / "data" / "store.duckdb")]


def test_output_is_never_a_symlink_fifo_or_device(tmp_path: Path, flags: list[str]) -> None:
    target = tmp_path / "real.json"
    target.write_text("keep me")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    for path, needle in ((link, "symbolic link"), (fifo, "not a regular file"), (Path("/dev/null"), "not a regular")):
        proc = packwatch("report", "--format", "json", "--output", str(path), "--force", *flags)
        assert proc.returncode == 2 and needle in proc.stderr, (path, proc.stderr)
        assert proc.stderr.count("\n") == 1
    assert target.read_text() == "keep me" and link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("since", ["1000000d", "99999999999999999999d", "0001-01-01", "9999-12-31"])
def test_days_out_of_range_are_one_line(flags: list[str], since: str) -> None:
    proc = packwatch("report", "--since", since, *flags)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_typo_in_the_config_file_names_the_setting_it_meant(tmp_path: Path, flags: list[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[budgts.all]\ndaily_usd = 5\n")
    proc = packwatch("status", "--config", str(config), *flags)
    assert proc.returncode == 2
    assert "unknown setting budgts" in proc.stderr and "did you mean budgets?" in proc.stderr
    config.write_text("[probes]\nintervall = 3\n")
    assert "did you mean interval?" in packwatch("status", "--config", str(config), *flags).stderr


def test_a_held_control_lock_exits_1_not_2(tmp_path: Path, flags: list[str], monkeypatch) -> None:
    monkeypatch.setattr(control_channel, "LOCK_TIMEOUT_S", 0.3)
    folder = tmp_path / "agent"
    err = io.StringIO()
    with FileLock(folder / "control.lock"), redirect_stderr(err):
        code = main(["control", "review-only", "on", *flags])
    assert code == 1 and "held by another writer" in err.getvalue()


def test_a_new_store_is_private(tmp_path: Path, flags: list[str]) -> None:
    packwatch("collect", "--once", *flags, check=True)
    store = tmp_path / "data" / "store.duckdb"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700


def test_a_fifo_ledger_does_not_hang_a_command(tmp_path: Path) -> None:
    fifo = tmp_path / "usage.jsonl"
    os.mkfifo(fifo)
    for args in (["collect", "--once"], ["report", "--format", "json"], ["status"]):
        proc = packwatch(*args, "--ledger", str(fifo), "--db", str(tmp_path / "s.duckdb"))
        assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr, args


@pytest.mark.parametrize("name", ["usage.jsonl", "report.csv", "notes.txt"])
def test_db_naming_a_text_file_is_refused_and_the_file_kept(tmp_path: Path, flags: list[str], name: str) -> None:
    """DuckDB would open a .jsonl or .csv as a database of one view; `rebuild` must not move it aside."""
    text = tmp_path / name
    text.write_text(line() * 3)
    before = text.read_bytes()
    for args in (["status"], ["collect", "--once"], ["rebuild"]):
        proc = packwatch(*args, flags[0], flags[1], "--db", str(text))
        assert proc.returncode == 2, (args, proc.stderr)
        assert "not a packwatch store but a text file" in proc.stderr and proc.stderr.count("\n") == 1
    assert text.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["agent", name])


def test_a_config_nested_too_deep_is_one_line(tmp_path: Path, flags: list[str]) -> None:
    config = tmp_path / "deep.toml"
    config.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    proc = packwatch("status", *flags, "--config", str(config))
    assert proc.returncode == 2 and "nests too deeply" in proc.stderr and "Traceback" not in proc.stderr


def test_a_file_name_with_escapes_never_reaches_the_terminal_raw(tmp_path: Path) -> None:
    hostile = tmp_path / "usage\x1b]0;PWNED\x07\x1b[2J.jsonl"
    os.mkfifo(hostile)
    proc = packwatch("collect", "--once", "--ledger", str(hostile), "--db", str(tmp_path / "s.duckdb"))
    assert "not a regular file" in proc.stderr and "\x1b" not in proc.stderr and "\x07" not in proc.stderr


def test_control_files_stay_readable_by_others_after_the_store_opened(tmp_path: Path, flags: list[str]) -> None:
    """The store is private, but agents of other users read the controls (README): opening the store first
    does not make the audit log 0600."""
    old = os.umask(0o022)
    try:
        codes = [main(["collect", "--once", *flags]), main(["control", "review-only", "on", *flags])]
    finally:
        os.umask(old)
    assert codes == [0, 0]
    audit = tmp_path / "agent" / "controls.jsonl"
    assert stat.S_IMODE(audit.stat().st_mode) == 0o644


def test_status_and_report_without_a_team_never_load_psycopg(flags: list[str]) -> None:
    """Every status and report asks whether a team is in play; only a team loads the team store's modules."""
    code = ("import sys; from dashboard.cli import main; "
            f"codes = [main(['status', *{flags!r}]), main(['report', '--format', 'json', *{flags!r}])]; "
            "print(codes, 'psycopg' in sys.modules, 'ledger.team.connect' in sys.modules, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] == "[0, 0] False False", proc.stderr
