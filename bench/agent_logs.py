"""Claude Code logs, packwatch next to ccusage (part of `make bench`): the same folder, whole processes.

The folder is generated (``claude_logs``: 3,000 session files, ~150 MB, cached in bench/data/claude/)
or the user's own (``bench/run.py --claude DIR``: read only, never written). Measured, each as the
median of interleaved runs (a busy machine slows every tool alike):

- ``ccusage@20.0.24 claude daily --json --offline`` (installed by npm into the bench's own cache
  folder, bench/data/ccusage; skipped with a reason when Node or npm is missing);
- DuckDB ``read_json`` of the fields packwatch reads, into a fresh database file (in process);
- packwatch's cold read of the folder into an empty store, in process and as ``packwatch report``;
- ``packwatch report`` and ``packwatch status`` on a current store, and ``packwatch --help``;
- a catch-up with nothing new over every file (in process);
- whether both tools' daily totals agree to the token and the cent.

Peak RSS of a child process is its own (VmHWM sampled from /proc), not the bench's.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import claude_logs
import duckdb
from live import timed

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
GENERATED = DATA / "claude"
CCUSAGE_VERSION = "20.0.24"
CCUSAGE_HOME = DATA / "ccusage"
RUNS = 3
TZ = "UTC"
PACKWATCH = Path(sys.executable).with_name("packwatch")

Row = tuple[str, str, str, str]


def ccusage() -> list[str] | str:
    """The pinned ccusage's Claude Code command, installed into the bench's own folder once; or why not."""
    binary = CCUSAGE_HOME / "node_modules" / ".bin" / "ccusage"
    if shutil.which("node") is None:
        return "skipped: Node is not installed"
    if not binary.exists():
        if shutil.which("npm") is None:
            return "skipped: npm is not installed"
        CCUSAGE_HOME.mkdir(parents=True, exist_ok=True)
        got = subprocess.run(["npm", "install", "--prefix", str(CCUSAGE_HOME), "--no-audit", "--no-fund",
                              "--loglevel=error", f"ccusage@{CCUSAGE_VERSION}"], capture_output=True, text=True)
        if got.returncode != 0 or not binary.exists():
            return f"skipped: npm could not install ccusage@{CCUSAGE_VERSION}: {got.stderr.strip()[:200]}"
    return [str(binary), "claude"]


def _tree_hwm_kb(pid: int) -> int:
    """The peak resident memory (VmHWM) of ``pid`` and its descendants so far, in kB (Linux: /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def child(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """(wall s, peak RSS MB, exit status, stdout) of one whole process. The peak is sampled from /proc
    while it runs: a child's ``ru_maxrss`` would be this bench's own (Linux keeps the high-water mark
    across fork and exec)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_hwm_kb(proc.pid))
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        out.seek(0)
        return seconds, peak / 1024, proc.returncode, out.read()


def environment(folder: Path, home: Path) -> dict[str, str]:
    """Both tools see this folder alone: an empty home (no other agent's logs), no config file."""
    return {**os.environ, "HOME": str(home), "CLAUDE_CONFIG_DIR": str(folder), "TZ": TZ,
            "PACKWATCH_CONFIG": str(home / "none.toml"), "XDG_CONFIG_HOME": str(home / ".config")}


NEEDED = ("{type: 'VARCHAR', timestamp: 'VARCHAR', sessionId: 'VARCHAR', cwd: 'VARCHAR', requestId: 'VARCHAR', "
          "requestRef: 'VARCHAR', isSidechain: 'BOOLEAN', costUSD: 'DOUBLE', "
          "message: 'STRUCT(id VARCHAR, model VARCHAR, usage STRUCT(input_tokens BIGINT, output_tokens BIGINT, "
          "cache_creation_input_tokens BIGINT, cache_read_input_tokens BIGINT))'}")


def duckdb_read(folder: Path, work: Path) -> float:
    """DuckDB alone reading the fields packwatch reads from every session file into a fresh file."""
    db = work / "duckdb-baseline.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        sql = (f"CREATE TABLE x AS SELECT * FROM read_json('{folder}/projects/**/*.jsonl', "
               f"format = 'newline_delimited', columns = {NEEDED}, ignore_errors = true, "
               "maximum_object_size = 268435456)")
        seconds, _ = timed(lambda: con.execute(sql).fetchall())
    finally:
        con.close()
        db.unlink(missing_ok=True)
    return seconds


def in_process_cold(folder: Path, work: Path) -> tuple[float, float]:
    """(cold read s, nothing-new catch-up median ms) in this process, with the Claude Code reader alone."""
    from collectors.agents.claude_code import log as claude_code_log
    from collectors.agents.reader import catch_up_log
    from ledger.settings import Sources, load_settings
    from ledger.store import Store

    db = work / "inproc.duckdb"
    settings = load_settings(ledgers=[work / "no-ledger.jsonl"], db=db, timezone=TZ)
    settings = settings.model_copy(update={"sources": Sources(
        claude_code_dirs=[folder], codex=False, gemini_cli=False, opencode=False, qwen_code=False, copilot_cli=False)})
    store = Store.open(settings)
    try:
        log = claude_code_log(settings)
        cold, _ = timed(lambda: catch_up_log(store, log))
        warm = [timed(lambda: catch_up_log(store, log))[0] * 1000 for _ in range(20)]
    finally:
        store.close()
    for p in work.glob("inproc.duckdb*"):
        p.unlink()
    return cold, statistics.median(warm)


def daily(report: bytes, ours: bool) -> dict[str, tuple]:
    """Per day: (input, output, cache write, cache read tokens, cost in cents) from either tool's JSON."""
    doc = json.loads(report)
    if ours:
        return {d["date"]: (d["input_tokens"], d["output_tokens"], d["cache_write_tokens"], d["cache_read_tokens"],
                            round(d["cost_usd"] * 100)) for d in doc["days"]}
    return {d["date"]: (d["inputTokens"], d["outputTokens"], d["cacheCreationTokens"], d["cacheReadTokens"],
                        round(d["totalCost"] * 100)) for d in doc["daily"]}


def agreement(ours: dict, theirs: dict) -> str:
    if ours == theirs:
        return f"yes: {len(ours)} days, to the token and the cent"
    tokens = sum(1 for d in ours.keys() | theirs.keys() if ours.get(d, ())[:4] != theirs.get(d, ())[:4])
    cents = sum(1 for d in ours.keys() | theirs.keys() if ours.get(d, (0,) * 5)[4:] != theirs.get(d, (0,) * 5)[4:])
    return f"NO: {tokens} days differ in tokens, {cents} in cents ({len(ours)} vs {len(theirs)} days)"


def folder_size(folder: Path) -> tuple[int, float, int]:
    """(session files, MB, lines) under ``projects/``."""
    files = list((folder / "projects").rglob("*.jsonl"))
    size, lines = 0, 0
    for f in files:
        with open(f, "rb") as fh:
            while block := fh.read(1 << 22):
                size += len(block)
                lines += block.count(b"\n")
    return len(files), size / 1e6, lines


def ok(value: float, target: float) -> str:
    return "ok" if value <= target else "MISS"


def measure(folder: Path) -> list[Row]:
    """Every Claude Code measure of the issue, in one run, as table rows."""
    n, mb, lines = folder_size(folder)
    rows: list[Row] = [(f"claude code logs: {n:,} files, {lines:,} lines, {mb:.0f} MB", str(folder), "", "")]
    cc = ccusage()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        env = environment(folder, home)
        pw = [str(PACKWATCH), "--db", str(work / "store.duckdb"), "--ledger", str(work / "no-ledger.jsonl")]
        got: dict[str, list[tuple[float, float, int, bytes]]] = {k: [] for k in
                                                                ("cc", "cold", "report", "status", "help")}
        base, inproc, warm = [], [], []
        for _ in range(RUNS):  # interleaved: a busy machine slows every tool alike
            if isinstance(cc, list):
                got["cc"].append(child([*cc, "daily", "--json", "--offline", "--timezone", TZ], env))
            for p in work.glob("store.duckdb*"):
                p.unlink()
            got["cold"].append(child([*pw, "report", "--format", "json"], env))
            got["report"].append(child([*pw, "report", "--format", "json"], env))
            got["status"].append(child([*pw, "status", "--json"], env))
            got["help"].append(child([str(PACKWATCH), "--help"], env))
            base.append(duckdb_read(folder, work))
            cold, nothing_new = in_process_cold(folder, work)
            inproc.append(cold)
            warm.append(nothing_new)
    for name in ("cold", "report"):
        if any(r[2] != 0 for r in got[name]):
            raise SystemExit(f"packwatch report failed (exit {got[name][0][2]})")
    wall = {k: statistics.median(r[0] for r in v) for k, v in got.items() if v}
    rss = {k: max(r[1] for r in v) for k, v in got.items() if v}
    duck, cold_in, nothing = statistics.median(base), statistics.median(inproc), statistics.median(warm)
    m = f"median of {RUNS}"
    rows.append((f"duckdb read_json, the fields packwatch reads ({m}, in process)", f"{duck:.2f} s", "", ""))
    rows.append((f"packwatch cold read, in process ({m})", f"{cold_in:.2f} s", "<= 1.5x duckdb",
                 f"{cold_in / duck:.2f}x {ok(cold_in / duck, 1.5)}"))
    if isinstance(cc, list):
        rows.append((f"ccusage {CCUSAGE_VERSION} claude daily --json --offline ({m})",
                     f"{wall['cc']:.2f} s, {rss['cc']:.0f} MB", "", ""))
    else:
        rows.append((f"ccusage {CCUSAGE_VERSION}", cc, "", ""))
    whole = (("cold", "packwatch report --format json, empty store", 1.0),
             ("report", "packwatch report --format json, store current", 0.2),
             ("status", "packwatch status --json, store current", 0.2))
    for key, what, target in whole:
        ratio = f"{wall[key] / wall['cc']:.2f}x {ok(wall[key] / wall['cc'], target)}" if "cc" in wall else ""
        rows.append((f"{what} ({m})", f"{wall[key]:.2f} s, {rss[key]:.0f} MB", f"<= {target}x ccusage", ratio))
    rows.append((f"packwatch --help ({m})", f"{wall['help'] * 1000:.0f} ms", "< 200 ms", ok(wall["help"], 0.2)))
    rows.append((f"catch-up, nothing new over {n:,} files (in process)", f"{nothing:.1f} ms", "< 30 ms",
                 ok(nothing, 30)))
    if got["cc"]:
        rows.append(("daily totals agree with ccusage", agreement(daily(got["report"][-1][3], True),
                                                                  daily(got["cc"][-1][3], False)), "", ""))
    return rows


def generated() -> Path:
    t, _ = timed(lambda: claude_logs.ensure(GENERATED))
    if t > 1:
        print(f"generated {GENERATED.relative_to(ROOT)} in {t:.0f} s", flush=True)
    return GENERATED
