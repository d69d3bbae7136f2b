"""packwatch benchmark (`make bench`): every performance target of DESIGN.md, as ratios, in one run.

Three parts: Claude Code logs next to ccusage (``agent_logs``; ``--claude DIR`` for your own folder),
the 1M-line ledger (ingest, catch-up, queries, the live dashboard: here and in ``live``), and the
statusline and hook paths (``light``).

A report, not a test: every measure is printed next to its target and the exit status is 0
even when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import agent_logs  # noqa: E402  (bench/agent_logs.py, beside this script)
import duckdb
import light
import live  # noqa: E402  (bench/live.py, beside this script)
import polars as pl
from live import timed

from collectors.tail import catch_up
from ledger.report.build import build_report
from ledger.settings import load_settings
from ledger.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
LEDGER = DATA / "usage.jsonl"
ROWS = 1_000_000
RUNS = 3

PROVIDERS = ["cerebras", "claude_sonnet", "claude_opus", "gemini_flash", "codex", "openai"]
MODELS = ["glm-4.7", "claude-sonnet-4-5", "claude-opus-4-5", "gemini-2.5-flash",
          "gpt-5-codex", "gpt-4.1"]

# One row per second, ending now: ~11.6 days of history. hash(i, salt) rather than random():
# random() after setseed() is only reproducible on one thread, hash() on any number of them.
GENERATE_SQL = f"""
COPY (
    SELECT
        strftime(start + to_seconds(i), '%Y-%m-%dT%H:%M:%S') AS ts,
        {PROVIDERS}[p + 1] AS provider,
        {MODELS}[p + 1] AS model,
        (100 + hash(i, 'in') % 49901)::INTEGER AS "in",
        (10 + hash(i, 'out') % 3991)::INTEGER AS "out",
        'chat' AS type,
        'sess-' || (i // 500)::VARCHAR AS session,
        (200 + hash(i, 'lat') % 20000)::INTEGER AS latency,
        hash(i, 'cached') % 10 = 0 AS cached,
        CASE WHEN hash(i, 'err') % 50 = 0 THEN '429 Too Many Requests' END AS error
    FROM (
        SELECT range AS i, (hash(range, 'provider') % 6)::INTEGER AS p,
               date_trunc('second', localtimestamp) - to_seconds({ROWS}) AS start
        FROM range({ROWS})
    )
) TO '{{path}}' (FORMAT json)
"""


def line_count(path: Path) -> int:
    """Newlines in ``path``: a cheap check that the cached ledger is complete."""
    n = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            n += block.count(b"\n")
    return n


def ensure_ledger() -> None:
    """Write the 1M-line ledger once: DuckDB's COPY takes seconds where Python takes a minute."""
    if LEDGER.exists() and line_count(LEDGER) == ROWS:
        return
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = LEDGER.with_suffix(".partial")
    con = duckdb.connect()
    try:
        con.execute(GENERATE_SQL.format(path=tmp)).fetchall()
    finally:
        con.close()
    with open(tmp, "rb") as f:
        first = f.readline()
    if not first.startswith(b"{") or line_count(tmp) != ROWS:
        raise SystemExit(f"generated ledger is not one JSON object per line: {first[:80]!r}")
    tmp.replace(LEDGER)


def ledger_line(i: int) -> bytes:
    """One valid record stamped now, shaped like the generated ones."""
    rec = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()),
        "provider": PROVIDERS[i % 6], "model": MODELS[i % 6],
        "in": 100 + i % 49901, "out": 10 + i % 3991, "type": "chat", "session": "sess-bench",
        "latency": 500 + i % 2000, "cached": i % 10 == 0, "error": None,
    }
    return json.dumps(rec, separators=(",", ":")).encode() + b"\n"


def append(path: Path, lines: int, offset: int = 0) -> None:
    """Append like an agent does: whole lines, one write."""
    with open(path, "ab") as f:
        f.write(b"".join(ledger_line(offset + i) for i in range(lines)))


def baseline() -> float:
    """DuckDB alone, auto-detecting the schema into a fresh file: the floor for cold ingest."""
    best = float("inf")
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(str(Path(tmp) / "baseline.duckdb"))
            sql = (f"CREATE TABLE x AS SELECT * FROM read_json('{LEDGER}', "
                   "format = 'newline_delimited')")
            seconds, _ = timed(lambda c=con, s=sql: c.execute(s).fetchall())
            con.close()
        best = min(best, seconds)
    return best


def cold_ingests(tmp: Path) -> tuple[float, Store, Path]:
    """Best-of-3 first catch-up into an empty store; the last store stays open for the rest."""
    best = float("inf")
    store: Store | None = None
    for run in range(RUNS):
        if store is not None:
            store.close()
        work = tmp / f"run{run}"
        work.mkdir()
        ledger = work / "usage.jsonl"
        shutil.copyfile(LEDGER, ledger)  # appends below must not touch the cached ledger
        settings = load_settings(ledgers=[ledger], db=work / "store.duckdb", timezone="UTC")
        store = Store.open(settings)
        seconds, result = timed(lambda s=store, st=settings: catch_up(s, st.ledgers))
        assert result.rows == ROWS, result
        best = min(best, seconds)
        if run < RUNS - 1:
            store.close()
            store = None
            shutil.rmtree(work)
    assert store is not None
    return best, store, ledger


def ms_samples(fn: Callable[[], object], n: int) -> list[float]:
    """``n`` timings of ``fn`` in milliseconds."""
    return [timed(fn)[0] * 1000 for _ in range(n)]


def report_ms(store: Store) -> float:
    """One timed report (every table of ``packwatch report``), on its own cursor."""
    cur = store.cursor()
    try:
        return timed(lambda: build_report(cur, store.settings))[0] * 1000
    finally:
        cur.close()


def panes_ms(store: Store) -> float:
    """Every overview pane's queries at once, as the dashboard's refresh runs them."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from ledger.views import overview as insights

    store.share_cores()  # as the dashboard does after its first catch-up
    cursor = store.cursor()
    now = dt.datetime.now(ZoneInfo(store.settings.timezone))
    return statistics.median(ms_samples(lambda: insights.overview(cursor, store.settings, now), 20))


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    return live.rss_mb(os.getpid()), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verdict(value: float, target: float | None) -> str:
    """'ok' or 'MISS' against an upper bound; blank when there is none."""
    if target is None:
        return ""
    return "ok" if value <= target else "MISS"


def ledger_rows() -> list[tuple[str, str, str, str]]:
    """The 1M-line ledger's measures: ingest, catch-up, queries, the live dashboard."""
    t, _ = timed(ensure_ledger)
    size = LEDGER.stat().st_size / 1e6
    rows: list[tuple[str, str, str, str]] = [(f"ledger: {ROWS:,} lines, {size:.0f} MB", f"ready in {t:.1f} s", "", "")]
    base = baseline()
    rows.append(("baseline: duckdb read_json CTAS (best of 3)", f"{base:.2f} s", "", ""))

    with tempfile.TemporaryDirectory() as tmp:
        cold, store, ledger = cold_ingests(Path(tmp))
        ratio = cold / base
        rows.append(("cold ingest 1M lines (best of 3)", f"{cold:.2f} s", "<= 1.5x base",
                     f"{ratio:.2f}x {verdict(ratio, 1.5)}"))

        warm = ms_samples(lambda: catch_up(store, store.settings.ledgers), 20)
        med, hi = live.summary(warm)
        rows.append(("warm catch-up, nothing new (median)", f"{med:.1f} ms", "< 100 ms",
                     verdict(med, 100)))
        rows.append(("warm catch-up, nothing new (p95)", f"{hi:.1f} ms", "< 100 ms",
                     verdict(hi, 100)))

        append(ledger, 1000)
        seconds, result = timed(lambda: catch_up(store, store.settings.ledgers))
        assert result.rows == 1000, result
        rows.append(("catch-up after 1,000 appended lines", f"{seconds * 1000:.1f} ms", "", ""))

        report = statistics.median(report_ms(store) for _ in range(5))
        rows.append(("report query (median of 5)", f"{report:.1f} ms", "", ""))
        panes = panes_ms(store)
        rows.append(("all panes' queries (overview, median of 20)", f"{panes:.1f} ms", "< 20 ms",
                     verdict(panes, 20)))

        visible = []
        for i in range(20):
            def one(i: int = i) -> None:
                append(ledger, 1, offset=i)
                got = catch_up(store, store.settings.ledgers)
                assert got.rows == 1, got
            visible.append(timed(one)[0] * 1000)
        rows.append(("append 1 line -> visible (median of 20)",
                     f"{statistics.median(visible):.1f} ms", "", ""))

        now, peak = rss_mb()
        rows.append(("RSS of this bench process (now / peak)", f"{now:.0f} / {peak:.0f} MB", "", ""))
        settings = store.settings
        store.close()

        # The dashboard itself, on the same 1M-row store (the store is free now).
        med, hi = live.summary(live.append_to_screen_ms(settings, ledger))
        rows.append((f"append -> on screen, live app ({live.APPENDS} appends, median)", f"{med:.0f} ms", "", ""))
        rows.append(("append -> on screen, live app (p95)", f"{hi:.0f} ms", "< 150 ms", verdict(hi, 150)))
        idle, rss = live.idle_dashboard(ledger, settings.db)
        rows.append(("dashboard idle CPU, no new data (60 s)", f"{idle:.2f} % of a core", "< 1 %",
                     verdict(idle, 1)))
        rows.append(("dashboard RSS with 1M rows stored", f"{rss:.0f} MB", "< 150 MB", verdict(rss, 150)))

    return rows


def light_rows() -> list[tuple[str, str, str, str]]:
    """The statusline and hook paths, as ratios to a bare ``python -c pass``."""
    rows = []
    for name, ms, ratio in light.measure():
        base = name.startswith("python")
        rows.append((f"{name} (median of {light.RUNS})", f"{ms:.1f} ms", "" if base else "<= 4x python",
                     "" if base else f"{ratio:.2f}x {verdict(ratio, 4)}"))
    return rows


def machine() -> str:
    """What the numbers were measured on, and how busy it was."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cpus, {mem / 1024:.1f} GiB RAM, load {load}; "
            f"python {platform.python_version()}, duckdb {duckdb.__version__}, polars {pl.__version__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--claude", type=Path, metavar="DIR",
                        help="a Claude Code config folder (holding projects/) to measure instead of generated logs")
    parser.add_argument("--only", choices=("claude", "ledger", "light"), action="append",
                        help="run only these parts (repeatable; default: all)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown (the README's)")
    args = parser.parse_args(argv)
    if args.claude is not None and not (args.claude / "projects").is_dir():
        print(f"bench: no projects/ folder in {args.claude}", file=sys.stderr)
        return 2
    parts = args.only or ["claude", "ledger", "light"]
    print(f"machine: {machine()}", flush=True)
    rows: list[tuple[str, str, str, str]] = []
    if "claude" in parts:
        rows += agent_logs.measure(args.claude or agent_logs.generated())
    if "ledger" in parts:
        rows += ledger_rows()
    if "light" in parts:
        rows += light_rows()
    print(f"machine after: load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = ("measure", "value", "target", "ratio/verdict")
    print_table(header, rows)
    if args.markdown:
        print()
        for r in [header, ("---",) * 4, *rows]:
            print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return 0


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Left-aligned columns sized to their widest cell."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    print()
    print(fmt.format(*header).rstrip())
    print(line)
    for r in rows:
        print(fmt.format(*r).rstrip())


if __name__ == "__main__":
    sys.exit(main())
