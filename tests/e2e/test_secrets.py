"""No secret is kept: keys inside a ledger line's error, an event's detail, a quota snapshot's text, a
rejected line, Code Puppy's errors.log or a probe endpoint's URL never reach the DuckDB file (checked
byte by byte, WAL included), ``status``, ``status --json``, ``rejected``, ``report`` or
``config --json``; ``****`` shows where one was removed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import append, line
from tests.support.agent_lines import claude, compact
from tests.support.cli import packwatch
from tests.support.secrets import assert_not_stored, assert_nowhere_in

KEYS = {
    "anthropic": "sk-ant-api03-" + "A1b2C3d4" * 8,
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github": "ghp_" + "x1Y2z3W4" * 4 + "abcd",
    "short bearer": "h0p3l3ss",
    "json api_key": "hunter2-hunter2",
    "x-api-key": "zz9-plural-z-alpha",
}


def test_secrets_are_masked_at_the_door_for_every_source(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line(ts="2026-11-20T10:00:00", error=f"401 Unauthorized: invalid x-api-key: {KEYS['x-api-key']}")
           + line(ts="2026-11-20T10:01:00", error=f"upstream said Authorization: Bearer {KEYS['short bearer']}")
           + line(ts="2026-11-20T10:02:00", error=f"key {KEYS['anthropic']} rejected")
           + '{"ts": "2026-11-20T10:03:00", "model": "m", "in": "bad", "out": 1, '
             f'"error": "aws_secret_access_key={KEYS["aws_secret"]}"}}\n')
    events = ledger.with_name("events.jsonl")
    append(events, json.dumps({"ts": "2026-11-20T10:04:00", "kind": "error", "provider": "openai",
                               "detail": {"message": f'body {{"api_key": "{KEYS["json api_key"]}"}} '
                                                     f'from {KEYS["aws"]} token {KEYS["github"]}'}}) + "\n")
    # The status line's quota snapshots: free text (session, model, limit) scrubbed as a ledger's error is.
    quota = {"ts": "2026-11-20T10:05:00Z", "agent": "claude-code", "session": f"Bearer {KEYS['short bearer']}",
             "model": f"claude {KEYS['anthropic']}", "window": "five_hour", "window_minutes": 300,
             "used_percent": 42.0, "resets_at": "2090-01-01T00:00:00Z", "source": "agent", "limit_id": KEYS["aws"]}
    append(ledger.with_name("quota.jsonl"), json.dumps(quota) + "\n"
           + json.dumps({**quota, "used_percent": "lots", "model": KEYS["github"]}) + "\n")
    claude_dir = tmp_path / "claude"
    for session in ("a", "b"):  # a user's first prompt, pasting a key, is the first line of a session's log
        append(claude_dir / "projects" / "app" / f"{session}.jsonl",
               compact({"type": "user", "sessionId": session, "timestamp": "2026-11-20T09:59:59.000Z",
                        "message": {"role": "user", "content": f"use {KEYS['anthropic']} please"}})
               + claude(f"msg_{session}", f"req_{session}", session=session))
    config = tmp_path / "config.toml"
    config.write_text('[probes.endpoints.local]\nurl = "http://127.0.0.1:9/v1/models?key=' + KEYS["github"] + '"\n'
                      f'enabled = false\n[sources]\nclaude_code_dirs = ["{claude_dir}"]\n')
    flags = ["--ledger", str(ledger), "--db", str(tmp_path / "data" / "store.duckdb"),
             "--config", str(config)]
    outputs = [packwatch("collect", "--once", *flags), packwatch("status", *flags),
               packwatch("status", "--json", *flags),
               packwatch("rejected", *flags), packwatch("report", "--format", "json", *flags),
               packwatch("report", "--format", "md", *flags), packwatch("config", "--json", *flags),
               packwatch("control", "show", *flags)]
    for key in KEYS.values():
        assert_nowhere_in(tmp_path / "data", key)
        assert_not_stored(tmp_path / "data" / "store.duckdb", key)
        for out in outputs:
            assert key not in out.stdout + out.stderr, (key, out.args)
    rejected = packwatch("rejected", "--json", *flags).stdout
    assert "****" in rejected  # the excerpt shows where the secret was
    errors = json.loads(packwatch("status", "--json", *flags).stdout)
    assert errors["rejected_lines"] == 2  # the ledger's and the quota file's bad lines
    quota = [(q["agent"], q["window"], q["used_percent"]) for q in errors["quota"]]
    assert quota == [("claude-code", "five_hour", 42.0)]
    assert "claude-code" in errors["agents"]  # the sessions were read


def test_a_key_in_a_name_an_escape_or_deep_in_a_bad_line_is_masked_too(tmp_path: Path) -> None:
    """A key pasted where a model or session name goes, one written with JSON escapes (``sk-\\u0061nt``),
    and one cut by the 160-character excerpt of a rejected line: none reaches the store, ``rejected`` or a report."""
    key = "sk-proj-" + "Q9w8E7r6" * 5
    escaped = key.replace("proj", "\\u0070roj")
    ledger = tmp_path / "agent" / "usage.jsonl"
    append(ledger, line(ts="2026-11-20T10:00:00", model=key)
           + line(ts="2026-11-20T10:01:00", session=f"s-{key}")
           + '{"ts": "2026-11-20T10:02:00", "model": "m", "in": "bad", "out": 1, "error": "' + escaped + '"}\n'
           + '{"ts": "2026-11-20T10:03:00", "model": "m", "in": "bad", "note": "' + "x" * 80 + " " + key + '"}\n')
    flags = ["--ledger", str(ledger), "--db", str(tmp_path / "data" / "store.duckdb")]
    outputs = [packwatch("collect", "--once", *flags), packwatch("rejected", "--json", *flags),
               packwatch("report", "--format", "md", "--by", "model", *flags),
               packwatch("report", "--format", "json", *flags), packwatch("status", "--json", *flags)]
    assert_nowhere_in(tmp_path / "data", key)
    assert_not_stored(tmp_path / "data" / "store.duckdb", key)
    for out in outputs:
        assert key not in out.stdout + out.stderr, out.args
        assert key[8:24] not in out.stdout + out.stderr, out.args
    rejected = json.loads(outputs[1].stdout)["lines"]
    assert len(rejected) == 2 and all("****" in r["excerpt"] for r in rejected), rejected
    assert not any(key[:11] in r["excerpt"] for r in rejected)  # nor the start of a key the cut would keep
    assert json.loads(outputs[3].stdout)["totals"]["requests"] == 2  # the named rows still count
