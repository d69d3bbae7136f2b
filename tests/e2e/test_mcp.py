"""``packwatch mcp`` through the MCP SDK's own client over stdio: the tools are listed read-only, and
their answers are what ``packwatch status --json`` says about the same ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.support.cli import ROOT

pytestmark = pytest.mark.e2e


def _ledger(folder: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    lines = [{"ts": (now - dt.timedelta(minutes=m)).isoformat(), "provider": "anthropic", "model": "claude-sonnet-4-5",
              "in": 20_000, "out": 2_000, "session": "s1"} for m in (2, 10, 40)]
    (folder / "usage.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    resets = (now + dt.timedelta(hours=2)).isoformat()
    (folder / "quota.jsonl").write_text(json.dumps({
        "ts": now.isoformat(), "agent": "claude-code", "window": "five_hour", "window_minutes": 300,
        "used_percent": 91.5, "resets_at": resets, "source": "agent"}) + "\n")


async def _call_all(env: dict[str, str]) -> tuple[list, dict[str, dict]]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "dashboard.cli", "mcp"], env=env, cwd=ROOT)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        listed = (await session.list_tools()).tools
        answers = {}
        for tool in listed:
            result = await session.call_tool(tool.name, {})
            assert not result.is_error, result
            answers[tool.name] = result.structured_content
        return listed, answers


def test_the_tools_answer_what_status_says(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    folder.mkdir()
    _ledger(folder)
    env = {**os.environ, "PACKWATCH_LEDGERS": str(folder / "usage.jsonl"), "PACKWATCH_DB": str(tmp_path / "s.duckdb")}
    for args in (["review-only", "on"], ["budget", "--daily-usd", "0.2"]):
        subprocess.run([sys.executable, "-m", "dashboard.cli", "control", *args], env=env, cwd=ROOT, check=True,
                       capture_output=True)
    status = subprocess.run([sys.executable, "-m", "dashboard.cli", "status", "--json"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    want = json.loads(status.stdout)

    listed, got = asyncio.run(_call_all(env))
    assert {t.name for t in listed} == {"spend_today", "quota_windows", "burn_rate", "open_circuits",
                                        "recommendations", "review_only"}
    assert all(t.annotations.read_only_hint for t in listed)
    assert got["spend_today"]["spend"] == want["spend"]
    assert got["spend_today"]["spend"][0]["cost_today"] > 0
    assert got["spend_today"]["status"]["exit_code"] == want["exit_code"] == 11  # the budget is spent
    assert got["quota_windows"]["quota"] == want["quota"] and want["quota"][0]["used_percent"] == 91.5
    assert got["review_only"] == {"review_only": True, "modes": want["modes"]} and "REVIEW-ONLY" in want["modes"]
    assert [r["message"] for r in got["recommendations"]["recommendations"]] == [
        r["message"] for r in want["recommendations"][:5]]
    assert got["open_circuits"] == {"circuits": [c for c in want["circuits"] if c["state"] != "CLOSED"]}
    assert [w["tokens_per_min"] for w in got["burn_rate"]["windows"]] == [
        w["tokens_per_min"] for w in want["burn"]["windows"]]
