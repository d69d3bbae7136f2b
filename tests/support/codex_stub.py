"""Scripted OpenAI Responses API server for driving the real Codex CLI offline.

Stdlib only.  Listens on 127.0.0.1 (port 0 = pick a free one).

Endpoints
  POST /v1/responses   -> SSE stream built from the next step of the script
  GET  /v1/models      -> a small model list (Codex asks for it with API-key auth)
  anything else        -> logged as unknown, answered 404 with a JSON error

Script: a list of steps, one per POST /v1/responses, consumed in order.  When the script
is used up, every further request gets ``default_step`` (a plain text answer).  Step kinds:

  {"type": "text", "text": "hello"}
  {"type": "function_call", "name": "exec_command",
   "arguments": {"cmd": "echo hi"}}                     # shell via unified exec (Codex 0.171)
  {"type": "function_call", "name": "shell",
   "arguments": {"command": ["bash", "-lc", "echo hi"]}} # only if Codex offers "shell"
  {"type": "custom_tool_call", "name": "apply_patch",
   "input": "*** Begin Patch\\n*** Add File: a.txt\\n+hi\\n*** End Patch\\n"}
  {"type": "error", "status": 429, "body": {...}}        # non-200 answer (no SSE)

Every step may also carry:
  "usage":   dict merged over the default usage (see make_usage)
  "headers": extra response headers (e.g. rate_limit_headers(...))
  "reasoning": "summary text"   -> a reasoning output item before the main item
  "match":   substring; the step is used only when the request body contains it
             (steps with "match" are looked up first, then the next plain step)

Every usage sent is appended to ``usage_log`` (JSON lines):
  {"seq", "time", "response_id", "step_type", "usage", "headers"}
Every request is appended to ``request_log`` (JSON lines): method, path, headers, body.

As a module (pytest):
    from stub import StubServer, rate_limit_headers
    with StubServer(script=[...], usage_log=tmp/"usage.jsonl") as srv:
        srv.port, srv.base_url   # base_url = "http://127.0.0.1:PORT/v1"
        ...
        srv.requests             # parsed request bodies, in order

As a script:
    python3 stub.py --port 0 --script script.json --usage-log u.jsonl --request-log r.jsonl \
        [--port-file F] [--rate-limits]
  prints "PORT <n>" on stdout once listening; stops on SIGTERM/SIGINT.
"""
from __future__ import annotations

import argparse
import copy
import gzip
import http.server
import json
import signal
import socketserver
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "gpt-stub"


def make_usage(
    input_tokens: int = 1200,
    cached_tokens: int = 0,
    output_tokens: int = 40,
    reasoning_tokens: int = 0,
    cache_write_tokens: int | None = None,
    total_tokens: int | None = None,
) -> dict[str, Any]:
    """A Responses API ``usage`` object.

    OpenAI semantics: ``input_tokens`` already INCLUDES ``cached_tokens`` (and, where a
    provider reports it, ``cache_write_tokens``); ``output_tokens`` includes
    ``reasoning_tokens``; ``total_tokens = input_tokens + output_tokens``.
    """
    details: dict[str, Any] = {"cached_tokens": cached_tokens}
    if cache_write_tokens is not None:
        details["cache_write_tokens"] = cache_write_tokens
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": details,
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": total_tokens if total_tokens is not None else input_tokens + output_tokens,
    }


def rate_limit_headers(
    primary_used_percent: float | None = 12.5,
    primary_window_minutes: int | None = 300,
    primary_reset_at: int | None = None,
    secondary_used_percent: float | None = 40.0,
    secondary_window_minutes: int | None = 10080,
    secondary_reset_at: int | None = None,
    credits: tuple[bool, bool, str | None] | None = None,
    family: str = "codex",
    limit_name: str | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """Headers as Codex parses them (codex-rs/codex-api/src/rate_limits.rs):

    x-<family>-{primary,secondary}-used-percent   f64 (percent, 0-100)
    x-<family>-{primary,secondary}-window-minutes i64
    x-<family>-{primary,secondary}-reset-at       i64 unix epoch SECONDS
    x-<family>-limit-name                         string
    x-codex-credits-has-credits / -unlimited      "true"/"false"/"1"/"0"
    x-codex-credits-balance                       string
    ``family`` "codex" is the default family; another one (e.g. "codex-other") is parsed as
    an extra limit id (``codex_other``).  Codex has NO reset-after-seconds header parser.
    """
    now = time.time() if now is None else now
    h: dict[str, str] = {}
    p = f"x-{family}"
    if primary_used_percent is not None:
        h[f"{p}-primary-used-percent"] = _num(primary_used_percent)
        if primary_window_minutes is not None:
            h[f"{p}-primary-window-minutes"] = str(int(primary_window_minutes))
        h[f"{p}-primary-reset-at"] = str(int(primary_reset_at if primary_reset_at is not None else now + 3600))
    if secondary_used_percent is not None:
        h[f"{p}-secondary-used-percent"] = _num(secondary_used_percent)
        if secondary_window_minutes is not None:
            h[f"{p}-secondary-window-minutes"] = str(int(secondary_window_minutes))
        h[f"{p}-secondary-reset-at"] = str(
            int(secondary_reset_at if secondary_reset_at is not None else now + 3 * 86400)
        )
    if limit_name:
        h[f"{p}-limit-name"] = limit_name
    if credits is not None:
        has, unlimited, balance = credits
        h["x-codex-credits-has-credits"] = "true" if has else "false"
        h["x-codex-credits-unlimited"] = "true" if unlimited else "false"
        if balance is not None:
            h["x-codex-credits-balance"] = balance
    return h


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "codex-stub/1"

    # quiet
    def log_message(self, fmt: str, *args: Any) -> None:  # noqa: D401
        if self.server.stub.verbose:  # type: ignore[attr-defined]
            sys.stderr.write("stub: " + fmt % args + "\n")

    @property
    def stub(self) -> StubServer:
        return self.server.stub  # type: ignore[attr-defined]

    def _read_body(self) -> tuple[bytes, Any]:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        enc = (self.headers.get("content-encoding") or "").lower()
        data = raw
        try:
            if enc == "gzip":
                data = gzip.decompress(raw)
            elif enc == "deflate":
                data = zlib.decompress(raw)
            elif enc == "zstd":
                try:  # Python >= 3.14 only
                    from compression import zstd  # type: ignore

                    data = zstd.decompress(raw)
                except ImportError:
                    return raw, {"_undecodable": "zstd", "_bytes": len(raw)}
        except Exception as e:  # pragma: no cover
            return raw, {"_undecodable": repr(e)}
        if not data:
            return raw, None
        try:
            return raw, json.loads(data)
        except ValueError:
            return raw, {"_raw": data[:2000].decode("utf-8", "replace")}

    def _json(self, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.stub._log_request(self, None)
        path = self.path.split("?", 1)[0]
        if path.rstrip("/").endswith("/models"):
            self._json(200, self.stub.models_payload())
            return
        self.stub._log_unknown(self)
        self._json(404, {"error": {"message": f"stub: unknown path {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        _, body = self._read_body()
        self.stub._log_request(self, body)
        path = self.path.split("?", 1)[0]
        if path.rstrip("/").endswith("/responses"):
            self.stub._serve_responses(self, body)
            return
        self.stub._log_unknown(self)
        self._json(404, {"error": {"message": f"stub: unknown path {self.path}", "type": "not_found"}})

    do_PUT = do_POST
    do_DELETE = do_GET


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class StubServer:
    def __init__(
        self,
        script: list[dict[str, Any]] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        usage_log: str | Path | None = None,
        request_log: str | Path | None = None,
        headers: dict[str, str] | None = None,
        default_step: dict[str, Any] | None = None,
        model: str = DEFAULT_MODEL,
        verbose: bool = False,
        chunk_delay: float = 0.0,
    ) -> None:
        self.script = [copy.deepcopy(s) for s in (script or [])]
        self.host = host
        self._port = port
        self.usage_log = Path(usage_log) if usage_log else None
        self.request_log = Path(request_log) if request_log else None
        self.headers = dict(headers or {})
        self.default_step = default_step or {"type": "text", "text": "done"}
        self.model = model
        self.verbose = verbose
        self.chunk_delay = chunk_delay
        self.requests: list[dict[str, Any]] = []  # every request: method/path/headers/body
        self.responses_bodies: list[Any] = []  # bodies of POST /responses only
        self.sent_usage: list[dict[str, Any]] = []
        self.unknown: list[str] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----
    def start(self) -> StubServer:
        self._httpd = _Server((self.host, self._port), _Handler)
        self._httpd.stub = self  # type: ignore[attr-defined]
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}/v1"

    def add_steps(self, *steps: dict[str, Any]) -> None:
        with self._lock:
            self.script.extend(copy.deepcopy(list(steps)))

    # ---- logging ----
    def _append(self, path: Path | None, obj: Any) -> None:
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(obj, sort_keys=False) + "\n")

    def _log_request(self, h: _Handler, body: Any) -> None:
        rec = {
            "time": time.time(),
            "method": h.command,
            "path": h.path,
            "headers": {k.lower(): v for k, v in h.headers.items() if k.lower() != "authorization"},
            "has_authorization": "authorization" in {k.lower() for k in h.headers.keys()},
            "body": body,
        }
        with self._lock:
            self.requests.append(rec)
            if h.command == "POST" and h.path.split("?", 1)[0].rstrip("/").endswith("/responses"):
                self.responses_bodies.append(body)
        self._append(self.request_log, rec)

    def _log_unknown(self, h: _Handler) -> None:
        with self._lock:
            self.unknown.append(f"{h.command} {h.path}")
        sys.stderr.write(f"stub: UNKNOWN {h.command} {h.path}\n")

    # ---- model list ----
    def models_payload(self) -> dict[str, Any]:
        # OpenAI shape ("data") plus Codex's own shape ("models"); unknown keys are ignored.
        return {
            "object": "list",
            "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "stub"}],
            "models": [],
        }

    # ---- responses ----
    def _next_step(self, body: Any) -> dict[str, Any]:
        text = json.dumps(body) if body is not None else ""
        with self._lock:
            for i, s in enumerate(self.script):
                m = s.get("match")
                if m and m in text:
                    return self.script.pop(i)
            for i, s in enumerate(self.script):
                if not s.get("match"):
                    return self.script.pop(i)
        return copy.deepcopy(self.default_step)

    def _serve_responses(self, h: _Handler, body: Any) -> None:
        step = self._next_step(body)
        with self._lock:
            self._seq += 1
            seq = self._seq
        resp_id = f"resp_stub_{seq:04d}"
        headers = dict(self.headers)
        headers.update(step.get("headers") or {})

        if step.get("type") == "error":
            status = int(step.get("status", 500))
            err = step.get("body") or {"error": {"message": "stub error", "type": "server_error"}}
            h._json(status, err, headers)
            return

        usage = make_usage()
        for k, v in (step.get("usage") or {}).items():
            if isinstance(v, dict) and isinstance(usage.get(k), dict):
                usage[k] = {**usage[k], **v}
            else:
                usage[k] = v
        if "total_tokens" not in (step.get("usage") or {}):
            usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]

        model = (body or {}).get("model", self.model) if isinstance(body, dict) else self.model
        items = self._items_for(step, seq)
        events: list[dict[str, Any]] = []
        base_resp = {"id": resp_id, "object": "response", "created_at": int(time.time()),
                     "model": model, "status": "in_progress", "output": []}
        events.append({"type": "response.created", "response": base_resp})
        for idx, item in enumerate(items):
            added = copy.deepcopy(item)
            if added["type"] == "message":
                added["content"] = []
                added["status"] = "in_progress"
            events.append({"type": "response.output_item.added", "output_index": idx, "item": added})
            if item["type"] == "message":
                text = item["content"][0]["text"]
                events.append({"type": "response.content_part.added", "item_id": item["id"],
                               "output_index": idx, "content_index": 0,
                               "part": {"type": "output_text", "text": "", "annotations": []}})
                events.append({"type": "response.output_text.delta", "item_id": item["id"],
                               "output_index": idx, "content_index": 0, "delta": text})
                events.append({"type": "response.output_text.done", "item_id": item["id"],
                               "output_index": idx, "content_index": 0, "text": text})
            events.append({"type": "response.output_item.done", "output_index": idx, "item": item})
        done = dict(base_resp, status="completed", output=items, usage=usage)
        events.append({"type": "response.completed", "response": done})

        rec = {"seq": seq, "time": time.time(), "response_id": resp_id,
               "step_type": step.get("type", "text"), "usage": usage, "headers": headers}
        with self._lock:
            self.sent_usage.append(rec)
        self._append(self.usage_log, rec)

        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("cache-control", "no-cache")
        h.send_header("transfer-encoding", "chunked")
        h.send_header("x-request-id", f"req_stub_{seq:04d}")
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        try:
            for ev in events:
                chunk = f"event: {ev['type']}\ndata: {json.dumps(ev)}\n\n".encode()
                h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                h.wfile.flush()
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _items_for(self, step: dict[str, Any], seq: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if step.get("reasoning"):
            items.append({"type": "reasoning", "id": f"rs_stub_{seq:04d}",
                          "summary": [{"type": "summary_text", "text": step["reasoning"]}]})
        kind = step.get("type", "text")
        if kind == "text":
            items.append({"type": "message", "id": f"msg_stub_{seq:04d}", "role": "assistant",
                          "status": "completed",
                          "content": [{"type": "output_text", "text": step.get("text", ""),
                                       "annotations": []}]})
        elif kind == "function_call":
            args = step.get("arguments", {})
            items.append({"type": "function_call", "id": f"fc_stub_{seq:04d}", "status": "completed",
                          "call_id": step.get("call_id", f"call_stub_{seq:04d}"),
                          "name": step["name"],
                          "arguments": args if isinstance(args, str) else json.dumps(args)})
            if step.get("namespace"):  # tools offered inside a {"type": "namespace"} tool
                items[-1]["namespace"] = step["namespace"]
        elif kind == "custom_tool_call":
            items.append({"type": "custom_tool_call", "id": f"ctc_stub_{seq:04d}", "status": "completed",
                          "call_id": step.get("call_id", f"call_stub_{seq:04d}"),
                          "name": step["name"], "input": step.get("input", "")})
        else:
            raise ValueError(f"unknown step type {kind!r}")
        return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", help="JSON file: list of steps")
    ap.add_argument("--usage-log")
    ap.add_argument("--request-log")
    ap.add_argument("--port-file", help="write the port number here once listening")
    ap.add_argument("--rate-limits", action="store_true",
                    help="send default x-codex-* rate-limit + credits headers on every response")
    ap.add_argument("--header", action="append", default=[], help="extra header NAME:VALUE")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    script = json.loads(Path(a.script).read_text()) if a.script else []
    headers: dict[str, str] = {}
    if a.rate_limits:
        headers.update(rate_limit_headers(credits=(True, False, "17.50")))
    for hv in a.header:
        k, _, v = hv.partition(":")
        headers[k.strip()] = v.strip()
    srv = StubServer(script=script, port=a.port, usage_log=a.usage_log, request_log=a.request_log,
                     headers=headers, verbose=a.verbose).start()
    if a.port_file:
        Path(a.port_file).write_text(str(srv.port))
    print(f"PORT {srv.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
