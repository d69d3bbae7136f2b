"""Reports: golden files per format from a seeded ledger, totals that agree across formats, and
writes that never overwrite or leave a partial file. Regenerate the golden files after a deliberate
change with ``UPDATE_GOLDEN=1 pytest tests/unit/test_report.py`` and read the diff."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from collectors.sources import catch_up_all
from dashboard.demo.pack import write_sample
from ledger.pricing import genai_prices_version
from ledger.report import GROUPINGS, TEAM_GROUPINGS
from ledger.report.build import ReportCancelled, build_report
from ledger.report.export import ExportError, TargetExists, write_report
from ledger.report.model import Report
from ledger.report.text import render
from ledger.settings import Budget, PriceOverride, Sources, load_settings
from ledger.store import Store
from tests.support.agent_lines import (
    SONNET,
    append,
    claude,
    claude_cost_state,
    claude_user,
    codex_count,
    codex_meta,
    codex_turn,
    usage,
)

GOLDEN = Path(__file__).parents[1] / "golden"
TZ = "Europe/Paris"
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo(TZ))
TEXT_FORMATS = {"json": "report.json", "csv": "report.csv", "md": "report.md", "html": "report.html",
                "table": "report.table.txt"}


def write_other_agents(folder: Path) -> Sources:
    """A Claude Code session (thinking, 1-hour cache writes, a subagent, a compaction only its
    cost-state holds) and a Codex session (cached input, cache writes, reasoning) in the same days."""
    project = folder / "claude" / "projects" / "-home-me-app"
    append(project / "s1.jsonl", claude_user(ts="2026-11-18T09:59:00.000Z", session="s1")
           + claude("m1", "r1", ts="2026-11-18T10:00:00.000Z", session="s1", inp=1200, out=800, thinking=300,
                    cache_write=2000, cache_1h=500, cache_read=30_000)
           + claude("m2", "r2", ts="2026-11-19T10:00:00.000Z", session="s1", inp=300, out=90, cache_read=31_000)
           + claude_cost_state({SONNET: {"inputTokens": 1500 + 1000 + 4000, "outputTokens": 890 + 50 + 700,
                                         "thinkingTokens": 300, "cacheReadInputTokens": 61_000 + 2000,
                                         "cacheCreationInputTokens": 2000 + 100,
                                         "cacheCreationEphemeral1hInputTokens": 500,
                                         "costUSD": 0.072}}, session="s1"))  # Sonnet 4's list prices
    append(project / "s1" / "subagents" / "agent-a1.jsonl",
           claude("m3", "r3", ts="2026-11-18T10:01:00.000Z", session="s1", inp=1000, out=50, cache_read=2000,
                  cache_write=100, sidechain=True, attributionAgent="general-purpose"))
    rollout = folder / "codex" / "sessions" / "2026" / "11" / "17" / "rollout-2026-11-17T08-00-00-s2.jsonl"
    append(rollout, codex_meta("s2") + codex_turn("gpt-5.5")
           + codex_count(usage(5000, 3000, 400, 120, cache_write=500), usage(5000, 3000, 400, 120, cache_write=500),
                         ts="2026-11-17T08:00:05.000Z"))
    return Sources(claude_code_dirs=[folder / "claude"], codex_home=folder / "codex", gemini_cli=False,
                   opencode=False, qwen_code=False, copilot_cli=False)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    """Five days of a small pack: one model priced by an override, one nobody prices (cerebras); and
    beside it Claude Code and Codex sessions, so the reports group two dimensions: agent programs and
    their subagents."""
    folder = tmp_path_factory.mktemp("seeded")
    ledger = write_sample(folder / "agent", days=5, seed=11, now=NOW.replace(tzinfo=None), per_hour=12)
    settings = load_settings(ledgers=[ledger], db=folder / "store.duckdb", timezone=TZ).model_copy(update={
        "prices": {"google/gemini-2.5-flash": PriceOverride(input_mtok=0.3, output_mtok=2.5)},
        "budgets": {"all": Budget(daily_usd=6.0)},
        "sources": write_other_agents(folder),
    })
    store = Store.open(settings)
    catch_up_all(store, settings)
    yield store, settings
    store.close()


@pytest.fixture(scope="module")
def report(seeded) -> Report:
    store, settings = seeded
    return build_report(store.con, settings, dt.date(2026, 11, 16), dt.date(2026, 11, 20), now=NOW)


def _golden(name: str, text: str) -> None:
    # A newer genai-prices snapshot is not a regression of ours: the version is not compared.
    text = text.replace(genai_prices_version(), "VERSION")
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} differs from its golden file"


@pytest.mark.parametrize("fmt", list(TEXT_FORMATS))
def test_each_format_matches_its_golden_file(report: Report, fmt: str) -> None:
    _golden(TEXT_FORMATS[fmt], render(report, fmt))


def test_parquet_reads_back_in_duckdb_and_polars(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "report.parquet"
    write_report(report, "parquet", target)
    frame = pl.read_parquet(target)
    assert frame.columns[:2] == ["date", "requests"] and frame.schema["date"] == pl.Date
    assert frame.height == len(report.days)
    sums = duckdb.sql(f"SELECT sum(requests)::BIGINT, sum(input_tokens)::BIGINT, sum(cost_usd), "
                      f"any_value(prices) FROM '{target}'").fetchall()[0]
    t = report.totals
    assert sums[:2] == (t.requests, t.input_tokens)
    assert round(sums[2], 2) == round(t.cost_usd, 2)
    assert "genai-prices" in sums[3] and "cerebras/glm-4.7" in sums[3]  # the prices, and what is unpriced
    meta = dict(duckdb.sql(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{target}')").fetchall())
    assert json.loads(meta["packwatch.totals"]) == t.model_dump()
    assert json.loads(meta["packwatch.prices"])["overrides"]["google/gemini-2.5-flash"]["input_mtok"] == 0.3


def test_the_report_states_its_prices_and_unpriced_models(report: Report) -> None:
    assert report.prices.genai_prices_version
    assert list(report.prices.overrides) == ["google/gemini-2.5-flash"]
    assert [(u.provider, u.model) for u in report.unpriced_models] == [("cerebras", "glm-4.7")]
    for fmt in ("md", "html", "table", "csv"):
        text = render(report, fmt)
        assert "genai-prices" in text and "google/gemini-2.5-flash" in text, fmt
        assert "cerebras/glm-4.7" in text, fmt
    assert "UNPRICED" in render(report, "html")


# -- every format's totals agree with the JSON, to the cent and the token ----------------------

def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _totals_from_csv(text: str) -> tuple[int, int, float]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return (sum(int(r["requests"]) for r in rows), sum(int(r["input_tokens"]) for r in rows),
            round(sum(float(r["cost_usd"]) for r in rows), 2))


def _totals_from_md(text: str) -> tuple[int, int, float]:
    (row,) = [line for line in text.splitlines() if line.startswith("| **total**")]
    cells = [c.strip().strip("*") for c in row.strip("|").split("|")]
    return int(cells[1]), int(cells[3]), round(float(cells[8]), 2)


def _totals_from_table(text: str) -> tuple[int, int, float]:
    (row,) = [line for line in text.splitlines() if re.match(r"^│ total ", line)]
    cells = [c.strip() for c in row.strip("│").split("│")]
    return int(_number(cells[1])), int(_number(cells[3])), _number(cells[8])


def _totals_from_html(text: str) -> tuple[int, int, float]:
    foot = re.search(r"<tfoot><tr>(.*?)</tr></tfoot>", text).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", foot)
    return int(_number(cells[1])), int(_number(cells[3])), _number(cells[8])


def test_all_formats_agree_on_the_totals(report: Report, seeded, tmp_path: Path) -> None:
    t = report.totals
    expected = (t.requests, t.input_tokens, round(t.cost_usd, 2))
    # The JSON's own totals are its days' sums, and the per-model view adds up to the same.
    parsed = json.loads(render(report, "json"))
    assert sum(d["requests"] for d in parsed["days"]) == t.requests
    assert sum(m["requests"] for m in parsed["models"]) == t.requests
    assert round(sum(m["cost_usd"] for m in parsed["models"]), 2) == expected[2]
    assert _totals_from_csv(render(report, "csv")) == expected
    assert _totals_from_md(render(report, "md")) == expected
    assert _totals_from_table(render(report, "table")) == expected
    assert _totals_from_html(render(report, "html")) == expected
    assert f"${expected[2]:,.2f}" in render(report, "html")  # the headline card
    store, settings = seeded
    for by in (b for b in GROUPINGS if b not in TEAM_GROUPINGS):  # (machine, user: tests/e2e/test_team.py)
        # every grouping of CSV and Parquet holds every request
        grouped = build_report(store.con, settings, dt.date(2026, 11, 16), dt.date(2026, 11, 20), by=by, now=NOW)
        assert _totals_from_csv(render(grouped, "csv", by)) == expected, by
        target = tmp_path / f"{by}.parquet"
        write_report(grouped, "parquet", target, by=by)
        back = pl.read_parquet(target)
        assert (back["requests"].sum(), back["input_tokens"].sum(), round(back["cost_usd"].sum(), 2)) \
            == expected, by


def test_totals_match_the_ledger_itself(report: Report, seeded) -> None:
    """Not only self-consistent: the requests and tokens are the ledger's own, and the other agents'."""
    store, settings = seeded
    start, stop = dt.date(2026, 11, 16), dt.date(2026, 11, 20)
    requests = tokens = 0
    for line in settings.ledgers[0].read_text().splitlines():
        record = json.loads(line)
        if start <= dt.datetime.fromisoformat(record["ts"]).date() <= stop:
            requests += 1
            tokens += record["in"]
    puppy = next(a for a in report.agents if a.agent == "code-puppy")
    assert (puppy.requests, puppy.input_tokens) == (requests, tokens)
    # Claude Code: 3 responses (one a subagent's) and the unlogged compaction its cost-state holds;
    # Codex: one response, input billed = 5000 - 3000 cached - 500 cache writes.
    claude = next(a for a in report.agents if a.agent == "claude-code")
    codex = next(a for a in report.agents if a.agent == "codex")
    assert (claude.requests, claude.input_tokens, claude.output_tokens, claude.reasoning_tokens) == (4, 6500, 1640, 300)
    assert claude.cost_usd == pytest.approx(0.072)  # Claude Code's own figure: Sonnet 4, 1-hour writes at $6/M
    assert (codex.requests, codex.input_tokens, codex.cache_read_tokens, codex.cache_write_tokens,
            codex.reasoning_tokens) == (1, 1500, 3000, 500, 120)
    assert {(s.agent, s.subagent) for s in report.subagents if s.agent == "claude-code"} == {
        ("claude-code", None), ("claude-code", "general-purpose")}
    assert (report.totals.requests, report.totals.input_tokens) == (requests + 5, tokens + 6500 + 1500)


# -- writing -----------------------------------------------------------------------------------

def test_never_overwrites_without_force(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text("keep me")
    with pytest.raises(TargetExists):
        write_report(report, "md", target)
    assert target.read_text() == "keep me"
    write_report(report, "md", target, force=True)
    assert target.read_text().startswith("# packwatch report")
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("fmt", ["html", "parquet"])
def test_a_bad_path_is_one_line(report: Report, tmp_path: Path, fmt: str) -> None:
    for bad in (tmp_path / "missing" / "r.out", tmp_path):
        with pytest.raises(ExportError) as err:
            write_report(report, fmt, bad)
        assert "\n" not in str(err.value) and "cannot write" in str(err.value)


@pytest.mark.parametrize("cancel_at", [0, 1, 2, 5])
def test_cancel_at_any_step_leaves_no_file(seeded, tmp_path: Path, cancel_at: int) -> None:
    """Cancelled while reading (at step ``cancel_at``) or while writing: nothing in the folder."""
    store, settings = seeded
    cancel = threading.Event()
    target = tmp_path / "r.json"

    def progress(done: int, _total: int, _what: str) -> None:
        if done >= cancel_at:
            cancel.set()

    with pytest.raises(ReportCancelled):
        report = build_report(store.con, settings, progress=progress, cancel=cancel, now=NOW)
        write_report(report, "json", target, progress=progress, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_cancel_while_writing_leaves_no_file(report: Report, tmp_path: Path) -> None:
    cancel = threading.Event()
    with pytest.raises(ReportCancelled):
        write_report(report, "html", tmp_path / "r.html", progress=lambda *_: cancel.set(), cancel=cancel)
    assert list(tmp_path.iterdir()) == []
