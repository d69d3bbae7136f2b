"""A scripted Anthropic Messages API server for running the real Claude Code CLI offline.

stdlib only (http.server + threading).  Checked against @anthropic-ai/claude-code 2.1.332.

What it serves
--------------
* ``POST /v1/messages`` (Claude Code calls it as ``/v1/messages?beta=true``): the next scripted
  :class:`Reply`, streamed as SSE when the body says ``"stream": true`` (message_start with the
  start usage, content_block_start / _delta / _stop per block, message_delta with the final usage,
  message_stop), else as one JSON message.  Every response carries a ``request-id`` header
  (``req_stub_<n>``) - Claude Code writes it as ``requestId`` in its logs.
* ``POST /v1/messages/count_tokens``: ``{"input_tokens": N}`` (N = len(body)//4).
* ``GET /v1/models`` and ``GET /v1/models/<id>``: a small model list.
* anything else: logged to ``unknown.jsonl`` and answered 404 with an Anthropic error body
  (so the CLI never hangs on it).

What it records (in ``record_dir``)
-----------------------------------
* ``requests.jsonl``: one line per request: ``n``, ``time``, ``method``, ``path``, ``headers``,
  ``body`` (parsed JSON when possible), ``kind`` ("main" / "side") and ``request_id``.
* ``usage.jsonl``: one line per Messages response: ``request_id``, ``message_id``, ``model``,
  ``kind``, ``start_usage`` (in message_start), ``final_usage`` (in message_delta),
  ``usage`` (start merged with final - what the CLI ends up with), ``headers`` (extra response
  headers such as the rate-limit ones), ``blocks`` (block types sent), ``status``.
* ``unknown.jsonl``: requests to paths it does not know.

Scripting
---------
``Script(steps=[Reply, ...], default=Reply.text("ok"), headers={...}, responder=f)``.  Each
*main* request asks ``responder(body, script)`` first (when given; None falls through), then
takes the next step; once they are used up ``default`` answers.  A step may also be a callable
``f(body, script) -> Reply``.  ``classify(body)`` names each request (Claude Code 2.1.332):
``quota`` (the one-message "quota" probe), ``title`` (json_schema output, Haiku),
``compaction`` (/compact or auto-compaction summary), ``side`` (no tools), ``main``.
Compaction requests get ``script.compaction`` (a <summary> answer; set it to None to treat them
as side), json_schema requests get a JSON value that fits the schema, other side requests get
``default``.  Pass ``side=lambda body: False`` to script every request as main.

``Reply.text("hi")``, ``Reply.tool("Write", {"file_path": p, "content": "x"})``,
``Reply(blocks=[thinking(..), text(..), tool_use(..)])``, ``Reply.error(429, "rate_limit_error")``.
Usage: ``Reply(..., usage=Usage(input_tokens=.., output_tokens=.., cache_read=.., cache_5m=..,
cache_1h=.., thinking=.., service_tier="standard"))``; the start usage carries input and cache
counts with ``output_tokens`` 1, the final usage (message_delta) the full set.

``Script.rate_limits(five_hour=0.42, seven_day=0.17, reset_5h=..., reset_7d=...)`` adds the
``anthropic-ratelimit-unified-{5h,7d}-{utilization,reset,status}`` headers to every
Messages response.

Use
---
As a module::

    from stub import StubServer, Script, Reply
    srv = StubServer(Script([Reply.tool("Write", {...}), Reply.text("done")]), record_dir=tmp)
    srv.start(); ... srv.port ...; srv.stop()

As a script::

    python3 stub.py --port 8765 --record-dir /tmp/rec --scenario text|write:/tmp/x.txt|...
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MODEL = "claude-sonnet-4-5-20250929"


# --------------------------------------------------------------------------- replies

@dataclass
class Usage:
    """The counts one response reports.  ``cache_creation`` = cache_5m + cache_1h."""

    input_tokens: int = 100
    output_tokens: int = 20
    cache_read: int = 0
    cache_5m: int = 0
    cache_1h: int = 0
    thinking: int | None = None  # output_tokens_details.thinking_tokens (Claude Code reads it)
    service_tier: str | None = "standard"
    inference_geo: str | None = None
    web_search_requests: int | None = None
    delta_output_only: bool = False  # message_delta carries only output_tokens (older API style)

    def start(self) -> dict[str, Any]:
        """usage inside message_start."""
        u: dict[str, Any] = {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_5m + self.cache_1h,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_5m,
                "ephemeral_1h_input_tokens": self.cache_1h,
            },
            "output_tokens": 1,
        }
        if self.service_tier is not None:
            u["service_tier"] = self.service_tier
        if self.inference_geo is not None:
            u["inference_geo"] = self.inference_geo
        return u

    def final(self) -> dict[str, Any]:
        """usage inside message_delta (the real API sends cumulative counts here)."""
        if self.delta_output_only:
            u0: dict[str, Any] = {"output_tokens": self.output_tokens}
            if self.thinking is not None:
                u0["output_tokens_details"] = {"thinking_tokens": self.thinking}
            return u0
        u: dict[str, Any] = {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_5m + self.cache_1h,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_5m,
                "ephemeral_1h_input_tokens": self.cache_1h,
            },
            "output_tokens": self.output_tokens,
        }
        if self.thinking is not None:
            u["output_tokens_details"] = {"thinking_tokens": self.thinking}
        if self.web_search_requests is not None:
            u["server_tool_use"] = {"web_search_requests": self.web_search_requests,
                                    "web_fetch_requests": 0}
        return u


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def tool_use(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:  # noqa: A002
    return {"type": "tool_use", "id": id or "toolu_" + uuid.uuid4().hex[:24], "name": name,
            "input": input}


def thinking(t: str, signature: str = "c2lnbmF0dXJl") -> dict[str, Any]:
    return {"type": "thinking", "thinking": t, "signature": signature}


@dataclass
class Reply:
    blocks: list[dict[str, Any]] = field(default_factory=lambda: [text("ok")])
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None  # default: tool_use when a tool_use block is there, else end_turn
    model: str | None = None  # default: the model the request asked for
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    error_type: str | None = None  # for status != 200
    delay: float = 0.0  # seconds before answering
    block_delay: float = 0.0  # seconds after each content_block_stop (lets the CLI log early blocks)

    @classmethod
    def text(cls, t: str, **kw: Any) -> Reply:
        return cls(blocks=[text(t)], **kw)

    @classmethod
    def tool(cls, name: str, input: dict[str, Any], say: str | None = None, **kw: Any) -> Reply:  # noqa: A002
        blocks = ([text(say)] if say else []) + [tool_use(name, input)]
        return cls(blocks=blocks, **kw)

    @classmethod
    def error(cls, status: int, error_type: str = "api_error", message: str = "stub error",
              **kw: Any) -> Reply:
        return cls(blocks=[text(message)], status=status, error_type=error_type, **kw)


Step = Reply | Callable[[dict[str, Any], "Script"], Reply]


def classify(body: dict[str, Any]) -> str:
    """What kind of Messages request Claude Code sent (2.1.332):
    quota       the rate-limit probe: one user message "quota", max_tokens 1
    title       session-title generation (Haiku, no tools, output_config.format json_schema)
    compaction  /compact or auto-compaction: last user text asks for "a detailed summary"
    side        any other request without tools
    main        the conversation (main loop or a subagent)"""
    msgs = body.get("messages") or []
    if len(msgs) == 1 and msgs[0].get("content") == "quota":
        return "quota"
    fmt = (body.get("output_config") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        return "title" if "title" in json.dumps(fmt.get("schema", {})) else "side"
    if any("Your task is to create a detailed summary" in (b.get("text") or "")
           for b in last_user_blocks(body)):
        return "compaction"
    return "main" if body.get("tools") else "side"


def default_is_side(body: dict[str, Any]) -> bool:
    return classify(body) != "main"


def schema_answer(schema: dict[str, Any]) -> Any:
    """A minimal JSON value that fits a JSON schema (for json_schema output requests)."""
    t = schema.get("type")
    if t == "object":
        return {k: schema_answer(v) for k, v in (schema.get("properties") or {}).items()}
    if t == "array":
        return []
    if t in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if t == "boolean":
        return False
    if "enum" in schema:
        return schema["enum"][0]
    return "Stub session"


class Script:
    def __init__(self, steps: list[Step] | None = None, default: Reply | None = None,
                 headers: dict[str, str] | None = None,
                 side: Callable[[dict[str, Any]], bool] | None = None,
                 responder: Callable[[dict[str, Any], Script], Reply | None] | None = None
                 ) -> None:
        self.steps: list[Step] = list(steps or [])
        self.responder = responder  # asked first for every main request; None falls to steps
        self.default = default or Reply.text("ok")
        self.headers: dict[str, str] = dict(headers or {})
        self.is_side = side or default_is_side
        self.compaction: Reply | None = Reply.text(
            "<analysis>stub</analysis>\n<summary>Stub summary of the conversation.</summary>",
            usage=Usage(3000, 200))  # answers compaction requests; None: treat as side
        self.used = 0
        self.lock = threading.Lock()

    def rate_limits(self, five_hour: float | None = None, seven_day: float | None = None,
                    reset_5h: int | None = None, reset_7d: int | None = None,
                    status: str = "allowed") -> Script:
        now = int(time.time())
        if five_hour is not None:
            self.headers["anthropic-ratelimit-unified-5h-utilization"] = str(five_hour)
            self.headers["anthropic-ratelimit-unified-5h-reset"] = str(reset_5h or now + 3 * 3600)
            self.headers["anthropic-ratelimit-unified-5h-status"] = status
        if seven_day is not None:
            self.headers["anthropic-ratelimit-unified-7d-utilization"] = str(seven_day)
            self.headers["anthropic-ratelimit-unified-7d-reset"] = str(reset_7d or now + 4 * 86400)
            self.headers["anthropic-ratelimit-unified-7d-status"] = status
        self.headers.setdefault("anthropic-ratelimit-unified-status", status)
        return self

    def pick(self, body: dict[str, Any]) -> tuple[str, Reply]:
        with self.lock:
            kind = classify(body)
            if kind == "compaction" and self.compaction is not None:
                return kind, self.compaction
            if self.is_side(body):
                fmt = (body.get("output_config") or {}).get("format") or {}
                if fmt.get("type") == "json_schema":
                    return kind, Reply.text(json.dumps(schema_answer(fmt.get("schema", {}))),
                                            usage=self.default.usage)
                return ("side" if kind == "main" else kind), self.default
            if self.responder is not None:
                r = self.responder(body, self)
                if r is not None:
                    return "main", r
            if self.used < len(self.steps):
                step = self.steps[self.used]
                self.used += 1
                return "main", step(body, self) if callable(step) else step
            return "main", self.default


# --------------------------------------------------------------------------- body helpers

def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def last_user_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks of the last user message of a Messages request."""
    for m in reversed(body.get("messages") or []):
        if m.get("role") == "user":
            return _blocks(m.get("content"))
    return []


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """tool_result blocks of the last user message."""
    return [b for b in last_user_blocks(body) if b.get("type") == "tool_result"]


def tool_result_text(block: dict[str, Any]) -> str:
    c = block.get("content")
    if isinstance(c, str):
        return c
    return "".join(x.get("text", "") for x in _blocks(c))


def all_text(body: dict[str, Any]) -> str:
    """Every text in the request (system + messages), to match markers."""
    out = [b.get("text", "") for b in _blocks(body.get("system"))]
    for m in body.get("messages") or []:
        for b in _blocks(m.get("content")):
            out.append(b.get("text", "") or tool_result_text(b) if b.get("type") == "tool_result"
                       else b.get("text", ""))
    return "\n".join(x for x in out if x)


def first_user_text(body: dict[str, Any]) -> str:
    for m in body.get("messages") or []:
        if m.get("role") == "user":
            return "\n".join(b.get("text", "") for b in _blocks(m.get("content")))
    return ""


# --------------------------------------------------------------------------- server

def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _chunks(s: str, n: int = 12) -> list[str]:
    return [s[i:i + n] for i in range(0, len(s), n)] or [""]


MODELS = [
    {"type": "model", "id": "claude-opus-4-5-20251101", "display_name": "Claude Opus 4.5",
     "created_at": "2025-11-01T00:00:00Z"},
    {"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5",
     "created_at": "2025-09-29T00:00:00Z"},
    {"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
     "created_at": "2025-10-01T00:00:00Z"},
]


class StubServer:
    def __init__(self, script: Script | None = None, record_dir: str | os.PathLike | None = None,
                 port: int = 0, host: str = "127.0.0.1") -> None:
        self.script = script or Script()
        self.record_dir = Path(record_dir) if record_dir else None
        if self.record_dir:
            self.record_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._n = itertools.count(1)
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.usages: list[dict[str, Any]] = []
        self.unknown: list[dict[str, Any]] = []

    # -- lifecycle
    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd else self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> StubServer:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._httpd = ThreadingHTTPServer((self.host, self._port), handler)
        self._httpd.daemon_threads = True
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

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- records
    def _record(self, name: str, store: list[dict[str, Any]], obj: dict[str, Any]) -> None:
        with self._lock:
            store.append(obj)
            if self.record_dir:
                with open(self.record_dir / name, "a", encoding="utf-8") as f:
                    f.write(json.dumps(obj) + "\n")

    def messages_requests(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith("/v1/messages")
                and not r["path"].startswith("/v1/messages/count_tokens")
                and (kind is None or r.get("kind") == kind)]


class _Handler(BaseHTTPRequestHandler):
    stub: StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet
        if os.environ.get("STUB_VERBOSE"):
            sys.stderr.write("stub: " + fmt % args + "\n")

    # -- helpers
    def _body(self) -> tuple[bytes, Any]:
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        try:
            return raw, json.loads(raw) if raw else None
        except ValueError:
            return raw, raw.decode("utf-8", "replace")

    def _read_chunked(self) -> bytes:
        out = b""
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return out
            out += self.rfile.read(size)
            self.rfile.readline()

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _log_request(self, body: Any, **extra: Any) -> dict[str, Any]:
        rec = {"n": next(self.stub._n), "time": time.time(), "method": self.command,
               "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body, **extra}
        self.stub._record("requests.jsonl", self.stub.requests, rec)
        return rec

    # -- verbs
    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        self._log_request(None)
        if path == "/v1/models":
            self._json(200, {"data": MODELS, "has_more": False, "first_id": MODELS[0]["id"],
                             "last_id": MODELS[-1]["id"]})
        elif path.startswith("/v1/models/"):
            mid = path.rsplit("/", 1)[1]
            self._json(200, next((m for m in MODELS if m["id"] == mid),
                                 {"type": "model", "id": mid, "display_name": mid,
                                  "created_at": "2025-01-01T00:00:00Z"}))
        else:
            self._unknown(None)

    def do_HEAD(self) -> None:  # noqa: N802
        self._log_request(None)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        raw, body = self._body()
        if path == "/v1/messages/count_tokens":
            self._log_request(body)
            self._json(200, {"input_tokens": max(1, len(raw) // 4)})
        elif path == "/v1/messages":
            self._messages(body if isinstance(body, dict) else {})
        else:
            self._log_request(body)
            self._unknown(body)

    do_PUT = do_POST  # noqa: N815
    do_DELETE = do_GET  # noqa: N815

    def _unknown(self, body: Any) -> None:
        self.stub._record("unknown.jsonl", self.stub.unknown,
                          {"time": time.time(), "method": self.command, "path": self.path,
                           "body": body})
        self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                    "message": f"stub: no {self.path}"}})

    def _messages(self, body: dict[str, Any]) -> None:
        stub = self.stub
        kind, reply = stub.script.pick(body)
        n = next(stub._n)
        rid = f"req_stub_{n:04d}"
        mid = f"msg_stub_{n:04d}_{uuid.uuid4().hex[:8]}"
        model = reply.model or body.get("model") or DEFAULT_MODEL
        rec = {"n": n, "time": time.time(), "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
               "kind": kind, "request_id": rid}
        stub._record("requests.jsonl", stub.requests, rec)
        headers = {"request-id": rid, **stub.script.headers, **reply.headers}
        if reply.delay:
            time.sleep(reply.delay)
        start_u, final_u = reply.usage.start(), reply.usage.final()
        merged = {**start_u, **final_u}
        stub._record("usage.jsonl", stub.usages, {
            "time": time.time(), "request_id": rid, "message_id": mid, "model": model,
            "kind": kind, "status": reply.status, "start_usage": start_u, "final_usage": final_u,
            "usage": merged, "headers": {k: v for k, v in headers.items() if k != "request-id"},
            "blocks": [b["type"] for b in reply.blocks]})
        if reply.status != 200:
            self._json(reply.status, {"type": "error", "error": {
                "type": reply.error_type or "api_error",
                "message": reply.blocks[0].get("text", "error") if reply.blocks else "error"},
                "request_id": rid}, headers)
            return
        has_tool = any(b["type"] == "tool_use" for b in reply.blocks)
        stop = reply.stop_reason or ("tool_use" if has_tool else "end_turn")
        if not body.get("stream"):
            self._json(200, {"id": mid, "type": "message", "role": "assistant", "model": model,
                             "content": reply.blocks, "stop_reason": stop, "stop_sequence": None,
                             "usage": merged}, headers)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

        def send(b: bytes) -> None:
            self.wfile.write(f"{len(b):x}\r\n".encode() + b + b"\r\n")
            self.wfile.flush()

        try:
            send(_sse("message_start", {"type": "message_start", "message": {
                "id": mid, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_u}}))
            send(_sse("ping", {"type": "ping"}))
            for i, b in enumerate(reply.blocks):
                t = b["type"]
                if t == "text":
                    send(_sse("content_block_start", {"type": "content_block_start", "index": i,
                                                      "content_block": {"type": "text", "text": ""}}))
                    for c in _chunks(b["text"]):
                        send(_sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                          "delta": {"type": "text_delta", "text": c}}))
                elif t == "thinking":
                    send(_sse("content_block_start", {"type": "content_block_start", "index": i,
                                                      "content_block": {"type": "thinking",
                                                                        "thinking": "",
                                                                        "signature": ""}}))
                    for c in _chunks(b["thinking"]):
                        send(_sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                          "delta": {"type": "thinking_delta",
                                                                    "thinking": c}}))
                    send(_sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                      "delta": {"type": "signature_delta",
                                                                "signature": b["signature"]}}))
                elif t == "tool_use":
                    send(_sse("content_block_start", {"type": "content_block_start", "index": i,
                                                      "content_block": {"type": "tool_use",
                                                                        "id": b["id"],
                                                                        "name": b["name"],
                                                                        "input": {}}}))
                    for c in _chunks(json.dumps(b["input"]), 40):
                        send(_sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                          "delta": {"type": "input_json_delta",
                                                                    "partial_json": c}}))
                else:
                    send(_sse("content_block_start", {"type": "content_block_start", "index": i,
                                                      "content_block": b}))
                send(_sse("content_block_stop", {"type": "content_block_stop", "index": i}))
                if reply.block_delay:
                    time.sleep(reply.block_delay)
            send(_sse("message_delta", {"type": "message_delta",
                                        "delta": {"stop_reason": stop, "stop_sequence": None},
                                        "usage": final_u}))
            send(_sse("message_stop", {"type": "message_stop"}))
            send(b"")  # last chunk
        except (BrokenPipeError, ConnectionResetError):
            pass


# --------------------------------------------------------------------------- CLI

def scenario(spec: str) -> Script:
    """Named scripts for the command line.

    text                      one text answer (usage with cache split and thinking tokens)
    write:PATH                Write PATH, then a final text
    three                     one response with thinking + text + tool_use(Bash echo), then text
    bash:CMD                  Bash CMD, then a final text
    """
    u1 = Usage(input_tokens=1200, output_tokens=345, cache_read=5000, cache_5m=700, cache_1h=300,
               thinking=120)
    u2 = Usage(input_tokens=1500, output_tokens=56, cache_read=6000, cache_5m=0, cache_1h=200,
               thinking=0)
    name, _, arg = spec.partition(":")
    if name == "text":
        return Script([Reply.text("Hello from the stub.", usage=u1)],
                      default=Reply.text("side answer", usage=Usage(50, 5)))
    if name == "write":
        return Script([Reply.tool("Write", {"file_path": arg, "content": "written by stub\n"},
                                  say="I will write the file.", usage=u1),
                       Reply.text("Done: the file is written.", usage=u2)],
                      default=Reply.text("side answer", usage=Usage(50, 5)))
    if name == "bash":
        return Script([Reply.tool("Bash", {"command": arg, "description": "run it"}, usage=u1),
                       Reply.text("Ran it.", usage=u2)],
                      default=Reply.text("side answer", usage=Usage(50, 5)))
    if name == "three":
        return Script([Reply(blocks=[thinking("Let me think."), text("Running echo."),
                                     tool_use("Bash", {"command": "echo three",
                                                       "description": "echo"})], usage=u1),
                       Reply.text("All three done.", usage=u2)],
                      default=Reply.text("side answer", usage=Usage(50, 5)))
    raise SystemExit(f"unknown scenario {spec!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--record-dir", default="stub-records")
    ap.add_argument("--scenario", default="text")
    ap.add_argument("--rate-limits", default="", help="5H,7D utilizations, e.g. 0.42,0.17")
    a = ap.parse_args()
    script = scenario(a.scenario)
    if a.rate_limits:
        f, s = (float(x) for x in a.rate_limits.split(","))
        script.rate_limits(f, s)
    srv = StubServer(script, a.record_dir, a.port).start()
    print(f"stub listening on {srv.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
