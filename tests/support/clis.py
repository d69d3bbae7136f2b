"""The agents' real command-line programs, as the end-to-end tests run them.

Each is pinned (the version its formats were checked against, in the README) and installed by
``make clis`` into ``.cache/clis`` (``.ci/run`` does it on a fresh machine). A test that needs one
and does not find it skips, saying how to get it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER = Path(os.environ.get("PACKWATCH_CLIS", ROOT / ".cache" / "clis"))

# name -> (npm package, version, the program it installs)
PINNED: dict[str, tuple[str, str, str]] = {
    "claude": ("@anthropic-ai/claude-code", "2.1.332", "claude"),
    "codex": ("@openai/codex", "0.171.0", "codex"),
    "gemini": ("@google/gemini-cli", "0.61.0", "gemini"),
    "opencode": ("opencode-ai", "1.18.33", "opencode"),
    "qwen": ("@qwen-code/qwen-code", "0.24.4", "qwen"),
    "copilot": ("@github/copilot", "1.0.102", "copilot"),
    "ccusage": ("ccusage", "20.0.24", "ccusage"),
}


def path(name: str) -> Path | None:
    """The installed program, or None."""
    program = FOLDER / "node_modules" / ".bin" / PINNED[name][2]
    return program if program.exists() and shutil.which("node") else None


def need(name: str) -> Path:
    """The installed program, or skip the test with how to install it."""
    found = path(name)
    if found is None:
        package, version, _ = PINNED[name]
        pytest.skip(f"{package}@{version} is not installed: run `make clis` (needs Node and npm)")
    return found
