"""Our daily Claude Code totals against ccusage's, the tool people use today, on the same logs.

Runs the pinned ``ccusage@20.0.24 claude daily --json --offline`` (``make clis``; skips when it is
missing). The generated logs hold what both tools count the same way: exact copies of a response,
copies whose fullest version comes first or last, distinct sidechain responses, zero-token
``<synthetic>`` messages, lines without ids, unknown line types, days split by the time zone, and
thinking tokens and 1-hour cache writes (inside output and cache creation for both).

What the tools count differently is tested on its own below: calls only Claude Code's cost-state
holds (a compaction's summary requests) are rows here and nowhere in ccusage.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from collectors.sources import catch_up_all
from ledger.report.build import build_report
from ledger.settings import Sources, load_settings
from ledger.store import Store
from tests.support import clis
from tests.support.agent_lines import SONNET, append, claude, claude_cost_state, claude_user
from tests.support.offline import offline

TZ = "America/New_York"
MODELS = [SONNET, "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"]


@pytest.fixture(scope="module")
def ccusage_ready() -> None:
    clis.need("ccusage")


def _stamp(t: dt.datetime) -> str:
    """Claude Code's timestamps: UTC, milliseconds, ``Z`` (ccusage accepts only this form)."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def write_claude_logs(root: Path, seed: int = 17) -> int:
    """A Claude Code config folder: 3 projects, 12 sessions over 4 days; returns responses written."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.UTC)  # evenings in UTC straddle New York's midnight
    responses = 0
    for s in range(12):
        project = root / "projects" / f"-home-me-project-{s % 3}"
        session = f"sess-{s}"
        lines = [claude_user(ts=_stamp(start), session=session)]
        t = start + dt.timedelta(hours=rng.randint(0, 80), minutes=rng.randint(0, 59))
        for m in range(rng.randint(15, 40)):
            t += dt.timedelta(seconds=rng.randint(5, 900))
            ids = (f"msg_{s}_{m}", f"req_{s}_{m}")
            tokens = dict(inp=rng.randint(1, 40), out=rng.randint(1, 3000),
                          cache_write=rng.choice([0, rng.randint(0, 9000)]), cache_read=rng.randint(0, 90000))
            if rng.random() < 0.5:  # Claude Code 2.1: thinking inside output, 1-hour writes inside creation
                tokens.update(thinking=rng.randint(0, tokens["out"]), cache_1h=tokens["cache_write"] // 3)
            model = rng.choice(MODELS)
            line = claude(*ids, ts=_stamp(t), model=model, session=session, **tokens)
            lines.append(line)
            responses += 1
            kind = rng.random()
            if kind < 0.3:  # one line per content block: exact copies
                lines.extend([claude(*ids, ts=_stamp(t + dt.timedelta(milliseconds=300)), model=model,
                                     session=session, **tokens)] * rng.randint(1, 2))
            elif kind < 0.4:  # a later, smaller copy: first and fullest are the same one
                lines.append(claude(*ids, ts=_stamp(t + dt.timedelta(seconds=1)), model=model, session=session,
                                    **{**tokens, "out": tokens["out"] // 2, "thinking": None}))
            elif kind < 0.5:  # a distinct sidechain response (a sub-agent's own call)
                lines.append(claude(f"side_{s}_{m}", f"sreq_{s}_{m}", ts=_stamp(t + dt.timedelta(seconds=2)),
                                    model=model, session=session, sidechain=True, inp=3, out=rng.randint(1, 500)))
                responses += 1
            elif kind < 0.55:  # an interruption: Claude Code's own zero-token message
                lines.append(claude(f"syn_{s}_{m}", None, ts=_stamp(t), model="<synthetic>", session=session,
                                    inp=0, out=0))
            elif kind < 0.6:  # an old line without a request id: never merged, by either tool
                lines.append(claude(f"old_{s}_{m}", None, ts=_stamp(t), model=model, session=session, inp=1, out=2))
                responses += 1
            if rng.random() < 0.1:
                lines.append('{"type": "summary", "summary": "Refactor", "leafUuid": "x"}\n')
        # The same session resumed in another file repeats its last response.
        if s % 4 == 0:
            append(project / f"{session}-resumed.jsonl", lines[-1])
        append(project / f"{session}.jsonl", "".join(lines))
    return responses


def ccusage_daily(config_dir: Path) -> dict[str, tuple[int, int, int, int]]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(config_dir.parent), "CLAUDE_CONFIG_DIR": str(config_dir),
           "TZ": TZ}
    proc = offline([str(clis.need("ccusage")), "claude", "daily", "--json", "--offline", "--timezone", TZ],
                   timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return {d["date"]: (d["inputTokens"], d["outputTokens"], d["cacheCreationTokens"], d["cacheReadTokens"])
            for d in json.loads(proc.stdout)["daily"]}


def packwatch_daily(config_dir: Path, tmp_path: Path) -> dict[str, tuple[int, int, int, int]]:
    settings = load_settings(ledgers=[tmp_path / "no-ledger.jsonl"], db=tmp_path / "store.duckdb", timezone=TZ)
    settings = settings.model_copy(update={"sources": Sources(claude_code_dirs=[config_dir], codex=False)})
    with Store.open(settings) as store:
        catch_up_all(store, settings)
        days = build_report(store.cursor(), settings).plain()["days"]
    return {d["date"]: (d["input_tokens"], d["output_tokens"], d["cache_write_tokens"], d["cache_read_tokens"])
            for d in days}


def test_daily_totals_equal_ccusage(ccusage_ready: None, tmp_path: Path) -> None:
    config_dir = tmp_path / "claude"
    assert write_claude_logs(config_dir) > 300
    ours = packwatch_daily(config_dir, tmp_path)
    theirs = ccusage_daily(config_dir)
    assert len(theirs) >= 4  # several local days, split at New York's midnight
    assert ours == theirs


def test_where_we_differ_from_ccusage_on_purpose(ccusage_ready: None, tmp_path: Path) -> None:
    """A compaction's summary call, which only the session's cost-state holds: a row here, none there.
    (A partial copy first, then the full one, and a sidechain's replay of a parent message: both
    tools count the response once, its fullest copy — ccusage@17 did not.)"""
    config_dir = tmp_path / "claude"
    project = config_dir / "projects" / "p"
    append(project / "main.jsonl", claude("m1", "r1", ts="2026-11-20T15:00:00.000Z", out=5)
           + claude("m1", "r1", ts="2026-11-20T15:00:01.000Z", out=500, cache_read=1000)
           + claude_cost_state({SONNET: {"inputTokens": 10 + 3000, "outputTokens": 500 + 200,
                                         "cacheReadInputTokens": 1000, "costUSD": 0.0}}))
    append(project / "subagents" / "side.jsonl",
           claude("m1", "r-replay", ts="2026-11-20T15:00:02.000Z", out=500, cache_read=1000, sidechain=True))
    (day,) = ccusage_daily(config_dir).values()
    (ours,) = packwatch_daily(config_dir, tmp_path).values()
    assert day == (10, 500, 0, 1000)  # ccusage 20: one response, its fullest copy; no compaction
    assert ours == (10 + 3000, 500 + 200, 0, 1000)  # the same, and the compaction's 3000 in / 200 out
