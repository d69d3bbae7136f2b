"""End to end through the real ``packwatch`` command, with real writer and collector processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import append, line
from tests.support.cli import ROOT, packwatch


def common(tmp_path: Path, ledger: Path) -> list[str]:
    return ["--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb")]


def report_json(tmp_path: Path, ledger: Path, *extra: str) -> dict:
    proc = packwatch("report", *common(tmp_path, ledger), "--format", "json", *extra, check=True,
                     env={"TZ": "Europe/Paris"})
    return json.loads(proc.stdout)


def test_report_json_has_the_contract_shape(tmp_path, ledger):
    append(ledger, line(ts="2026-11-19T10:00:00", latency=100)
           + line(ts="2026-11-20T10:00:00", error="boom", latency=300, cache_read=50)
           + line(provider="cerebras", model="glm-4.7", ts="2026-11-20T11:00:00")
           + "garbage\n")
    rep = report_json(tmp_path, ledger)
    assert rep["timezone"] == "Europe/Paris"
    assert rep["rejected_lines"] == 1
    assert [d["date"] for d in rep["days"]] == ["2026-11-19", "2026-11-20"]
    day = rep["days"][1]
    assert set(day) == {"date", "requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens",
                        "cache_write_tokens", "reasoning_tokens", "cost_usd", "unpriced_requests"}  # DESIGN.md
    assert (day["requests"], day["errors"], day["cache_read_tokens"], day["unpriced_requests"]) \
        == (2, 1, 50, 1)
    sonnet = next(m for m in rep["models"] if m["model"] == "claude-sonnet-4-5")
    assert set(sonnet) >= {"model", "provider", "requests", "errors", "input_tokens",
                           "output_tokens", "cost_usd", "latency_p50_ms", "latency_p95_ms"}  # DESIGN.md's, and
    assert set(sonnet) - {"model", "provider", "requests", "errors", "input_tokens", "output_tokens", "cost_usd",
                          "latency_p50_ms", "latency_p95_ms"} == {"reasoning_tokens"}  # reasoning per model
    assert sonnet["provider"] == "anthropic"
    assert sonnet["latency_p50_ms"] == 200.0
    assert sonnet["cost_usd"] > 0


def test_since_until_select_local_days(tmp_path, ledger):
    # 23:30 UTC on the 19th is already the 20th in Paris.
    append(ledger, line(ts="2026-11-19T23:30:00Z") + line(ts="2026-11-19T22:30:00Z"))
    rep = report_json(tmp_path, ledger, "--since", "2026-11-20", "--until", "2026-11-20")
    assert [(d["date"], d["requests"]) for d in rep["days"]] == [("2026-11-20", 1)]


def test_every_format_agrees(tmp_path, ledger):
    append(ledger, line() + line(provider="codex", model="gpt-5-codex", **{"in": 5000, "out": 700}))
    rep = report_json(tmp_path, ledger)
    csv_text = packwatch("report", *common(tmp_path, ledger), "--format", "csv", check=True).stdout
    header, row = csv_text.strip().splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert int(values["requests"]) == rep["days"][0]["requests"]
    assert float(values["cost_usd"]) == pytest.approx(rep["days"][0]["cost_usd"])
    md = packwatch("report", *common(tmp_path, ledger), "--format", "md", check=True).stdout
    assert f"${rep['days'][0]['cost_usd']:.2f}" in md
    table = packwatch("report", *common(tmp_path, ledger), check=True,
                      env={"COLUMNS": "200"}).stdout
    assert "gpt-5-codex" in table and "claude-sonnet-4-5" in table


def test_output_never_overwrites_without_force(tmp_path, ledger):
    append(ledger, line())
    out = tmp_path / "r.json"
    out.write_text("keep me")
    proc = packwatch("report", *common(tmp_path, ledger), "--format", "json", "--output", str(out))
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert out.read_text() == "keep me"
    packwatch("report", *common(tmp_path, ledger), "--format", "json", "--output", str(out),
              "--force", check=True)
    assert json.loads(out.read_text())["days"][0]["requests"] == 1


@pytest.mark.parametrize(("args", "needle"), [
    (["report", "--since", "last tuesday"], "not a day"),
    (["report", "--since", "2026-11-20", "--until", "2026-11-01"], "after --until"),
    (["report", "--format", "json", "--output", "/nonexistent/dir/r.json"], "cannot write"),
])
def test_bad_usage_is_one_line_and_exit_2(tmp_path, ledger, args, needle):
    append(ledger, line())
    proc = packwatch(*args, *common(tmp_path, ledger))
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["demo", "--pace", "0"], "argument --pace: 0 is below 1"),
    (["demo", "--days", "two"], "argument --days: 'two' is not a whole number"),
    (["rejected", "--limit", "-5"], "argument --limit: -5 is below 1"),
])
def test_a_bad_count_is_refused_before_anything_starts(args, needle):
    proc = packwatch(*args)
    assert proc.returncode == 2
    (only,) = proc.stderr.strip().splitlines()  # one line: what is wrong, and where help is
    assert needle in only and only.endswith("--help")
    assert "demo pack ledger" not in proc.stderr


def test_status_says_unhealthy_and_exits_11_when_a_daily_token_limit_is_spent(tmp_path, ledger):
    import datetime as dt

    now = dt.datetime.now().astimezone()
    earlier = (now - dt.timedelta(minutes=min(30, now.hour * 60 + now.minute))).replace(tzinfo=None)
    append(ledger, line(ts=earlier.isoformat(timespec="seconds"), provider="cerebras", model="glm-4.7",
                        **{"in": 22_000_000, "out": 400_000}))
    proc = packwatch("status", *common(tmp_path, ledger))
    assert "DEGRADED (cerebras at 93% of its daily token limit)" in proc.stdout
    assert proc.returncode == 10
    append(ledger, line(ts=earlier.isoformat(timespec="seconds"), provider="cerebras", model="glm-4.7",
                        **{"in": 2_000_000, "out": 0}))
    proc = packwatch("status", *common(tmp_path, ledger))
    assert "UNHEALTHY (cerebras daily token limit reached (102%))" in proc.stdout
    assert proc.returncode == 11


def test_options_before_the_subcommand_are_kept(tmp_path, ledger):
    append(ledger, line(ts="2026-11-20T10:00:00") + line(ts="2026-11-20T11:00:00"))
    cfg = tmp_path / "c.toml"
    cfg.write_text('timezone = "Asia/Tokyo"\n')
    # The subcommand's own --ledger/--db/--config defaults used to reset these to None.
    proc = packwatch("--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb"), "--config", str(cfg),
                     "report", "--format", "json", check=True)
    rep = json.loads(proc.stdout)
    assert rep["timezone"] == "Asia/Tokyo"
    assert sum(d["requests"] for d in rep["days"]) == 2
    assert (tmp_path / "store.duckdb").exists()
    # Given after the subcommand too, the later one wins.
    other = tmp_path / "other.jsonl"
    append(other, line(ts="2026-11-20T12:00:00"))
    proc = packwatch("--ledger", str(ledger), "report", "--ledger", str(other), "--db", str(tmp_path / "o.duckdb"),
                     "--format", "json", check=True)
    assert sum(d["requests"] for d in json.loads(proc.stdout)["days"]) == 1


def test_missing_ledger_says_where_it_looked(tmp_path):
    proc = packwatch("report", "--ledger", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "s.db"))
    assert proc.returncode == 2
    assert "no ledger at" in proc.stderr and "packwatch demo" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_is_one_line(tmp_path, ledger):
    cfg = tmp_path / "c.toml"
    cfg.write_text('timezone = "Mars/Olympus"\n')
    proc = packwatch("report", "--config", str(cfg), *common(tmp_path, ledger))
    assert proc.returncode == 2 and "unknown time zone" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rejected_lists_file_offset_and_reason(tmp_path, ledger):
    append(ledger, line() + "{oops\n")
    proc = packwatch("rejected", *common(tmp_path, ledger), "--json", check=True)
    got = json.loads(proc.stdout)
    assert got["total"] == 1
    (row,) = got["lines"]
    assert (row["file"], row["offset"], row["reason"]) == (str(ledger), len(line()), "not valid JSON")


def test_rebuild_recreates_the_store(tmp_path, ledger):
    append(ledger, line() + line())
    report_json(tmp_path, ledger)
    proc = packwatch("rebuild", *common(tmp_path, ledger), check=True)
    assert "2 new rows" in proc.stdout
    assert report_json(tmp_path, ledger)["days"][0]["requests"] == 2


def test_config_shows_where_each_value_came_from(tmp_path, ledger):
    cfg = tmp_path / "c.toml"
    cfg.write_text('timezone = "Asia/Tokyo"\nmax_line_bytes = 4096\n')
    proc = packwatch("config", "--config", str(cfg), "--json", "--db", str(tmp_path / "x.db"),
                     env={"PACKWATCH_MAX_LINE_BYTES": "8192"}, check=True)
    got = json.loads(proc.stdout)
    assert got["timezone"] == {"value": "Asia/Tokyo", "from": f"config file ({cfg})"}
    assert got["max_line_bytes"]["value"] == 8192
    assert got["max_line_bytes"]["from"].startswith("environment")
    assert got["db"]["from"] == "command line"


def _start_collector(tmp_path: Path, ledger: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "collect", *common(tmp_path, ledger)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_collect_follows_a_live_writer_and_report_works_meanwhile(tmp_path, ledger):
    ledger.parent.mkdir(parents=True)
    collector = _start_collector(tmp_path, ledger)
    try:
        _wait_for(lambda: (tmp_path / "store.duckdb").exists())
        n = 400
        subprocess.run([sys.executable, "-m", "tests.support.writer", str(ledger), str(n), "0.001"],
                       cwd=ROOT, check=True, timeout=60)
        # The collector holds the store: report still answers, from the ledgers themselves.
        proc = packwatch("report", *common(tmp_path, ledger), "--format", "json", check=True)
        assert "in use by" in proc.stderr
        assert json.loads(proc.stdout)["days"][0]["input_tokens"] == sum(range(n))
    finally:
        collector.send_signal(signal.SIGINT)
        out, err = collector.communicate(timeout=30)
    assert collector.returncode in (0, 130), err
    assert "Traceback" not in err
    rep = report_json(tmp_path, ledger)
    assert rep["days"][0]["requests"] == n
    assert rep["days"][0]["input_tokens"] == sum(range(n))


def test_sigkill_mid_ingest_loses_and_doubles_nothing(tmp_path, ledger):
    """Kill the collector at several moments of a large cold ingest; the totals stay exact."""
    n = 120_000
    ledger.parent.mkdir(parents=True)
    with open(ledger, "w") as fh:
        for i in range(n):
            fh.write(line(**{"in": i}, session=f"s{i % 97}"))
            if i == n // 2:
                fh.write("a bad line in the middle\n")
    for delay in (0.2, 0.5, 0.9, 1.4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "collect", "--once", *common(tmp_path, ledger)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    rep = report_json(tmp_path, ledger)
    assert sum(d["requests"] for d in rep["days"]) == n
    assert sum(d["input_tokens"] for d in rep["days"]) == sum(range(n))
    assert rep["rejected_lines"] == 1


def test_only_claude_code_installed_needs_no_configuration(tmp_path):
    """No ledger, no config: `packwatch report` and `status` read ~/.claude/projects by themselves."""
    from tests.support.agent_lines import append as append_log
    from tests.support.agent_lines import claude

    home = Path(os.environ["HOME"])
    append_log(home / ".claude" / "projects" / "-home-me-app" / "s.jsonl",
               claude("m1", "r1", ts="2026-11-20T10:00:00.000Z", inp=7, out=70, cache_read=700)
               + claude("m1", "r1", ts="2026-11-20T10:00:00.500Z", inp=7, out=70, cache_read=700))
    env = {"TZ": "Europe/Paris"}
    proc = packwatch("report", "--db", str(tmp_path / "store.duckdb"), "--format", "json", env=env, check=True)
    assert proc.stderr == ""  # no "no ledger" warning for the absent Code Puppy ledger
    (day,) = json.loads(proc.stdout)["days"]
    assert (day["date"], day["requests"], day["input_tokens"], day["output_tokens"], day["cache_read_tokens"]) \
        == ("2026-11-20", 1, 7, 70, 700)
    config = packwatch("config", "--db", str(tmp_path / "store.duckdb"), env=env, check=True)
    assert "claude-code: 1 log file(s)" in config.stdout and "sources" in config.stdout


def test_agent_selects_agent_programs_in_report_and_status(tmp_path, ledger):
    """A ledger request (code-puppy) and a Claude Code response: --agent counts only the one asked for."""
    from tests.support.agent_lines import append as append_log
    from tests.support.agent_lines import claude

    append(ledger, line(ts="2026-11-20T10:00:00", **{"in": 1000, "out": 100}))
    append_log(Path(os.environ["HOME"]) / ".claude" / "projects" / "-home-me-app" / "s.jsonl",
               claude("m1", "r1", ts="2026-11-20T09:30:00.000Z", inp=7, out=70))
    flags = [*common(tmp_path, ledger), "--format", "json"]

    def inputs(*agents: str) -> int:
        rep = json.loads(packwatch("report", *flags, *agents, check=True).stdout)
        return sum(d["input_tokens"] for d in rep["days"])

    assert inputs() == 1007
    assert inputs("--agent", "claude-code") == 7
    assert inputs("--agent", "code-puppy") == 1000
    assert inputs("--agent", "code-puppy", "--agent", "claude-code") == 1007
    assert inputs("--agent", "codex") == 0
    status = json.loads(packwatch("status", "--json", "--agent", "claude-code", *common(tmp_path, ledger)).stdout)
    assert status["modes"] == ["agent: claude-code"]


def test_report_writes_html_and_parquet_files(tmp_path, ledger):
    append(ledger, line() + line(provider="cerebras", model="glm-4.7", session="s2", agent="husky"))
    html = tmp_path / "r.html"
    packwatch("report", *common(tmp_path, ledger), "--format", "html", "--output", str(html), check=True)
    text = html.read_text()
    assert text.startswith("<!doctype html>") and "<svg" in text and "UNPRICED" in text
    assert "<script" not in text and "http://" not in text and "https://" not in text  # nothing to fetch
    pq = tmp_path / "r.parquet"
    packwatch("report", *common(tmp_path, ledger), "--format", "parquet", "--by", "session", "--output",
              str(pq), check=True)
    import polars as pl

    assert sorted(pl.read_parquet(pq)["session"].to_list()) == ["s1", "s2"]
    proc = packwatch("report", *common(tmp_path, ledger), "--format", "parquet")
    assert proc.returncode == 2 and "--output" in proc.stderr


def test_report_groups_by_agent_and_by_subagent_and_status_shows_reasoning(tmp_path, ledger):
    """Two dimensions named apart: the program (code-puppy, claude-code) and who inside it (husky, a
    Claude Code subagent); reasoning is part of output in the report and in status --json."""
    import datetime as dt

    from tests.support.agent_lines import append as append_log
    from tests.support.agent_lines import claude

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # "today" is a local day: a zone where the minute just past is today's, whatever the hour
    env = {"TZ": "UTC" if 0 < (now.hour * 60 + now.minute) < 23 * 60 + 50 else "Asia/Tokyo"}
    append(ledger, line(ts=stamp, agent="husky", **{"in": 1000, "out": 100}))
    project = Path(os.environ["HOME"]) / ".claude" / "projects" / "-home-me-app"
    append_log(project / "s.jsonl", claude("m1", "r1", ts=stamp, inp=7, out=70, thinking=30))
    append_log(project / "s" / "subagents" / "agent-a.jsonl",
               claude("m2", "r2", ts=stamp, inp=5, out=50, thinking=20, sidechain=True,
                      attributionAgent="general-purpose"))
    flags = [*common(tmp_path, ledger)]
    by_agent = packwatch("report", *flags, "--format", "csv", "--by", "agent", check=True, env=env).stdout.splitlines()
    assert by_agent[0].startswith("agent,requests,") and "reasoning_tokens" in by_agent[0]
    assert sorted(row.split(",")[:2] for row in by_agent[1:]) == [["claude-code", "2"], ["code-puppy", "1"]]
    by_sub = packwatch("report", *flags, "--format", "csv", "--by", "subagent", check=True, env=env).stdout.splitlines()
    assert by_sub[0].startswith("agent,subagent,requests,")
    assert sorted(tuple(row.split(",")[:3]) for row in by_sub[1:]) == [
        ("claude-code", "", "1"), ("claude-code", "general-purpose", "1"), ("code-puppy", "husky", "1")]
    report = json.loads(packwatch("report", *flags, "--format", "json", check=True, env=env).stdout)
    assert {a["agent"] for a in report["agents"]} == {"code-puppy", "claude-code"}
    assert all(s["agent"] for s in report["top_sessions"])
    assert sum(d["reasoning_tokens"] for d in report["days"]) == 50
    assert {(m["model"], m["reasoning_tokens"]) for m in report["models"]} >= {("claude-sonnet-4-20250514", 50)}
    status = json.loads(packwatch("status", "--json", *flags, env=env).stdout)
    assert status["today"]["reasoning_tokens"] == 50 and status["today"]["output_tokens"] == 220
    assert status["agents"] == ["code-puppy", "claude-code"]
    assert {(m["agent"], m["reasoning_tokens"]) for m in status["models_today"]} == {
        ("code-puppy", 0), ("claude-code", 50)}


def test_an_agent_name_that_is_no_program_is_bad_usage(tmp_path, ledger):
    append(ledger, line())
    proc = packwatch("report", *common(tmp_path, ledger), "--agent", "claude")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "'claude' is no agent program" in proc.stderr and "claude-code" in proc.stderr
