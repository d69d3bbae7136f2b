"""Any split of a byte stream into appends yields the same rows as reading it whole."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from collectors.tail import catch_up
from ledger.settings import load_settings
from ledger.store import Store

valid = st.builds(
    lambda i, o, m, err, ts: json.dumps(
        {"ts": ts, "provider": "claude_sonnet", "model": m, "in": i, "out": o, "error": err},
        ensure_ascii=False,
    ),
    st.integers(0, 10**6), st.integers(0, 10**5), st.sampled_from(["claude-sonnet-4-5", "m-é"]),
    st.one_of(st.none(), st.text(max_size=8)),
    st.sampled_from(["2026-11-20T10:00:00", "2026-11-20T10:00:00Z", "2026-11-20 23:59:59+02:00"]),
)
invalid = st.sampled_from(["{", "[]", "null", '{"ts": "x", "model": "m", "in": 1, "out": 1}',
                           '{"model": "m"}', "   ", ""])
lines = st.lists(st.one_of(valid, valid, invalid), min_size=1, max_size=25)


def ingest_in_pieces(data: bytes, cuts: list[int]) -> tuple[list, list]:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "usage.jsonl"
        ledger.touch()
        s = load_settings(ledgers=[ledger], db=Path(tmp) / "s.duckdb", timezone="Europe/Paris")
        with Store.open(s, memory=True) as store:
            prev = 0
            for cut in [*sorted(cuts), len(data)]:
                with open(ledger, "ab") as fh:
                    fh.write(data[prev:cut])
                prev = max(prev, cut)
                catch_up(store, s.ledgers)
            rows = store.con.execute(
                "SELECT * EXCLUDE (source_id) FROM usage ORDER BY ALL").fetchall()
            rejected = store.con.execute(
                "SELECT line_offset, reason FROM rejected ORDER BY ALL").fetchall()
    return rows, rejected


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, st.data())
def test_any_split_reads_the_same(text_lines, data):
    blob = ("\n".join(text_lines) + "\n").encode()
    cuts = data.draw(st.lists(st.integers(0, len(blob)), max_size=8))
    assert ingest_in_pieces(blob, cuts) == ingest_in_pieces(blob, [])
