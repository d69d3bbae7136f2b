"""Claude Code logs benchmark (part of `make bench`): packwatch next to ccusage on the same folder.

Generates 400,000 Claude Code lines in 3,000 session files (cached in bench/data/claude/), then
prints in one run: packwatch's cold ingest into an empty store, its catch-up with nothing new,
and ccusage's ``claude daily --json --offline`` (the pinned ``ccusage@20.0.24`` that ``make clis``
installs; skipped when it is missing), with the ratios, and whether both tools' daily token
totals agree.

A report, not a test: the exit status is 0 whatever the numbers.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from live import timed  # bench/live.py, beside this script

from collectors.agents.claude_code import log as claude_code_log
from collectors.agents.reader import catch_up_log
from collectors.sources import catch_up_all
from ledger.report.build import build_report
from ledger.settings import Sources, load_settings
from ledger.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "claude"
LINES = 400_000
FILES = 3_000
RUNS = 2
TZ = "UTC"
MODELS = ["claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"]
CCUSAGE = Path(os.environ.get("PACKWATCH_CLIS", ROOT / ".cache" / "clis")) / "node_modules" / ".bin" / "ccusage"
TEXT = "Let me look at the failing test and the module it covers before changing anything. " * 6


def _ts(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


FORMAT = "compact-1"
"""Bumped when the generated lines change (the cached folder is made again)."""


def _compact(rec: dict) -> str:
    """As Claude Code writes a line: compact JSON (ccusage 20 looks for ``"type":"assistant"``)."""
    return json.dumps(rec, separators=(",", ":"))


def _assistant(rng: random.Random, s: int, m: int, epoch: float, cwd: str, usage: dict, model: str) -> str:
    return _compact({
        "parentUuid": f"p-{s}-{m}", "isSidechain": False, "userType": "external", "cwd": cwd,
        "sessionId": f"sess-{s}", "version": "1.0.80", "gitBranch": "main", "type": "assistant",
        "message": {"id": f"msg_{s}_{m}", "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": TEXT[: rng.randint(40, len(TEXT))]}],
                    "stop_reason": None, "usage": usage},
        "requestId": f"req_{s}_{m}", "uuid": f"a-{s}-{m}-{rng.random()}", "timestamp": _ts(epoch)})


def _user(s: int, m: int, epoch: float, cwd: str) -> str:
    return _compact({
        "parentUuid": f"a-{s}-{m}", "isSidechain": False, "userType": "external", "cwd": cwd,
        "sessionId": f"sess-{s}", "version": "1.0.80", "type": "user",
        "message": {"role": "user", "content": [{"tool_use_id": f"toolu_{s}_{m}", "type": "tool_result",
                                                 "content": TEXT * 2}]},
        "uuid": f"u-{s}-{m}", "timestamp": _ts(epoch)})


def generate(folder: Path) -> None:
    """~133 lines per session file: tool results, responses and their repeated copies."""
    rng = random.Random(400)
    per_file = LINES // FILES
    start = time.time() - 30 * 86400
    for s in range(FILES):
        cwd = f"/home/me/project-{s % 40}"
        project = folder / "projects" / cwd.replace("/", "-")
        project.mkdir(parents=True, exist_ok=True)
        epoch = start + s * 30 * 86400 / FILES
        out: list[str] = []
        m = 0
        while len(out) < per_file:
            epoch += rng.uniform(2, 60)
            usage = {"input_tokens": rng.randint(1, 50), "cache_creation_input_tokens": rng.randint(0, 5000),
                     "cache_read_input_tokens": rng.randint(0, 120000), "output_tokens": rng.randint(1, 4000),
                     "service_tier": "standard"}
            line = _assistant(rng, s, m, epoch, cwd, usage, rng.choice(MODELS))
            out.append(line)
            if rng.random() < 0.35:  # one line per content block: copies of the same response
                out.append(line)
            if len(out) < per_file:
                out.append(_user(s, m, epoch + 1, cwd))
            m += 1
        (project / f"sess-{s}.jsonl").write_text("\n".join(out[:per_file]) + "\n")
    (folder / "COMPLETE").write_text(f"{LINES} {FILES} {FORMAT}\n")


def ensure_logs() -> None:
    marker = DATA / "COMPLETE"
    if marker.exists() and marker.read_text().split() == [str(LINES), str(FILES), FORMAT]:
        return
    shutil.rmtree(DATA, ignore_errors=True)
    generate(DATA)


def settings_for(work: Path):
    s = load_settings(ledgers=[work / "no-ledger.jsonl"], db=work / "store.duckdb", timezone=TZ)
    return s.model_copy(update={"sources": Sources(claude_code_dirs=[DATA], codex=False, gemini_cli=False,
                                                   opencode=False, qwen_code=False, copilot_cli=False)})


def packwatch(tmp: Path) -> tuple[float, list[float], dict]:
    """(best cold ingest s, warm catch-up ms samples, daily totals)."""
    best = float("inf")
    for run in range(RUNS):
        work = tmp / f"run{run}"
        work.mkdir()
        settings = settings_for(work)
        store = Store.open(settings)
        log = claude_code_log(settings)
        seconds, result = timed(lambda s=store, lg=log: catch_up_log(s, lg))
        best = min(best, seconds)
        if run == RUNS - 1:
            warm = [timed(lambda s=store, st=settings: catch_up_all(s, st))[0] * 1000 for _ in range(10)]
            cur = store.cursor()
            days = {d["date"]: (d["input_tokens"], d["output_tokens"], d["cache_write_tokens"],
                                d["cache_read_tokens"]) for d in build_report(cur, settings).plain()["days"]}
            cur.close()
        store.close()
        shutil.rmtree(work) if run < RUNS - 1 else None
    return best, warm, days


def ccusage_binary() -> list[str] | None:
    """The pinned ccusage (its Claude Code reader: ``ccusage claude``), or None when not installed."""
    if not CCUSAGE.exists() or shutil.which("node") is None:
        return None
    return [str(CCUSAGE), "claude"]


def ccusage(cmd: list[str]) -> tuple[float, dict]:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(DATA), "TZ": TZ}
    best, days = float("inf"), {}
    for _ in range(RUNS):
        seconds, proc = timed(lambda: subprocess.run([*cmd, "daily", "--json", "--offline", "--timezone", TZ],
                                                     capture_output=True, text=True, env=env, timeout=900))
        if proc.returncode != 0:
            raise SystemExit(f"ccusage failed: {proc.stderr.strip()[:300]}")
        best = min(best, seconds)
        days = {d["date"]: (d["inputTokens"], d["outputTokens"], d["cacheCreationTokens"], d["cacheReadTokens"])
                for d in json.loads(proc.stdout)["daily"]}
    return best, days


def main() -> int:
    t, _ = timed(ensure_logs)
    size = sum(f.stat().st_size for f in DATA.rglob("*.jsonl")) / 1e6
    print(f"claude code logs {DATA.relative_to(ROOT)}: {LINES:,} lines in {FILES:,} files, {size:.0f} MB "
          f"(ready in {t:.1f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        cold, warm, ours = packwatch(Path(tmp))
    rows = [("packwatch cold ingest (best of 2)", f"{cold:.2f} s", ""),
            ("packwatch catch-up, nothing new (median of 10)", f"{statistics.median(warm):.1f} ms", "")]
    cmd = ccusage_binary()
    if cmd is None:
        rows.append(("ccusage daily --json --offline", "skipped: run `make clis` (needs Node)", ""))
    else:
        theirs_s, theirs = ccusage(cmd)
        rows.append(("ccusage daily --json --offline (best of 2)", f"{theirs_s:.2f} s", ""))
        rows.append(("cold ingest / ccusage", f"{cold / theirs_s:.2f}x", ""))
        rows.append(("catch-up / ccusage", f"{statistics.median(warm) / 1000 / theirs_s:.4f}x", ""))
        rows.append(("daily token totals agree", "yes" if ours == theirs else f"NO ({len(ours)} vs {len(theirs)} days)",
                     ""))
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, _ in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
