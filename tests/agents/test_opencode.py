"""OpenCode (1.18.33): packwatch's totals equal what the model server sent for every call OpenCode
records (not its title call, which it records nowhere), field by field — input = prompt − cached,
output = completion (reasoning inside it) —, read from its SQLite database read-only, rows still in the
``-wal`` included, on the real CLI's rows and on a fresh offline run; a row OpenCode updates later
replaces its copy; legacy ``storage/message`` files count once beside the database; daily totals equal
``ccusage opencode daily`` but for its output column, which leaves the reasoning out."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.agent_check import (
    agent_settings,
    ccusage_daily,
    chat_completions_totals,
    read_with_packwatch,
    rejected,
    run_agent,
    sums,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agents" / "opencode"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
UNRECORDED = "side"
"""The stub's kind for OpenCode's title call: sent, billed, and recorded nowhere by OpenCode."""


def sent_totals(records: list[dict]) -> dict:
    # an OpenAI-compatible API reports no cache writes
    return {**chat_completions_totals(records, lambda r: r.get("kind") == UNRECORDED), "cache_write_tokens": 0}


def database(folder: Path) -> Path:
    """The real run's session, message and part rows in a database made with OpenCode's own DDL, in WAL
    mode as OpenCode opens it."""
    tables = json.loads((FIXTURES / "run1-tables.json").read_text())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "opencode.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    for name in ("session", "message", "part"):
        t = tables[name]
        con.execute(t["ddl"])  # its foreign keys name tables the fixture lacks: SQLite allows that
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(t['columns']))})", t["rows"])
    con.commit()
    con.close()
    return path


def sent() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "stub-sent.jsonl").read_text().splitlines()]


def test_every_recorded_call_once_subagent_sessions_in_their_parent(tmp_path: Path) -> None:
    data = tmp_path / "opencode"
    database(data)
    settings = agent_settings(tmp_path, opencode=True, opencode_data=data)
    rows = read_with_packwatch(settings)
    assert sums(rows, *TOKENS) == sent_totals(sent())
    assert len(rows) == 8 and len({r["session"] for r in rows}) == 1  # the subagents' sessions: the parent's
    assert {r["subagent"] for r in rows} == {"build", "general"}
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(0.132396)  # OpenCode's own prices (its config)


def test_a_part_updated_later_replaces_its_copy_and_legacy_files_count_once(tmp_path: Path) -> None:
    data = tmp_path / "opencode"
    db = database(data)
    settings = agent_settings(tmp_path, opencode=True, opencode_data=data)
    before = sums(read_with_packwatch(settings), *TOKENS)
    con = sqlite3.connect(db)
    part_id, message_id, session, step = con.execute(
        """SELECT id, message_id, session_id, data FROM part WHERE json_extract(data, '$.type') = 'step-finish'
           ORDER BY id LIMIT 1""").fetchone()
    fuller = json.loads(step)
    fuller["tokens"]["output"] += 1000
    con.execute("UPDATE part SET data = ?, time_updated = time_updated + 60000 WHERE id = ?",
                [json.dumps(fuller), part_id])
    con.commit()
    con.close()
    # the same message as a legacy storage file (as an old OpenCode wrote it, ids inside)
    message = json.loads(sqlite3.connect(db).execute("SELECT data FROM message WHERE id = ?",
                                                     [message_id]).fetchone()[0])
    legacy = data / "storage" / "message" / session / f"{message_id}.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"id": message_id, "sessionID": session, **message}))
    after = read_with_packwatch(settings)
    assert sums(after, *TOKENS) == {**before, "output_tokens": before["output_tokens"] + 1000}
    assert len(after) == 8


def test_a_legacy_message_alone_is_read(tmp_path: Path) -> None:
    data = tmp_path / "opencode"
    folder = data / "storage" / "message" / "ses_a"
    folder.mkdir(parents=True)
    (folder / "msg_1.json").write_text(json.dumps({  # the shape ccusage's fixture has, from old OpenCode
        "id": "msg_1", "sessionID": "ses_a", "role": "assistant", "providerID": "anthropic",
        "modelID": "claude-sonnet-4-20250514", "time": {"created": 1767312000000},
        "tokens": {"input": 100, "output": 50, "reasoning": 0, "cache": {"read": 10, "write": 20}}, "cost": 0.02}))
    rows = read_with_packwatch(agent_settings(tmp_path, opencode=True, opencode_data=data))
    assert [(r["input_tokens"], r["output_tokens"], r["cache_read_tokens"], r["cache_write_tokens"], r["cost_usd"])
            for r in rows] == [(100, 50, 10, 20, 0.02)]


@pytest.mark.e2e
def test_the_real_cli_offline(tmp_path: Path) -> None:
    run = run_agent("opencode", tmp_path)
    data = tmp_path / "home" / ".local" / "share" / "opencode"
    assert (data / "opencode.db-wal").exists()  # OpenCode exits without a checkpoint: rows in the -wal
    rows = read_with_packwatch(agent_settings(tmp_path, opencode=True, opencode_data=data))
    assert sums(rows, *TOKENS) == sent_totals(run["sent"])
    assert len(rows) == sum(1 for r in run["sent"] if r.get("kind") != UNRECORDED)
    (day,) = ccusage_daily("opencode", tmp_path / "home").values()
    ours = sums(rows, *TOKENS)
    assert (day["inputTokens"], day["cacheReadTokens"], day["cacheCreationTokens"], day["outputTokens"]) == (
        ours["input_tokens"], ours["cache_read_tokens"], ours["cache_write_tokens"],
        ours["output_tokens"] - ours["reasoning_tokens"])
    assert day["totalCost"] == pytest.approx(sum(r["cost_usd"] for r in rows))  # OpenCode's own cost, both


def test_a_copy_of_the_database_elsewhere_is_found_by_opencode_db(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "opencode"
    db = database(data)
    moved = tmp_path / "elsewhere" / "oc.db"
    moved.parent.mkdir()
    shutil.copy(db, moved)
    monkeypatch.setenv("OPENCODE_DB", str(moved))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))
    rows = read_with_packwatch(agent_settings(tmp_path, opencode=True))
    assert len(rows) == 8


def test_bad_rows_are_rejected_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "opencode"
    db = database(data)
    con = sqlite3.connect(db)
    con.execute("""UPDATE part SET data = json_set(data, '$.tokens.input', 'x')
                   WHERE id = (SELECT min(id) FROM part WHERE json_extract(data, '$.type') = 'step-finish')""")
    con.commit()
    con.close()
    bad = data / "storage" / "message" / "ses_x" / "msg_x.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"role": "assistant", "tokens": {"input": ')
    rows, reasons = rejected(agent_settings(tmp_path, opencode=True, opencode_data=data))
    assert (rows, sorted(reasons)) == (7, ["a step-finish of unexpected types", "not an OpenCode message"])
