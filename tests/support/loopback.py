"""A real HTTP server on 127.0.0.1 with a random port, for probe tests: each path answers one way."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dashboard.demo.providers import send_json


class FakeProvider(ThreadingHTTPServer):
    """``/ok`` 200, ``/429``, ``/500``, ``/auth`` (200 only for ``Bearer good-key``, else a 401
    that echoes the key it got, as careless providers do), ``/hang`` (never answers until
    ``close``), ``/close`` (drops the connection), ``/slow`` (answers after a short wait)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()
        self.hits: dict[str, int] = {}
        self.headers_seen: list[dict[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def close(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FakeProvider

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _answer(self, status: int, body: dict) -> None:
        send_json(self, status, body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        server = self.server
        path = self.path.split("?")[0]
        with server._lock:
            server.hits[path] = server.hits.get(path, 0) + 1
            server.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            self._route(path)
        finally:
            with server._lock:
                server.in_flight -= 1

    def _route(self, path: str) -> None:
        if path == "/ok":
            self._answer(200, {"data": [{"id": "model-a"}]})
        elif path == "/429":
            self._answer(429, {"error": {"message": "Too many requests, slow down"}})
        elif path == "/500":
            self._answer(500, {"error": {"message": "upstream exploded"}})
        elif path == "/auth":
            got = self.headers.get("authorization", "")
            if got == "Bearer good-key":
                self._answer(200, {"data": []})
            else:
                self._answer(401, {"error": {"message": f"Incorrect API key provided: {got.removeprefix('Bearer ')}"}})
        elif path == "/hang":
            self.server.release.wait(30)
            self.close_connection = True
        elif path == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/slow":
            self.server.release.wait(0.3)
            self._answer(200, {"data": []})
        else:
            self._answer(404, {"error": {"message": "no such path"}})


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
