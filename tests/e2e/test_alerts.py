"""Alerts through the real commands: ``collect --once`` posts each new level once to a real HTTP server
on 127.0.0.1 (retrying a 503), never again after a restart, and ``packwatch alerts`` says what went
where; an unreachable webhook costs one warning and ingest goes on."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import packwatch
from tests.support.webhook import WebhookServer


def _spend(ledger: Path, input_tokens: int, session: str = "s-1") -> None:
    """One claude-sonnet-4-5 request now ($3 per million input tokens up to 200k)."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    row = {"ts": dt.datetime.now(dt.UTC).isoformat(), "provider": "anthropic", "model": "claude-sonnet-4-5",
           "in": input_tokens, "out": 0, "session": session}
    with ledger.open("a") as fh:
        fh.write(json.dumps(row) + "\n")


def _config(tmp_path: Path, webhook: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[alerts]\nwebhook = "{webhook}"\ndesktop = false\ntimeout = 2\nretries = 2\n\n'
                      '[budgets.all]\ndaily_usd = 0.5\n')
    return config


def test_each_level_is_posted_once_even_across_a_restart(tmp_path: Path) -> None:
    server = WebhookServer(fail_first=1)  # the first attempt is refused: the retry delivers it
    try:
        ledger = tmp_path / "agent" / "usage.jsonl"
        args = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb"),
                "--config", str(_config(tmp_path, server.url))]
        _spend(ledger, 130_000)  # $0.39 of $0.50: WARNING (75 %)
        first = packwatch("collect", "--once", *args)
        assert first.returncode == 0, first.stderr
        assert "alert: packwatch WARNING: all budget at 78%" in first.stdout
        packwatch("collect", "--once", *args, check=True)  # a restart: nothing new to say
        assert [b["severity"] for b in server.bodies] == ["WARNING"] and server.attempts == 2
        (body,) = server.bodies
        assert body["text"] == "packwatch WARNING: all budget at 78% ($0.39 of $0.50 today)"
        assert (body["scope"], body["level"], body["period"]) == ("budget:all:daily", "warning",
                                                                   dt.datetime.now().astimezone().date().isoformat())
        _spend(ledger, 20_000)  # $0.45: CRITICAL (90 %), once
        packwatch("collect", "--once", *args, check=True)
        packwatch("collect", "--once", *args, check=True)
        assert [b["severity"] for b in server.bodies] == ["WARNING", "CRITICAL"]

        listed = packwatch("alerts", *args, check=True).stdout.splitlines()
        assert len(listed) == 2 and "CRITICAL" in listed[0] and "WARNING" in listed[1]
        host = f"127.0.0.1:{server.server_address[1]}"
        assert f"webhook {host}: sent (HTTP 200)" in listed[0]
        assert "secret-part" not in "\n".join(listed)  # the webhook's path is its secret
        (warning, critical) = sorted(json.loads(packwatch("alerts", "--json", *args, check=True).stdout),
                                     key=lambda a: a["level"] != "warning")
        assert warning["sent_by"] == "collect" and warning["delivered"][0]["where"] == host
    finally:
        server.close()


def test_an_unreachable_webhook_costs_one_warning_and_ingest_goes_on(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ledger = tmp_path / "agent" / "usage.jsonl"
    args = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb"),
            "--config", str(_config(tmp_path, f"http://127.0.0.1:{port}/hook"))]
    _spend(ledger, 180_000)  # $0.54: EMERGENCY
    _spend(ledger, 1_000, session="s-2")
    done = packwatch("collect", "--once", *args)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "webhook" in line]
    assert len(warnings) == 1 and f"127.0.0.1:{port}" in warnings[0] and "ConnectError" in warnings[0]
    assert "2 new rows" in done.stdout
    report = json.loads(packwatch("report", "--format", "json", *args, check=True).stdout)
    assert sum(d["requests"] for d in report["days"]) == 2
    (sent,) = json.loads(packwatch("alerts", "--json", *args, check=True).stdout)
    assert sent["level"] == "exceeded" and sent["delivered"][0]["result"] == "failed: ConnectError"


def test_an_alert_reaches_the_desktop_through_a_real_session_bus(tmp_path: Path) -> None:
    daemon_bin = shutil.which("dbus-daemon")
    if daemon_bin is None:
        pytest.skip("dbus-daemon is not installed (apt-get install dbus): no session bus to notify through")
    daemon = subprocess.Popen([daemon_bin, "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, text=True)
    service = None
    try:
        address = daemon.stdout.readline().strip()
        out = tmp_path / "notified.jsonl"
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address}
        service = subprocess.Popen([sys.executable, "-m", "tests.support.notifications", str(out)], env=env,
                                   cwd=Path(__file__).resolve().parents[2])
        for _ in range(200):  # its name is owned within a second or two
            if Path(f"{out}.ready").exists():
                break
            time.sleep(0.05)
        assert Path(f"{out}.ready").exists(), "the notification service did not start on the session bus"
        ledger = tmp_path / "agent" / "usage.jsonl"
        config = tmp_path / "config.toml"
        config.write_text('[alerts]\ndesktop = true\n\n[budgets.all]\ndaily_usd = 0.5\n')
        args = ["--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb"), "--config", str(config)]
        _spend(ledger, 160_000)  # $0.48: CRITICAL
        done = packwatch("collect", "--once", *args, env={"DBUS_SESSION_BUS_ADDRESS": address})
        assert done.returncode == 0, done.stderr
        (shown,) = [json.loads(x) for x in out.read_text().splitlines()]
        assert shown["app"] == "packwatch" and shown["summary"] == "packwatch CRITICAL"
        assert shown["body"] == "all budget at 96% ($0.48 of $0.50 today)" and shown["urgency"] == 2
        (sent,) = json.loads(packwatch("alerts", "--json", *args, check=True).stdout)
        assert sent["delivered"] == [{"to": "desktop", "where": "notifications", "result": "sent"}]
    finally:
        for proc in (service, daemon):
            if proc is not None:
                proc.terminate()
                proc.wait(10)
