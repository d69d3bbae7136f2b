"""Our daily Claude Code totals against ccusage's, the tool people use today, on the same logs.

Runs ``npx --yes ccusage@17 daily --json --offline`` (skips when Node is missing or ccusage cannot
be installed). The generated logs hold what both tools count the same way: exact copies of a
response, copies whose fullest version comes first, distinct sidechain responses, zero-token
``<synthetic>`` messages, lines without ids, unknown line types, days split by the time zone.

What the tools count differently is left out here and tested on its own (tests/test_agent_logs.py):
ccusage@17 keeps the *first* copy of a response, we keep the fullest; ccusage@17 counts a
sidechain's replay of a parent message (new request id) again, we count it once; ccusage@17 adds
a ``<synthetic>`` message's tokens to the day (they are zero in real logs), we skip the message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from collectors.sources import catch_up_all
from ledger.report.build import build_report
from ledger.settings import Sources, load_settings
from ledger.store import Store
from tests.support.agent_lines import SONNET, append, claude, claude_user

REAL_HOME = os.environ.get("HOME", "")  # read at import, before the tests' HOME is swapped
TZ = "America/New_York"
CCUSAGE = "ccusage@17"
MODELS = [SONNET, "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"]


def _npx(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(["npx", "--yes", CCUSAGE, *args], capture_output=True, text=True, timeout=timeout,
                          env={**env, "HOME": REAL_HOME or env.get("HOME", ""), "npm_config_update_notifier": "false"})


@pytest.fixture(scope="module")
def ccusage_ready() -> None:
    if shutil.which("npx") is None or shutil.which("node") is None:
        pytest.skip("Node (npx) is not installed")
    try:
        proc = _npx(["--version"], dict(os.environ))
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"{CCUSAGE} could not be run: {exc}")
    if proc.returncode != 0:
        pytest.skip(f"{CCUSAGE} could not be installed: {proc.stderr.strip().splitlines()[-1:]}")


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
                                    **{**tokens, "out": tokens["out"] // 2}))
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
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(config_dir), "TZ": TZ}
    proc = _npx(["daily", "--json", "--offline", "--timezone", TZ], env)
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
    """A partial copy first, then the full one; and a sidechain replay of a parent message."""
    config_dir = tmp_path / "claude"
    project = config_dir / "projects" / "p"
    append(project / "main.jsonl", claude("m1", "r1", ts="2026-11-20T15:00:00.000Z", out=5)
           + claude("m1", "r1", ts="2026-11-20T15:00:01.000Z", out=500, cache_read=1000))
    append(project / "subagents" / "side.jsonl",
           claude("m1", "r-replay", ts="2026-11-20T15:00:02.000Z", out=500, cache_read=1000, sidechain=True))
    (day,) = ccusage_daily(config_dir).values()
    (ours,) = packwatch_daily(config_dir, tmp_path).values()
    assert ours == (10, 500, 0, 1000)  # one response, its fullest copy
    assert day == (20, 505, 0, 1000)  # ccusage@17: the first copy, plus the replay again
