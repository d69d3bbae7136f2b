"""Faults from outside, with real processes: a writer rotating its ledger at full speed while a collector
follows it, and a disk that fills up under the store. Every count is checked against the lines written
(request ids ``n0`` ... ``nN``): lost 0, doubled 0."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.settings import load_settings
from ledger.store import Store
from tests.support.cli import ROOT, packwatch

pytestmark = pytest.mark.e2e


def stored_ids(db: Path, ledger: Path) -> list[str]:
    with Store.open(load_settings(ledgers=[ledger], db=db, timezone="UTC")) as store:
        return [r[0] for r in store.con.execute("SELECT request_id FROM usage").fetchall()]


def check(ids: list[str], written: int, context: str) -> None:
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    doubled = sum(c - 1 for c in counts.values() if c > 1)
    lost = sum(1 for i in range(written) if f"n{i}" not in counts)
    assert (lost, doubled) == (0, 0), f"{context}: lost {lost}, doubled {doubled} of {written}"


@pytest.mark.parametrize(("lines", "rotate_every"), [(3000, 0.2), (2000, 0.05)], ids=["every 0.2 s", "every 50 ms"])
def test_rotation_at_full_speed_loses_and_doubles_nothing(tmp_path: Path, lines: int, rotate_every: float) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    db = tmp_path / "store.duckdb"
    flags = ["--ledger", str(ledger), "--db", str(db)]
    collector = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "collect", *flags], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # following before the first line
        subprocess.run([sys.executable, "-m", "tests.support.writer", str(ledger), str(lines), "0.0005",
                        "--rotate-every", str(rotate_every)], cwd=ROOT, check=True, timeout=300)
        time.sleep(2)
    finally:
        collector.terminate()
        _, stderr = collector.communicate(timeout=30)
    assert "Traceback" not in stderr
    generations = len(list(ledger.parent.glob("usage.jsonl*")))
    assert generations > 5, "the writer did not rotate"
    packwatch("collect", "--once", *flags, check=True)  # anything the follower had not reached yet
    check(stored_ids(db, ledger), lines, f"{generations} generations")


def _tmpfs_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mkdir -p /tmp/pw-probe && mount -t tmpfs -o size=1m "
                            "tmpfs /tmp/pw-probe"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _tmpfs_allowed(), reason="this machine does not let a process mount a small tmpfs in its "
                                                  "own namespace (unshare -rm), so a full disk cannot be made")
def test_a_full_disk_is_one_line_keeps_what_was_committed_and_resumes(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f'mount -t tmpfs -o size=12m tmpfs "{disk}" && exec "$0" -m tests.support.diskfull "$1" "$2"'
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script, sys.executable, str(disk), str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["first"] == 0
    full = out["full"]
    assert full["code"] == 1 and "is full" in full["stderr"] and full["stderr"].count("\n") == 1, full
    follow = out["follow"]
    assert "Traceback" not in follow["stderr"] and follow["stderr"].count("is full") == 1, follow
    assert out["after"] == 0 and out["report_code"] == 0
    assert out["requests"] == out["written"]
