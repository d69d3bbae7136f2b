"""Code Puppy's errors.log: blocks between ``=`` lines become ``error`` events, exactly once.

``fixtures/code_puppy_errors.log`` was written by code-puppy 0.0.946's own
``code_puppy/error_logging.py`` (``log_error`` with and without a traceback, ``log_error_message``,
a multi-line message), with only its STATE_DIR pointed at a scratch folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collectors.sources import catch_up_all
from ledger.settings import load_settings
from ledger.store import Store
from tests.conftest import TZ, append

FIXTURE = Path(__file__).parents[1] / "fixtures" / "code_puppy_errors.log"
SEP = "=" * 80


def block(ts: str, error_type: str, message: str, context: str | None = None) -> str:
    """One entry as ``log_error(..., include_traceback=False)`` writes it."""
    parts = [f"\n{SEP}", f"Timestamp: {ts}", f"Error Type: {error_type}", f"Error Message: {message}"]
    if context:
        parts.append(f"Context: {context}")
    parts += [f"Args: ({message!r},)", f"{SEP}\n"]
    return "\n".join(parts)


@pytest.fixture
def error_log(tmp_path: Path) -> Path:
    return tmp_path / "state" / "logs" / "errors.log"


@pytest.fixture
def store(tmp_path: Path, ledger: Path, error_log: Path):
    settings = load_settings(ledgers=[ledger], db=tmp_path / "store.duckdb", timezone=TZ, error_log=error_log)
    s = Store.open(settings)
    yield s
    s.close()


def errors(store: Store) -> list[tuple]:
    return store.con.execute(
        """SELECT strftime(ts AT TIME ZONE 'Europe/Paris', '%Y-%m-%d %H:%M:%S'), agent, model,
                  detail->>'error_type', detail->>'message', detail->>'context'
           FROM events WHERE kind = 'error' ORDER BY ts"""
    ).fetchall()


def test_code_puppys_own_log_becomes_error_events_once(store: Store, error_log: Path) -> None:
    append(error_log, FIXTURE.read_bytes())
    first = catch_up_all(store, store.settings)
    assert (first.events, first.rejected) == (4, 0)
    assert catch_up_all(store, store.settings).events == 0
    rows = errors(store)
    assert [r[3] for r in rows] == ["ModelHTTPError", "KeyError", None, "ValueError"]
    http = rows[0]
    assert http[0] == "2026-11-21 19:54:26"  # the writer's naive local time, read in the store's zone
    assert (http[1], http[2], http[5]) == ("code-puppy", "zai-glm-4.7", "agent run (husky)")
    assert http[4].startswith("status_code: 429")
    assert rows[2][4] == "MCP server 'filesystem' failed to start:\nexit code 1"  # log_error_message
    assert rows[3][4] == "multi\nline message"  # a message over several lines, up to the next field


def test_a_torn_block_waits_for_its_closing_line(store: Store, error_log: Path) -> None:
    text = block("2026-11-20T10:00:00.000001", "TimeoutError", "read timed out")
    cut = text.index("Error Message")
    append(error_log, text[:cut])
    assert catch_up_all(store, store.settings).events == 0
    append(error_log, text[cut:-1])  # everything but the closing line's newline
    assert catch_up_all(store, store.settings).events == 0
    append(error_log, "\n")
    assert catch_up_all(store, store.settings).events == 1
    assert errors(store)[0][3:5] == ("TimeoutError", "read timed out")


def test_rotation_finishes_the_old_file_first(store: Store, error_log: Path) -> None:
    append(error_log, block("2026-11-20T10:00:00", "A", "one"))
    assert catch_up_all(store, store.settings).events == 1
    append(error_log, block("2026-11-20T10:00:01", "B", "two"))  # written, not yet read
    os.replace(error_log, error_log.with_name("errors.log.1"))  # Code Puppy's rotation
    append(error_log, block("2026-11-20T10:00:02", "C", "three"))
    assert catch_up_all(store, store.settings).events == 2
    assert catch_up_all(store, store.settings).events == 0
    assert [r[3] for r in errors(store)] == ["A", "B", "C"]


def test_bad_blocks_are_rejected_and_kept(store: Store, error_log: Path) -> None:
    append(error_log, "stray text\n" + block("yesterday", "X", "bad time")
           + f"\n{SEP}\nContext: no timestamp\n{SEP}\n" + block("2026-11-20T10:00:00", "Good", "kept"))
    result = catch_up_all(store, store.settings)
    assert (result.events, result.rejected) == (1, 3)
    reasons = [r[0] for r in store.con.execute("SELECT reason FROM rejected ORDER BY line_offset").fetchall()]
    assert reasons == ["text outside an errors.log block", "unparseable Timestamp", "block without a Timestamp"]
    assert catch_up_all(store, store.settings).rejected == 0


def test_a_block_torn_by_a_crash_does_not_lose_the_next(store: Store, error_log: Path) -> None:
    torn = block("2026-11-20T10:00:00", "Torn", "the writer died")
    append(error_log, torn[: torn.index("Args")])  # never closed
    append(error_log, block("2026-11-20T10:00:05", "Next", "after the crash"))
    catch_up_all(store, store.settings)
    assert [r[3] for r in errors(store)] == ["Torn", "Next"]


def test_keys_in_error_messages_are_masked(store: Store, error_log: Path, monkeypatch) -> None:
    key = "sk-proj-REALKEY0123456789abcdef"
    append(error_log, block("2026-11-20T10:00:00", "AuthenticationError", f"Incorrect API key provided: {key}"))
    catch_up_all(store, store.settings)
    message = errors(store)[0][4]
    assert key not in message and "Incorrect API key provided: ****" == message


def test_no_errors_log_is_normal(store: Store, ledger: Path) -> None:
    result = catch_up_all(store, store.settings)
    assert result.missing == [ledger] and not result.errors


def test_the_default_follows_code_puppys_state_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert load_settings().error_log == Path(os.environ["HOME"]) / ".code_puppy" / "logs" / "errors.log"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert load_settings().error_log == tmp_path / "state" / "code_puppy" / "logs" / "errors.log"
    assert load_settings(error_log=tmp_path / "x.log").error_log == tmp_path / "x.log"
