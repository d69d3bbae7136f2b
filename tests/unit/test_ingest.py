"""The ledger rules of DESIGN.md, on a real DuckDB file and real files."""

from __future__ import annotations

import json
import os

import pytest

from ledger.report.queries import rejected_lines
from ledger.settings import load_settings
from ledger.store import Store
from ledger.store import ingest as store_mod
from tests.conftest import append, ingest, line, totals


def test_lines_are_counted_once_across_catch_ups(store, settings, ledger):
    append(ledger, line(**{"in": 10}) + line(**{"in": 20}))
    assert ingest(store, settings).rows == 2
    assert ingest(store, settings).rows == 0
    append(ledger, line(**{"in": 30}))
    assert ingest(store, settings).rows == 1
    assert totals(store) == (3, 60, 300)


def test_a_line_without_its_newline_waits(store, settings, ledger):
    full = line(**{"in": 7})
    append(ledger, full[:25])
    assert ingest(store, settings).rows == 0
    append(ledger, full[25:-1])
    assert ingest(store, settings).rows == 0
    append(ledger, "\n")
    assert ingest(store, settings).rows == 1
    assert totals(store)[1] == 7


def test_store_survives_reopen(settings, ledger):
    from ledger.store import Store

    append(ledger, line() + line())
    with Store.open(settings) as s:
        ingest(s, settings)
    append(ledger, line())
    with Store.open(settings) as s:
        assert ingest(s, settings).rows == 1
        assert totals(s)[0] == 3


BAD_LINES = {
    "{not json": "not valid JSON",
    "[1, 2, 3]": "not a JSON object",
    '"just a string"': "not a JSON object",
    '{"provider": "x", "model": "m", "in": 1, "out": 1}': "missing or non-string ts",
    '{"ts": "2026-11-20T10:00:00", "in": 1, "out": 1}': "missing model",
    '{"ts": "2026-11-20T10:00:00", "model": "m", "out": 1}': "missing or non-integer in",
    '{"ts": "2026-11-20T10:00:00", "model": "m", "in": 1}': "missing or non-integer out",
    '{"ts": "2026-11-20T10:00:00", "model": "m", "in": "lots", "out": 1}': "missing or non-integer in",
    '{"ts": "yesterday-ish", "model": "m", "in": 1, "out": 1}': "unparseable ts",
    '{"ts": "2026-11-20T10:00:00", "model": "m", "in": -5, "out": 1}': "negative token count",
}


def test_bad_lines_are_rejected_counted_and_kept(store, settings, ledger):
    good = line(**{"in": 1})
    text = good + "\n   \n"
    offsets = {}
    for bad in BAD_LINES:
        offsets[bad] = len(text.encode())
        text += bad + "\n" + good
    append(ledger, text)
    got = ingest(store, settings)
    assert got.rows == len(BAD_LINES) + 1
    assert got.rejected == len(BAD_LINES)
    kept = rejected_lines(store.con).to_dicts()
    assert [(r["offset"], r["reason"]) for r in kept] == [
        (offsets[bad], reason) for bad, reason in BAD_LINES.items()
    ]
    assert all(r["file"] == str(ledger) for r in kept)
    assert kept[0]["excerpt"] == "{not json"


def test_a_multi_megabyte_record_is_counted_with_its_text_cut(store, settings, ledger):
    """A 3 MB error text is still one real request: counted, its text kept to 2,000 characters."""
    huge = line(error="x" * (3 << 20), **{"in": 7})
    append(ledger, line() + huge + line())
    got = ingest(store, settings)
    assert (got.rows, got.rejected) == (3, 0)
    (errors,) = store.con.execute("SELECT list(length(error)) FILTER (error IS NOT NULL) FROM usage").fetchone()
    assert errors == [2000]


@pytest.mark.parametrize("chunk", [None, 64 << 10], ids=["in a chunk", "alone, never read whole"])
def test_a_line_over_the_memory_bound_is_rejected_not_parsed(tmp_path, ledger, monkeypatch, chunk):
    if chunk:  # a line much longer than a chunk and the limit is cut out and rejected by its offset
        monkeypatch.setattr(store_mod, "CHUNK_BYTES", chunk)
    settings = load_settings(ledgers=[ledger], db=tmp_path / "small.duckdb", timezone="Europe/Paris",
                             max_line_bytes=1 << 20)
    long = line(error="x" * (3 << 20))
    append(ledger, line() * 400 + long + line() * 400)
    with Store.open(settings) as store:
        got = ingest(store, settings)
        assert (got.rows, got.rejected) == (800, 1)
        (offset, size, reason, excerpt) = store.con.execute(
            "SELECT line_offset, line_bytes, reason, excerpt FROM rejected").fetchone()
        assert (offset, size) == (len(line()) * 400, len(long) - 1)
        assert "over the 1048576-byte limit" in reason and long.startswith(excerpt)


def test_invalid_utf8_is_rejected(store, settings, ledger):
    append(ledger, line() + '{"ts": "2026-11-20T10:00:00", "model": "m\xff'.encode("latin-1").decode("latin-1"))
    append(ledger, b'{"model": "\xff\xfe"}\n' + line().encode())
    got = ingest(store, settings)
    assert got.rejected >= 1
    assert "not UTF-8 text" in rejected_lines(store.con)["reason"].to_list()


@pytest.mark.parametrize("fast", [False, True])
def test_a_file_saved_with_a_byte_order_mark_counts_its_first_line(store, settings, ledger, monkeypatch, fast):
    """Windows editors save "UTF-8 with BOM": both ingest paths (a small range by lines, a large one by
    read_json) read the first line as a row, not a rejected line."""
    if fast:
        monkeypatch.setattr(store_mod, "FAST_PATH_MIN_BYTES", 1)
    append(ledger, b"\xef\xbb\xbf" + (line(**{"in": 5}) + line(**{"in": 6})).encode())
    got = ingest(store, settings)
    assert (got.rows, got.rejected) == (2, 0)
    assert totals(store)[1] == 11


def _utc(store, where: str) -> str:
    return store.con.execute(
        f"SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%f') FROM usage WHERE {where}"
    ).fetchone()[0]


def test_naive_times_are_local_and_offsets_are_honoured(store, settings, ledger):
    append(ledger, line(ts="2026-07-01T12:00:00", session="naive-summer")
           + line(ts="2026-12-01T12:00:00", session="naive-winter")
           + line(ts="2026-12-01T12:00:00Z", session="zulu")
           + line(ts="2026-12-01T12:00:00+05:30", session="india")
           + line(ts="2026-12-01 12:00:00.250", session="space-frac"))
    ingest(store, settings)
    # Europe/Paris: UTC+2 in July, UTC+1 in December.
    assert _utc(store, "session = 'naive-summer'") == "2026-07-01 10:00:00.000000"
    assert _utc(store, "session = 'naive-winter'") == "2026-12-01 11:00:00.000000"
    assert _utc(store, "session = 'zulu'") == "2026-12-01 12:00:00.000000"
    assert _utc(store, "session = 'india'") == "2026-12-01 06:30:00.000000"
    assert _utc(store, "session = 'space-frac'") == "2026-12-01 11:00:00.250000"


def test_truncated_file_is_read_again_from_the_start(store, settings, ledger):
    append(ledger, line(**{"in": 1}) * 5)
    ingest(store, settings)
    ledger.write_text(line(**{"in": 100}))
    assert ingest(store, settings).rows == 1
    assert totals(store)[:2] == (6, 105)


def test_file_replaced_in_place_with_more_data_is_read_anew(store, settings, ledger):
    append(ledger, line(**{"in": 1}, ts="2026-11-20T10:00:00"))
    ingest(store, settings)
    ledger.write_text(line(**{"in": 2}, ts="2026-11-21T09:00:00") * 3)
    assert ingest(store, settings).rows == 3
    assert totals(store)[:2] == (4, 7)


def test_rotated_file_is_finished_before_the_new_one(store, settings, ledger):
    append(ledger, line(**{"in": 1}) * 3)
    ingest(store, settings)
    append(ledger, line(**{"in": 10}) * 2)  # written after our last pass, before rotation
    os.rename(ledger, ledger.with_name("usage.jsonl.1"))
    append(ledger, line(**{"in": 100}))
    got = ingest(store, settings)
    assert got.rows == 3
    assert totals(store)[:2] == (6, 123)
    assert ingest(store, settings).rows == 0


def test_rotated_away_and_not_yet_recreated(store, settings, ledger):
    append(ledger, line(**{"in": 1}))
    ingest(store, settings)
    append(ledger, line(**{"in": 2}))
    os.rename(ledger, ledger.with_name("usage.jsonl.1"))
    assert ingest(store, settings).rows == 1
    append(ledger, line(**{"in": 4}))
    assert ingest(store, settings).rows == 1
    assert totals(store)[:2] == (3, 7)


def test_folder_ledgers_find_usage_files(store, settings, ledger, tmp_path):
    from ledger.settings import load_settings

    append(ledger, line())
    append(ledger.parent / "sub" / "usage-2.jsonl", line() + line())
    append(ledger.parent / "events.jsonl", '{"kind": "not usage"}\n')
    s = load_settings(ledgers=[ledger.parent], db=settings.db, timezone=settings.timezone)
    assert ingest(store, s).rows == 3


@pytest.fixture
def small_fast_path(monkeypatch):
    """Send even small ranges through read_json, with small chunks, to test the fast path."""
    monkeypatch.setattr(store_mod, "FAST_PATH_MIN_BYTES", 64)
    monkeypatch.setattr(store_mod, "CHUNK_BYTES", 4096)


def test_fast_path_matches_line_path(tmp_path, ledger, small_fast_path):
    """The vectorised path and the line path store the same rows for the same bytes."""
    variety = [
        line(), line(cached=True, error="429 Too Many Requests", latency=0),
        line(provider="codex", model="gpt-5-codex", cache_read=500, cache_write=20, status=200),
        line(provider="cerebras", model="glm-4.7", type="chat", agent="husky", workload="coding"),
        line(ts="2026-11-20T10:00:00Z", cost_usd=0.5, **{"in": 123}),
        line(extra={"nested": [1, 2]}, out=3),
    ] * 30
    append(ledger, "".join(variety))

    def rows(path_kind: str):
        s = load_settings(ledgers=[ledger], db=tmp_path / f"{path_kind}.duckdb", timezone="UTC")
        with Store.open(s) as st:
            ingest(st, s)
            return st.con.execute(
                "SELECT * EXCLUDE (source_id) FROM usage ORDER BY ALL"
            ).fetchall()

    fast = rows("fast")
    store_mod.FAST_PATH_MIN_BYTES = 1 << 40  # now force the line path
    slow = rows("slow")
    assert len(fast) == len(variety)
    assert fast == slow


def test_a_bad_line_in_a_big_range_costs_only_its_chunk(store, settings, ledger, small_fast_path):
    text = "".join(line(**{"in": i}) for i in range(200))
    bad_at = len(text.encode())
    text += "oops\n" + "".join(line(**{"in": i}) for i in range(200))
    append(ledger, text)
    got = ingest(store, settings)
    assert (got.rows, got.rejected) == (400, 1)
    assert rejected_lines(store.con)["offset"].to_list() == [bad_at]
    assert totals(store)[1] == 2 * sum(range(200))


def test_provider_aliases_map_and_keep_the_raw_value(store, settings, ledger):
    append(ledger, line(provider="claude_opus", model="claude-opus-4-5")
           + line(provider="gemini_flash", model="gemini-2.5-flash")
           + line(provider="codex", model="gpt-5-codex"))
    ingest(store, settings)
    got = store.con.execute("SELECT provider_raw, provider FROM usage_v ORDER BY 1").fetchall()
    assert got == [("claude_opus", "anthropic"), ("codex", "openai"), ("gemini_flash", "google")]


def test_store_refuses_a_newer_schema(settings):
    from ledger.store import Store, StoreError

    with Store.open(settings) as s:
        s.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer packwatch"):
        Store.open(settings)


def test_not_a_store_says_what_to_do(settings):
    from ledger.store import Store, StoreError

    settings.db.write_text("this is not a database")
    with pytest.raises(StoreError, match="not a packwatch store"):
        Store.open(settings)


def test_rows_keep_every_field(store, settings, ledger):
    append(ledger, json.dumps({
        "ts": "2026-11-20T10:00:00", "provider": "claude_sonnet", "model": "claude-sonnet-4-5",
        "in": 10, "out": 2, "total": 12, "type": "chat", "session": "abc", "latency": 1234,
        "cached": True, "error": "boom", "cache_read": 5, "cache_write": 6, "cost_usd": 0.25,
        "agent": "husky", "workload": "coding", "request_id": "req-1", "status": 500,
    }) + "\n")
    ingest(store, settings)
    row = store.con.execute(
        """SELECT provider_raw, model, input_tokens, output_tokens, cache_read_tokens,
                  cache_write_tokens, kind, session, latency_ms, cached, error, status,
                  cost_usd_given, agent, subagent, workload, request_id FROM usage"""
    ).fetchone()
    # the ledger's "agent" is a pack member: the subagent of Code Puppy, the agent program
    assert row == ("claude_sonnet", "claude-sonnet-4-5", 10, 2, 5, 6, "chat", "abc", 1234, True,
                   "boom", 500, 0.25, "code-puppy", "husky", "coding", "req-1")


HOSTILE_RECORDS = {
    # valid-looking JSON that is not a record DESIGN.md allows: each rejected, with its reason
    '"in": 9223372036854775807': "token count out of range",
    '"in": 99999999999': "token count out of range",
    '"in": "100"': "missing or non-integer in",
    '"in": 1.5': "missing or non-integer in",
    '"in": true': "missing or non-integer in",
    '"cache_read": "5"': "non-integer cache_read",
    '"ts": "294247-01-01T00:00:00"': "timestamp out of range",
    '"ts": "1969-07-20T20:17:00"': "timestamp out of range",
    '"cost_usd": -1.0': "cost_usd is not a finite",
    '"cost_usd": "NaN"': "cost_usd is not a finite",
    '"cost_usd": 1e309': "cost_usd is not a finite",
}


@pytest.mark.parametrize("fast", [False, True], ids=["line path", "fast path"])
def test_out_of_range_and_mistyped_records_are_rejected_by_both_paths(tmp_path, ledger, monkeypatch, fast):
    if fast:
        monkeypatch.setattr(store_mod, "FAST_PATH_MIN_BYTES", 64)
    good = {"ts": '"2026-11-20T10:00:00"', "model": '"m"', "in": "10", "out": "1"}

    def text(fields: dict[str, str]) -> str:  # the values as written, not re-encoded by json.dumps
        return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"

    hostile = [text({**good, field.split(": ")[0].strip('"'): field.split(": ", 1)[1]}) for field in HOSTILE_RECORDS]
    append(ledger, "\n".join([text(good), *hostile, text(good)]) + "\n")
    settings = load_settings(ledgers=[ledger], db=tmp_path / "s.duckdb", timezone="UTC")
    with Store.open(settings) as store:
        got = ingest(store, settings)
        assert (got.rows, got.rejected) == (2, len(HOSTILE_RECORDS))
        reasons = rejected_lines(store.cursor())["reason"].to_list()
        for reason, expected in zip(reasons, HOSTILE_RECORDS.values(), strict=True):
            assert reason.startswith(expected), (reason, expected)
        # the report's sums stay in range: no INT64 overflow anywhere
        summed = store.cursor().execute("SELECT sum(input_tokens + output_tokens)::BIGINT FROM usage_v").fetchall()
        assert summed == [(22,)]


@pytest.mark.parametrize("fast", [False, True], ids=["line path", "fast path"])
def test_a_repeated_request_id_counts_once(tmp_path, ledger, monkeypatch, fast):
    if fast:
        monkeypatch.setattr(store_mod, "FAST_PATH_MIN_BYTES", 64)
    append(ledger, line(request_id="r1") + line(request_id="r2") + line(request_id="r1"))
    settings = load_settings(ledgers=[ledger], db=tmp_path / "s.duckdb", timezone="UTC")
    with Store.open(settings) as store:
        assert (ingest(store, settings).rows, totals(store)[0]) == (2, 2)
        append(ledger, line(request_id="r2") + line(request_id="r3"))  # and again in a later append
        got = ingest(store, settings)
        assert (got.rows, got.rejected, totals(store)[0]) == (1, 1, 3)
        assert rejected_lines(store.cursor())["reason"].to_list() == ["duplicate request_id (counted once)"] * 2
