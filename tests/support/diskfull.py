"""Run inside a mount namespace with a small tmpfs at ``argv[1]`` (``unshare -rm``): packwatch with its
store on that tmpfs fills it, is told so in one line, loses nothing, and resumes once space is freed.
Prints one JSON object with what happened, for ``tests/e2e/test_faults.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.writer import numbered_lines


def packwatch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True, timeout=120)


def fill(folder: Path) -> Path:
    ballast = folder / "ballast"
    with open(ballast, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
        except OSError:
            pass
    return ballast


def main() -> None:
    disk, work = Path(sys.argv[1]), Path(sys.argv[2])
    ledger = work / "usage.jsonl"
    flags = ["--ledger", str(ledger), "--db", str(disk / "store.duckdb")]
    out: dict = {}
    with open(ledger, "a") as fh:
        fh.write(numbered_lines(0, 1000))
    out["first"] = packwatch("collect", "--once", *flags).returncode
    ballast = fill(disk)
    with open(ledger, "a") as fh:
        fh.write(numbered_lines(1000, 40000))
    full = packwatch("collect", "--once", *flags)
    out["full"] = {"code": full.returncode, "stderr": full.stderr}
    follower = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "collect", *flags], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    with open(ledger, "a") as fh:
        fh.write(numbered_lines(41000, 500))
    time.sleep(3)
    ballast.unlink()
    time.sleep(6)  # the follow loop reopens the store and reads on
    follower.terminate()
    stdout, stderr = follower.communicate(timeout=30)
    out["follow"] = {"stdout": stdout, "stderr": stderr}
    out["after"] = packwatch("collect", "--once", *flags).returncode
    report = packwatch("report", "--format", "json", *flags)
    out["report_code"] = report.returncode
    out["requests"] = sum(d["requests"] for d in json.loads(report.stdout)["days"]) if report.returncode == 0 else None
    out["written"] = 41500
    os.sync()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
