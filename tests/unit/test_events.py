"""The agent event log beside the ledger: same exactly-once and bad-input rules as usage."""

from __future__ import annotations

import json

from collectors.sources import catch_up_all, event_paths
from ledger.agent.writer import LedgerWriter, event_record, usage_record
from tests.conftest import append, line


def events(store):
    return store.con.execute(
        "SELECT kind, agent, subagent, provider, model, detail->>'to' FROM events_v ORDER BY ts"
    ).fetchall()


def test_events_beside_the_ledger_are_read_once(store, settings, ledger):
    append(ledger, line())
    writer = LedgerWriter(ledger.parent / "events.jsonl")
    writer.append(event_record("circuit", ts="2026-11-20T10:00:01Z", agent="husky", provider="cerebras",
                               **{"from": "CLOSED", "to": "OPEN"}))
    writer.append(event_record("failover", ts="2026-11-20T10:00:02Z", agent="husky", provider="claude_sonnet",
                               model="glm-4.7", to="claude-haiku-4-5", reason="circuit open"))
    first = catch_up_all(store, settings)
    assert (first.rows, first.events) == (1, 2)
    again = catch_up_all(store, settings)
    assert (again.rows, again.events) == (0, 0)
    assert events(store) == [
        # Code Puppy's events: its program, and the pack member that wrote it (the subagent)
        ("circuit", "code-puppy", "husky", "cerebras", None, "OPEN"),
        ("failover", "code-puppy", "husky", "anthropic", "glm-4.7", "claude-haiku-4-5"),  # alias mapped
    ]


def test_bad_event_lines_are_rejected_and_kept(store, settings, ledger):
    path = ledger.parent / "events.jsonl"
    good = json.dumps(event_record("error", ts="2026-11-20T10:00:00Z", message="boom")) + "\n"
    append(path, good + '{"ts": "2026-11-20T10:00:00Z"}\n' + "not json\n"
           + '{"ts": "yesterday", "kind": "cache"}\n' + '{"ts": "2026-11-20T10:00:00Z", "kind": "x", "detail": 3}\n'
           + json.dumps(usage_record(provider="p", model="m", input_tokens=1, output_tokens=1))[:20])
    result = catch_up_all(store, settings)
    assert (result.events, result.rejected) == (1, 4)
    reasons = [r[0] for r in store.con.execute("SELECT reason FROM rejected ORDER BY line_offset").fetchall()]
    assert reasons == ["missing kind", "not valid JSON", "unparseable ts", "detail is not an object"]
    append(path, "\n")  # the torn last line completes: it is bad JSON, rejected once
    assert catch_up_all(store, settings).rejected == 1


def test_an_event_log_alone_is_not_a_missing_ledger(store, settings, ledger):
    result = catch_up_all(store, settings)
    assert result.missing == [ledger]  # only the ledger is reported missing, never the event log


def test_event_paths_follow_the_ledgers(tmp_path):
    folder = tmp_path / "pack"
    folder.mkdir()
    assert event_paths([tmp_path / "a" / "usage.jsonl", folder]) == [tmp_path / "a" / "events.jsonl", folder]
