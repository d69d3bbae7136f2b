"""The real ``packwatch`` command, run as a subprocess of this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def packwatch(*args: str, env: dict | None = None, check: bool = False,
              input_text: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True, input=input_text,
        env={**os.environ, **(env or {})}, cwd=ROOT, timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc
