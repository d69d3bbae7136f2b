"""``packwatch rebuild`` never drops a row it cannot read again, and recovers a corrupt store."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ledger.settings import load_settings
from ledger.store import Store
from tests.conftest import append, line
from tests.support.cli import packwatch


def requests(tmp_path: Path, ledger: Path) -> int:
    out = packwatch("report", "--format", "json", "--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb"),
                    check=True)
    return sum(d["requests"] for d in json.loads(out.stdout)["days"])


def test_rows_whose_file_is_gone_are_kept(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line(session="a") * 3)
    flags = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb")]
    packwatch("collect", "--once", *flags, check=True)
    rotated = ledger.with_name("usage.jsonl.1")
    os.rename(ledger, rotated)
    append(ledger, line(session="b") * 2)
    packwatch("collect", "--once", *flags, check=True)
    with Store.open(load_settings(ledgers=[ledger], db=tmp_path / "s.duckdb")) as store:
        store.record_probes([("2026-11-20 10:00:00+00", "openai", "https://x/v1/models", 200, 80.0, None, None)])
    rotated.unlink()  # logrotate deleted the old generation: its 3 rows live only in the store
    proc = packwatch("rebuild", *flags, check=True)
    assert "kept 3 rows from files that cannot be read again" in proc.stdout and str(rotated) in proc.stdout
    assert requests(tmp_path, ledger) == 5
    with Store.open(load_settings(ledgers=[ledger], db=tmp_path / "s.duckdb")) as store:
        assert store.con.execute("SELECT count(*) FROM probes").fetchall() == [(1,)]
    packwatch("rebuild", *flags, check=True)  # and again: nothing lost, nothing doubled
    assert requests(tmp_path, ledger) == 5


def test_an_unreadable_ledger_does_not_empty_the_store(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line() * 4)
    flags = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb")]
    packwatch("collect", "--once", *flags, check=True)
    ledger.unlink()
    proc = packwatch("rebuild", *flags)
    assert proc.returncode == 0 and "kept 4 rows" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_corrupt_store_is_moved_aside_and_built_again(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line() * 2)
    db = tmp_path / "s.duckdb"
    db.write_bytes(b"this is not a DuckDB file" * 100)
    flags = ["--ledger", str(ledger), "--db", str(db)]
    assert packwatch("status", *flags).returncode == 1  # every other command refuses it, in one line
    proc = packwatch("rebuild", *flags, check=True)
    assert "moved to" in proc.stdout
    assert list(tmp_path.glob("s.duckdb.corrupt-*"))
    assert requests(tmp_path, ledger) == 2
