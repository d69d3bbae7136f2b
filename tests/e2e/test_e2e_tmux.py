"""The real `packwatch demo` in a real terminal (tmux): it starts, shows the panes and moves."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def screen_of(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def until(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message
        time.sleep(0.3)


def wait_for(session: str, needle: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if needle in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} never appeared; screen was:\n{screen}")


def test_demo_runs_in_a_real_terminal(tmp_path):
    session = f"pw-e2e-{os.getpid()}"
    packwatch = Path(sys.executable).with_name("packwatch")
    env = f"HOME={tmp_path} PACKWATCH_CONFIG={tmp_path}/none.toml"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36",
         f"cd {ROOT} && env {env} {packwatch} demo --days 1 --pace 1800")
    try:
        # A tmux server started without a client may keep 80x24: the layout for that size
        # stacks the panes in two scrolling columns.
        wait_for(session, "req today")
        # The header's health word can come a frame after its line (CI once caught "●" and blanks): wait
        # for one screen with both.
        health, seen = re.compile(r"HEALTHY|DEGRADED|UNHEALTHY"), [""]
        until(lambda: seen.append(screen_of(session)) or (health.search(seen[-1]) and "req today" in seen[-1]),
              10, "no health word in the header")
        first = seen[-1]
        for pane in ("Burn rate", "Spend today", "Circuits"):
            assert pane in first
        assert "DEMO" in first  # never taken for the user's own data
        req = re.compile(r"([\d,]+) req today")
        before = req.search(first).group(1)
        # The simulated pack keeps writing: the request count moves on its own (at 1,800 requests an
        # hour, a third of that at night, a minute without one is a one-in-10,000 event).
        until(lambda: req.search(screen_of(session)).group(1) != before, 60, "the demo never moved")
        # The loop closes: review-only goes on, the pack acknowledges it within a second or so.
        tmux("send-keys", "-t", session, "r")
        wait_for(session, "Turn ON review-only")
        tmux("send-keys", "-t", session, "y")
        wait_for(session, "REVIEW-ONLY", 10)
        wait_for(session, "review-only on ✓ applied", 10)
        tmux("send-keys", "-t", session, "?")
        wait_for(session, "Keys")
        tmux("send-keys", "-t", session, "Escape")
        until(lambda: "Keys" not in screen_of(session), 10, "escape did not close the help")
        tmux("send-keys", "-t", session, "p")
        wait_for(session, "PAUSED")
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 15
        while session in tmux("ls"):
            screen = tmux("capture-pane", "-p", "-t", session)
            assert "Traceback" not in screen
            if time.monotonic() > deadline:
                break
            time.sleep(0.3)
    finally:
        tmux("kill-session", "-t", session)


def test_make_runs_first_command_opens_the_demo_only_while_there_is_no_data(tmp_path):
    """README's first command (`make run` = `packwatch --demo-if-empty`): a new user with no agent data sees
    the demo pack; once a ledger exists, the same command opens it instead."""
    packwatch = Path(sys.executable).with_name("packwatch")
    ledger = tmp_path / "agent" / "usage.jsonl"
    env = f"HOME={tmp_path} PACKWATCH_CONFIG={tmp_path}/none.toml PACKWATCH_LEDGERS={ledger} TZ=UTC"
    for has_data in (False, True):
        if has_data:
            ledger.parent.mkdir()
            now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 60))  # today's: on the panes
            ledger.write_text(f'{{"ts": "{now}", "provider": "zai", "model": "glm-4.6", "in": 10, "out": 2}}\n')
        session = f"pw-run-{os.getpid()}-{has_data}"
        tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36",
             f"cd {ROOT} && env {env} {packwatch} --demo-if-empty --db {tmp_path}/store-{has_data}.duckdb; "
             "echo packwatch exited $?; sleep 120")  # (what it said stays on the screen)
        try:
            screen = wait_for(session, "req today")
            if has_data:
                assert "cerebras" not in screen and "DEMO" not in screen
                wait_for(session, "zai", 30)
            else:
                assert "DEMO" in screen
                wait_for(session, "cerebras", 30)  # the demo pack's providers
            tmux("send-keys", "-t", session, "q")  # and gone before the next one starts
            wait_for(session, "packwatch exited 0", 30)
        finally:
            tmux("kill-session", "-t", session)
