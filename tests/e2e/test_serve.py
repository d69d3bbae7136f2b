"""``packwatch serve`` in Debian's headless Chromium, driven over the DevTools protocol: the page runs the
dashboard (the overview's panes arrive over its websocket) and a key pressed in the page reaches the app
(``v`` opens the Providers screen). And the guards: a bind beyond loopback is refused without a token; with
one, a request without it is turned away."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import append, line
from tests.support.cli import ROOT, packwatch

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>78]|\x1b\][^\x07]*\x07")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what: str, limit: float = 90.0):
    """Poll ``check`` until it answers (a generous limit: a liveness guard, not a timing assert)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"never saw {what}")


class DevTools:
    """A page in headless Chromium, over the DevTools protocol (CDP), with every websocket frame it got."""

    def __init__(self, profile: Path):
        from websockets.sync.client import connect

        self.proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                      "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                      "--window-size=1400,1000", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        active = profile / "DevToolsActivePort"
        port, path = wait_for(lambda: active.exists() and active.read_text().split("\n")[:2]
                              if active.exists() and len(active.read_text().split("\n")) >= 2 else None,
                              "Chromium's DevTools port")
        self.ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None).__enter__()
        self.ids = itertools.count(1)
        self.frames: list[bytes] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Network.enable", session=True)
        self.call("Page.enable", session=True)

    def call(self, method: str, session: bool = False, **params) -> dict:
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            self._note(reply)
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _note(self, event: dict) -> None:
        if event.get("method") == "Network.webSocketFrameReceived":
            frame = event["params"]["response"]
            data = frame["payloadData"]
            self.frames.append(base64.b64decode(data) if frame.get("opcode") == 2 else data.encode())

    def pump(self) -> None:
        try:
            while True:
                self._note(json.loads(self.ws.recv(timeout=0.2)))
        except TimeoutError:
            pass

    def screen_text(self, since: int = 0) -> str:
        self.pump()
        return ESCAPES.sub("", b"".join(self.frames[since:]).decode("utf-8", "replace"))

    def press(self, key: str) -> None:
        self.call("Runtime.evaluate", session=True,
                  expression="document.querySelector('.xterm-helper-textarea')?.focus()")
        code = f"Key{key.upper()}"
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", session=True, type=kind, key=key, code=code,
                      windowsVirtualKeyCode=ord(key.upper()), **({"text": key} if kind == "keyDown" else {}))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.skipif(CHROMIUM is None,
                    reason="Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it")
def test_the_dashboard_in_a_browser_shows_the_panes_and_takes_keys(tmp_path: Path) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    now = dt.datetime.now().astimezone().replace(microsecond=0)
    append(ledger, "".join(line(ts=(now - dt.timedelta(minutes=i)).isoformat(), **{"in": 1000 + i})
                           for i in range(30)))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "--ledger", str(ledger), "--db",
                               str(tmp_path / "store.duckdb"), "serve", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    browser = None
    try:
        def answers() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
            except (urllib.error.URLError, ConnectionError):
                return False

        wait_for(answers, "packwatch serve answering")
        browser = DevTools(tmp_path / "profile")
        browser.call("Page.navigate", session=True, url=f"http://127.0.0.1:{port}/")
        panes = ("Burn rate", "Spend today", "Cache", "Circuits", "Model rankings", "Recommendations")
        wait_for(lambda: all(p in browser.screen_text() for p in panes), "the overview's panes in the page")
        assert "Providers · last 60 min" not in browser.screen_text()
        seen = len(browser.frames)
        browser.press("v")
        wait_for(lambda: "Providers · last 60 min" in browser.screen_text(seen), "the Providers screen after `v`")
    finally:
        if browser is not None:
            browser.close()
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "Traceback" not in out, out


def test_a_bind_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    proc = packwatch("--ledger", str(tmp_path / "u.jsonl"), "serve", "--host", "0.0.0.0")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "--token" in proc.stderr


def test_with_a_token_a_request_without_it_is_turned_away(tmp_path: Path) -> None:
    port = free_port()
    token = "tok-" + "9" * 20
    server = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "--ledger", str(tmp_path / "u.jsonl"), "--db",
                               str(tmp_path / "s.duckdb"), "serve", "--port", str(port), "--token", token],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def status(url: str) -> int | None:
            try:
                return urllib.request.urlopen(url, timeout=5).status
            except urllib.error.HTTPError as exc:
                return exc.code
            except (urllib.error.URLError, ConnectionError):
                return None

        assert wait_for(lambda: status(f"http://127.0.0.1:{port}/"), "the server") == 401
        assert status(f"http://127.0.0.1:{port}/ws") == 401
        assert status(f"http://127.0.0.1:{port}/?token={token}") == 200
        assert status(f"http://127.0.0.1:{port}/?token=wrong") == 401
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert token not in out
    assert "token=****" in out  # the access log still shows the request
