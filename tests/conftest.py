from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from collectors.tail import catch_up
from ledger.settings import Settings, load_settings
from ledger.store import Store

TZ = "Europe/Paris"
AGENT_ENV = ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "QWEN_HOME", "QWEN_RUNTIME_DIR", "OPENCODE_DB",
             "COPILOT_HOME", "COPILOT_OTEL_FILE_EXPORTER_PATH")
"""The agents' own variables that point packwatch at their logs."""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own config, ledger or data folder."""
    for key in list(os.environ):
        if key.startswith("PACKWATCH_") or key in AGENT_ENV:
            monkeypatch.delenv(key)
    monkeypatch.setenv("PACKWATCH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)  # Code Puppy's errors.log lives under it


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "agent" / "usage.jsonl"


@pytest.fixture
def settings(tmp_path: Path, ledger: Path) -> Settings:
    return load_settings(ledgers=[ledger], db=tmp_path / "store.duckdb", timezone=TZ)


@pytest.fixture
def store(settings: Settings):
    s = Store.open(settings)
    yield s
    s.close()


def line(**over) -> str:
    rec = {"ts": "2026-11-20T10:00:00", "provider": "claude_sonnet", "model": "claude-sonnet-4-5",
           "in": 1000, "out": 100, "latency": 800, "session": "s1", "cached": False, "error": None}
    rec.update(over)
    return json.dumps(rec) + "\n"


def append(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(text.encode() if isinstance(text, str) else text)


def totals(store: Store) -> tuple[int, int, int]:
    return store.con.execute(
        "SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0) FROM usage"
    ).fetchone()


def ingest(store: Store, settings: Settings):
    return catch_up(store, settings.ledgers)


pytest_plugins = ["tests.support.pilot"]  # the dashboard's fixtures, for functional/ and snapshots/
