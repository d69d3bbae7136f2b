"""Which file changes wake the dashboard: one watcher for ledgers and agent logs together."""

from __future__ import annotations

from pathlib import Path

from watchfiles import Change

from dashboard.ledger_watch import SourceChanges


def test_one_watcher_sees_ledgers_events_and_agent_logs_and_nothing_else(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    claude = tmp_path / "claude" / "projects"
    claude.mkdir(parents=True)
    changes = SourceChanges([ledger], [claude, tmp_path / "no-codex"])
    assert changes.roots == [ledger.parent, claude] and changes.recursive
    wakes = [
        ledger, ledger.parent / "events.jsonl", ledger.parent / "usage.jsonl.1",
        claude / "-home-me-app" / "3f2a.jsonl",
    ]
    quiet = [ledger.parent / "store.duckdb.wal", claude / "-home-me-app" / "notes.txt",
             tmp_path / "elsewhere" / "session.jsonl"]
    assert all(changes(Change.modified, str(p)) for p in wakes)
    assert not any(changes(Change.modified, str(p)) for p in quiet)


def test_a_new_agent_folder_restarts_the_watch(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    codex = tmp_path / "codex" / "sessions"
    changes = SourceChanges([ledger], [codex])
    assert not changes.stale([codex])
    codex.mkdir(parents=True)
    assert changes.stale([codex])
