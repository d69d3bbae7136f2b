"""The team store's bench (`make bench`): a real PostgreSQL (Debian's server on a temporary folder), a push
of a 1M-row store (rows/s), a pull of 1M new rows into an empty cache, and the report and the overview's
panes over 10M team rows in the local cache. A report, not a test: exit 0 whatever the numbers.

Sizes: PACKWATCH_BENCH_TEAM_ROWS (pushed and pulled; default 1,000,000), PACKWATCH_BENCH_CACHE_ROWS (in the
cache for the report and panes; default 10,000,000). Skipped, with a line that says so, without PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from live import timed  # noqa: E402  (bench/live.py)

from ledger.report.build import build_report  # noqa: E402
from ledger.settings import load_settings  # noqa: E402
from ledger.store import Store  # noqa: E402
from ledger.team.pull import open_cache, refresh_cache  # noqa: E402
from ledger.team.push import push  # noqa: E402

PUSH_ROWS = int(os.environ.get("PACKWATCH_BENCH_TEAM_ROWS", 1_000_000))
CACHE_ROWS = int(os.environ.get("PACKWATCH_BENCH_CACHE_ROWS", 10_000_000))
MACHINES = 20

PROVIDERS = ["cerebras", "claude_sonnet", "claude_opus", "gemini_flash", "codex", "openai"]
MODELS = ["glm-4.7", "claude-sonnet-4-5", "claude-opus-4-5", "gemini-2.5-flash", "gpt-5-codex", "gpt-4.1"]


def rows_sql(n: int, team: bool = False) -> str:
    """``n`` usage rows, one a second ending now (as bench/run.py's ledger), spread over ``MACHINES``."""
    extra = (f", 'machine-' || (i % {MACHINES})::VARCHAR AS machine, 'user-' || (i % 7)::VARCHAR AS user_name, "
             "uuid() AS team_key") if team else ""
    return f"""SELECT 0 AS source_id, now() - to_seconds({n} - i) AS ts, {PROVIDERS}[p + 1] AS provider_raw,
            {MODELS}[p + 1] AS model, (100 + hash(i, 'in') % 49901)::BIGINT AS input_tokens,
            (10 + hash(i, 'out') % 3991)::BIGINT AS output_tokens, 0::BIGINT AS cache_read_tokens,
            0::BIGINT AS cache_write_tokens, 'chat' AS kind, 'sess-' || (i // 500)::VARCHAR AS session,
            (200 + hash(i, 'lat') % 20000)::BIGINT AS latency_ms, hash(i, 'cached') % 10 = 0 AS cached,
            CASE WHEN hash(i, 'err') % 50 = 0 THEN '429 Too Many Requests' END AS error{extra}
        FROM (SELECT range AS i, (hash(range, 'provider') % 6)::INTEGER AS p FROM range({n}))"""


def fill(store: Store, n: int, team: bool = False) -> None:
    cols = ("source_id, ts, provider_raw, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
            "kind, session, latency_ms, cached, error" + (", machine, user_name, team_key" if team else ""))
    store.con.execute(f"INSERT INTO usage ({cols}) {rows_sql(n, team)}")
    store.settle(-1)


def panes_ms(store: Store) -> float:
    from ledger.views import overview as insights

    store.share_cores()
    cursor = store.cursor()
    now = dt.datetime.now(ZoneInfo(store.settings.timezone))
    return statistics.median(timed(lambda: insights.overview(cursor, store.settings, now))[0] * 1000
                             for _ in range(5))


def main() -> int:
    from tests.support.postgres import binaries, start_postgres

    if binaries() is None:
        print("team bench skipped: PostgreSQL is not installed (apt-get install postgresql)")
        return 0
    with tempfile.TemporaryDirectory(prefix="packwatch-team-bench-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        pg = start_postgres(root)
        try:
            results = run(root, pg.url)
        finally:
            pg.stop("immediate")
    print()
    for name, value in results:
        print(f"{name:<58} {value}")
    return 0


def run(root: Path, url: str) -> list[tuple[str, str]]:
    out = []
    settings = load_settings(ledgers=[root / "none"], db=root / "local.duckdb")
    local = Store.open(settings)
    fill(local, PUSH_ROWS)
    seconds, _ = timed(lambda: push(local.con, url, machine="bench", user="bench"))
    out.append((f"push {PUSH_ROWS:,} rows (COPY, chunks of 100k)",
                f"{seconds:.1f} s, {PUSH_ROWS / seconds:,.0f} rows/s"))
    import psycopg

    with psycopg.connect(url) as con:
        size = con.execute("SELECT pg_total_relation_size('packwatch.usage')").fetchone()[0]
    out.append(("team database size per usage row (table and indexes)", f"{size / PUSH_ROWS:,.0f} bytes"))
    seconds, again = timed(lambda: push(local.con, url, machine="bench", user="bench"))
    out.append(("push again, nothing new", f"{seconds * 1000:.0f} ms ({sum(again.stored.values())} rows)"))
    local.close()
    cache = open_cache(settings)
    seconds, pulled = timed(lambda: refresh_cache(cache, url))
    rows = sum(pulled.rows.values())
    out.append((f"pull {rows:,} new rows into an empty cache (priced, rolled up)",
                f"{seconds:.1f} s, {rows / seconds:,.0f} rows/s"))
    seconds, _ = timed(lambda: refresh_cache(cache, url))
    out.append(("pull again, nothing new", f"{seconds * 1000:.0f} ms"))
    cache.close()
    big = Store.open(settings.model_copy(update={"db": root / "big.team.duckdb"}))
    from ledger.team.pull import prepare_cache

    prepare_cache(big.con)
    seconds, _ = timed(lambda: fill(big, CACHE_ROWS, team=True))
    out.append((f"cache of {CACHE_ROWS:,} team rows made (generated, priced, rolled up)", f"{seconds:.1f} s"))
    cur = big.cursor()
    seconds, report = timed(lambda: build_report(cur, big.settings))
    out.append((f"report over {CACHE_ROWS:,} team rows (with per machine and user)",
                f"{seconds * 1000:.0f} ms ({len(report.machines or [])} machines)"))
    out.append((f"all overview panes' queries over {CACHE_ROWS:,} rows (median of 5)", f"{panes_ms(big):.0f} ms"))
    big.close()
    return out


if __name__ == "__main__":
    sys.exit(main())
