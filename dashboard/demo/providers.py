"""The demo's providers: one loopback HTTP server (127.0.0.1, a random port) answering the probes
like the real model-list endpoints would, so ``packwatch demo`` shows probes, latency and circuits
without a key or the network.

- anthropic, google: healthy, with some latency.
- cerebras: 429 in the first three minutes of every twenty, like the simulated pack's bursts.
- openrouter: down (500) for 75 seconds of every four minutes, so its circuit visibly opens,
  half-opens and closes again.
"""

from __future__ import annotations

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ledger.settings import ProbeEndpoint, ProbeSettings

PROVIDERS = ("anthropic", "google", "cerebras", "openrouter")
OUTAGE_PERIOD_S, OUTAGE_S = 240, 75


def send_json(handler: BaseHTTPRequestHandler, status: int, body: object) -> None:
    """One JSON answer with its length, from any loopback server (the demo's, the tests')."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class DemoProviders(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.rng = random.Random()
        threading.Thread(target=self.serve_forever, name="demo-providers", daemon=True).start()

    def probe_settings(self) -> ProbeSettings:
        """Probe only these servers, never a real provider (keys in the environment are ignored)."""
        port = self.server_address[1]
        return ProbeSettings(
            interval=3, timeout=2, concurrency=4, max_backoff=6, keys_from_environment=False,
            endpoints={p: ProbeEndpoint(url=f"http://127.0.0.1:{port}/{p}/v1/models") for p in PROVIDERS},
        )

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        """Nothing on stderr: it is the dashboard's screen. The one error here is a prober that hung up
        mid-answer (its timeout under load, or the dashboard quitting while a probe was out)."""


def answer(provider: str, now: float, minute: int) -> tuple[int, str]:
    """(status, error message) a provider gives at ``now`` (epoch seconds, local ``minute``)."""
    if provider == "cerebras" and minute % 20 < 3:
        return 429, "Tokens per minute limit exceeded"
    if provider == "openrouter" and now % OUTAGE_PERIOD_S < OUTAGE_S:
        return 500, "Upstream provider unavailable"
    return 200, ""


class _Handler(BaseHTTPRequestHandler):
    server: DemoProviders

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        provider = self.path.strip("/").split("/")[0]
        time.sleep(self.server.rng.uniform(0.05, 0.4 if provider == "google" else 0.2))
        status, error = answer(provider, time.time(), time.localtime().tm_min)
        ok = {"data": [{"id": f"{provider}-model"}]}
        send_json(self, status, ok if status == 200 else {"error": {"message": error}})
