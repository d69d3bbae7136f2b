"""What the per-agent tests share: running an agent's real CLI offline (``agent_runs``), reading its
files with packwatch into a real store, and ccusage's daily totals on the same files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from collectors.sources import catch_up_all
from ledger.report.build import build_report
from ledger.settings import Settings, Sources, load_settings
from ledger.store import Store
from tests.support import clis
from tests.support.offline import offline

ROOT = Path(__file__).resolve().parents[2]
OFF = dict(claude_code=False, codex=False, gemini_cli=False, opencode=False, qwen_code=False, copilot_cli=False)


def run_agent(name: str, work: Path) -> dict[str, Any]:
    """The agent's scripted run (see ``tests.support.agent_runs``), where only loopback is reachable.
    Skips when the CLI is not installed; fails when the CLI failed."""
    clis.need(name)
    proc = offline([sys.executable, "-m", "tests.support.agent_runs", name, str(work)], timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads((work / "run.json").read_text())
    for r in run["runs"]:
        assert r["returncode"] == 0, f"{r['argv']}: {r['stderr'][-2000:]}"
    return run


def agent_settings(tmp_path: Path, tz: str = "UTC", **sources: Any) -> Settings:
    """No ledger; only the given agent's source on, pointed at its folder."""
    settings = load_settings(ledgers=[tmp_path / "no-ledger" / "usage.jsonl"], db=tmp_path / "store.duckdb",
                             timezone=tz)
    return settings.model_copy(update={"sources": Sources(**{**OFF, **sources})})


def read_with_packwatch(settings: Settings) -> list[dict[str, Any]]:
    """Every stored row of the agent, with the priced view's provider and cost, oldest first."""
    with Store.open(settings) as store:
        result = catch_up_all(store, settings)
        assert not result.errors and result.rejected == 0, (result.errors, result.rejected)
        assert catch_up_all(store, settings).rows == 0  # a second pass finds nothing new
        cur = store.cursor()
        frame = cur.sql("""SELECT agent, subagent, session, model, provider_raw, provider, kind, input_tokens,
                                  output_tokens, cache_read_tokens, cache_write_tokens,
                                  coalesce(cache_write_1h_tokens, 0) AS cache_write_1h_tokens,
                                  coalesce(reasoning_tokens, 0) AS reasoning_tokens, latency_ms, cost_usd,
                                  unpriced, request_id, ts
                           FROM usage_v ORDER BY ts, request_id""").pl()
        cur.close()
    return frame.to_dicts()


def packwatch_daily(settings: Settings) -> dict[str, dict[str, Any]]:
    with Store.open(settings) as store:
        catch_up_all(store, settings)
        days = build_report(store.cursor(), settings).plain()["days"]
    return {d["date"]: d for d in days}


def ccusage_daily(agent: str, home: Path, tz: str = "UTC", env: dict[str, str] | None = None) -> dict[str, dict]:
    """``ccusage@20.0.24 <agent> daily --json --offline`` on the files under ``home``, per date."""
    program = clis.need("ccusage")
    proc = offline([str(program), agent, "daily", "--json", "--offline", "--timezone", tz], timeout=300,
                   env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TZ": tz, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    days = data.get("daily", data) if isinstance(data, dict) else data
    return {d.get("date") or d.get("day"): d for d in days}


def sums(rows: list[dict[str, Any]], *keys: str) -> dict[str, int]:
    return {k: sum(int(r[k] or 0) for r in rows) for k in keys}


def rejected(settings: Settings) -> tuple[int, list[str]]:
    """(rows stored, the rejected lines' reasons) after one pass; a second pass rejects nothing again."""
    with Store.open(settings) as store:
        got = catch_up_all(store, settings)
        assert catch_up_all(store, settings).rejected == 0
        reasons = [r[0] for r in store.con.execute("SELECT reason FROM rejected ORDER BY source_id, line_offset")
                   .fetchall()]
    return got.rows, reasons


def chat_completions_totals(records: list[dict], skip: Any = lambda _r: False) -> dict[str, int]:
    """What an OpenAI-compatible stub sent (``usage`` of chat completions), in packwatch's columns:
    input = prompt − cached, reasoning inside output. ``skip``: records the agent never records."""
    out = dict.fromkeys(("input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens"), 0)
    for r in records:
        if not r.get("usage") or skip(r):
            continue
        u = r["usage"]
        cached = u.get("prompt_tokens_details", {}).get("cached_tokens", 0)
        out["input_tokens"] += u["prompt_tokens"] - cached
        out["output_tokens"] += u["completion_tokens"]
        out["cache_read_tokens"] += cached
        out["reasoning_tokens"] += u.get("completion_tokens_details", {}).get("reasoning_tokens", 0)
    return out
