"""Which file changes wake the dashboard."""

from __future__ import annotations

from pathlib import Path

from watchfiles import Change

from collectors.watch import AgentLogChanges, LedgerChanges


def test_ledgers_event_logs_and_errors_log_wake_it_and_the_store_does_not(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    errors = tmp_path / "logs" / "errors.log"
    ledger.parent.mkdir()
    errors.parent.mkdir()
    changes = LedgerChanges([ledger, errors])
    assert changes.roots == [ledger.parent, errors.parent] and not changes.recursive
    wakes = [ledger, ledger.parent / "events.jsonl", ledger.parent / "usage.jsonl.1", errors,
             errors.parent / "errors.log.1"]
    quiet = [ledger.parent / "store.duckdb", ledger.parent / "store.duckdb.wal", errors.parent / "debug.log"]
    assert all(changes(Change.modified, str(p)) for p in wakes)
    assert not any(changes(Change.modified, str(p)) for p in quiet)


def test_agent_logs_are_watched_only_where_they_exist(tmp_path: Path) -> None:
    claude = tmp_path / "claude" / "projects"
    claude.mkdir(parents=True)
    changes = AgentLogChanges([claude, tmp_path / "no-codex"])
    assert changes.roots == [claude]
    assert changes(Change.added, str(claude / "-home-me-app" / "3f2a.jsonl"))
    assert not changes(Change.added, str(claude / "-home-me-app" / "notes.txt"))


def test_an_agents_database_is_watched_in_its_folder_alone(tmp_path: Path) -> None:
    """OpenCode's data folder also holds whole git snapshots: its database's folder is watched on its own."""
    data = tmp_path / "opencode"
    data.mkdir()
    db = data / "opencode.db"
    changes = AgentLogChanges([tmp_path / "opencode" / "storage" / "message"], [db])
    assert changes.roots == [] and changes.file_roots == [data]
    assert changes(Change.modified, str(db)) and changes(Change.modified, f"{db}-wal")
    assert not changes(Change.modified, str(data / "snapshot" / "objects" / "ab"))
    assert changes(Change.added, str(data / "storage" / "message" / "ses" / "msg.json"))
