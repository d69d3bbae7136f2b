#!/usr/bin/env python3
"""Stdlib-only OpenAI-compatible chat-completions stub for offline agent runs.

Serves on 127.0.0.1 (port 0 = pick a free one):
  POST .../chat/completions   streaming (SSE) or not
  GET  .../models             one model list (ids from the `models` argument)
  anything else               404 JSON error

Script per request (decided from the request body alone, so it is stateless
per conversation and works for several sessions at once):
  * the request offers a tool named in `tool_preference` (first match wins)
    and there is no `role: "tool"` message after the last user message
                                                             -> ONE tool call
    (a tool in `tool_requires`, by default `task`, is only called when a user
    message contains its marker, by default "[use-subagent]")
  * otherwise                                                -> a text answer
So an agent makes (at least) two main requests: tool call, then the answer
after the tool result. Side requests (title generation, summaries) offer no
tools and get a short text answer.

Every usage object that was sent is recorded in `server.sent` (a list of
dicts, also appended as one JSON line each to `record_path` if given), with
the request index, path, model, stream flag, kind and the usage itself. The
usage has `prompt_tokens_details.cached_tokens` and
`completion_tokens_details.reasoning_tokens`. Numbers are distinct per request
(see `default_usage`) so they can be recognised in an agent's logs.

pytest:
    from stub_openai_compat import StubServer
    with StubServer() as stub:           # or stub = StubServer(); stub.start()
        url = stub.base_url               # "http://127.0.0.1:PORT/v1"
        ...                               # run the agent
        assert stub.sent[0]["usage"]["prompt_tokens"] == 1234
CLI:
    python3 stub_openai_compat.py --port 0 --record sent.jsonl
    (prints "PORT <n>" on stdout, then serves until SIGTERM/SIGINT)
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["StubServer", "default_usage"]

DEFAULT_TOOL_ARGS: dict[str, dict[str, Any]] = {
    "bash": {"command": "echo packwatch-stub-marker", "description": "Print a marker"},
    "shell": {"command": ["echo", "packwatch-stub-marker"]},
    "run_shell_command": {"command": "echo packwatch-stub-marker"},
    "list": {"path": "."},
    "glob": {"pattern": "*"},
    # OpenCode's subagent tool: the child session then gets its own bash call + answer
    "task": {"description": "Echo marker", "prompt": "Run echo via bash, then answer.",
             "subagent_type": "general"},
}


def default_usage(index: int, kind: str) -> dict[str, Any]:
    """Distinct, recognisable numbers per request index (0-based)."""
    n = index + 1
    prompt = 1000 * n + 234          # 1234, 2234, 3234, ...
    cached = 100 * n                 # 100, 200, 300 ... (part of prompt)
    completion = 50 + n              # 51, 52, ...
    reasoning = 10 + n               # 11, 12, ... (part of completion)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


class StubServer:
    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        models: tuple[str, ...] = ("stub-model",),
        tool_preference: tuple[str, ...] = ("bash", "shell", "run_shell_command", "list", "glob"),
        tool_args: dict[str, dict[str, Any]] | None = None,
        usage_fn: Callable[[int, str], dict[str, Any]] = default_usage,
        answer_text: str = "Done: the marker was printed.",
        side_text: str = "Stub session",
        reasoning_text: str | None = "Thinking about it.",
        record_path: str | None = None,
        chunk_delay: float = 0.0,
        tool_requires: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self.models = models
        self.tool_preference = tool_preference
        self.tool_args = dict(DEFAULT_TOOL_ARGS, **(tool_args or {}))
        self.usage_fn = usage_fn
        self.answer_text = answer_text
        self.side_text = side_text
        self.reasoning_text = reasoning_text
        self.record_path = record_path
        self.chunk_delay = chunk_delay
        # a tool listed here is only called when a user message contains the marker
        # (keeps a subagent's own conversation from calling `task` again)
        self.tool_requires = {"task": "[use-subagent]"} if tool_requires is None else tool_requires
        self.sent: list[dict[str, Any]] = []       # one entry per usage sent
        self.requests: list[dict[str, Any]] = []   # every request body seen
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._port
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> StubServer:
        stub = self

        class Handler(_Handler):
            server_ref = stub

        self._httpd = ThreadingHTTPServer((self.host, self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="stub-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- script ----------------------------------------------------------
    def _next_index(self, body: dict[str, Any], path: str) -> int:
        with self._lock:
            self.requests.append({"path": path, "body": body, "time": time.time()})
            return len(self.requests) - 1

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.sent.append(entry)
            if self.record_path:
                with open(self.record_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, sort_keys=True) + "\n")

    def plan(self, body: dict[str, Any]) -> tuple[str, str | None]:
        """Return ("tool", tool_name) or ("text", None)."""
        offered = []
        for t in body.get("tools") or []:
            name = (t.get("function") or {}).get("name") or t.get("name")
            if name:
                offered.append(name)
        msgs = body.get("messages") or []
        last_user = max((i for i, m in enumerate(msgs) if m.get("role") == "user"), default=-1)
        # only tool results after the latest user message count (a continued session has older ones)
        has_tool_result = any(m.get("role") == "tool" for m in msgs[last_user + 1:])
        if offered and not has_tool_result:
            user_text = json.dumps([m.get("content") for m in msgs if m.get("role") == "user"])
            for want in self.tool_preference:
                marker = self.tool_requires.get(want)
                if marker and marker not in user_text:
                    continue
                if want in offered:
                    return "tool", want
        return "text", None


class _Handler(BaseHTTPRequestHandler):
    server_ref: StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, code: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_stub")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            now = int(time.time())
            self._json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": now, "owned_by": "stub"}
                for m in self.server_ref.models]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
            return
        path = self.path.split("?")[0]
        if not path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        stub = self.server_ref
        idx = stub._next_index(body, path)
        kind, tool = stub.plan(body)
        usage = stub.usage_fn(idx, kind)
        model = body.get("model") or stub.models[0]
        cid = f"chatcmpl-stub{idx:04d}"
        created = int(time.time())
        is_side = kind == "text" and not body.get("tools")
        text = stub.side_text if is_side else stub.answer_text
        tool_call = None
        if kind == "tool":
            tool_call = {"id": f"call_stub{idx:04d}", "type": "function",
                         "function": {"name": tool, "arguments": json.dumps(stub.tool_args.get(tool, {}))}}
        stream = bool(body.get("stream"))
        stub._record({"index": idx, "path": path, "model": model, "stream": stream,
                      "kind": "side" if is_side else kind, "tool": tool, "id": cid,
                      "time": time.time(), "usage": usage})
        if not stream:
            msg: dict[str, Any] = {"role": "assistant", "content": None if tool_call else text}
            if tool_call:
                msg["tool_calls"] = [tool_call]
            self._json(200, {"id": cid, "object": "chat.completion", "created": created, "model": model,
                             "choices": [{"index": 0, "message": msg,
                                          "finish_reason": "tool_calls" if tool_call else "stop"}],
                             "usage": usage})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("x-request-id", "req_stub")
        self.end_headers()
        self.close_connection = True

        def chunk(delta: dict[str, Any] | None, finish: str | None = None, usage_obj: Any = None,
                  no_choices: bool = False) -> None:
            obj: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
            obj["choices"] = [] if no_choices else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
            if usage_obj is not None:
                obj["usage"] = usage_obj
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()
            if stub.chunk_delay:
                time.sleep(stub.chunk_delay)

        try:
            chunk({"role": "assistant", "content": ""})
            if stub.reasoning_text and not is_side:
                chunk({"reasoning_content": stub.reasoning_text})
            if tool_call:
                chunk({"tool_calls": [{"index": 0, "id": tool_call["id"], "type": "function",
                                       "function": {"name": tool, "arguments": ""}}]})
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": tool_call["function"]["arguments"]}}]})
                chunk({}, "tool_calls")
            else:
                words = text.split(" ")
                for i, w in enumerate(words):
                    chunk({"content": w + (" " if i < len(words) - 1 else "")})
                chunk({}, "stop")
            # usage-only chunk, as OpenAI sends with stream_options.include_usage
            chunk(None, usage_obj=usage, no_choices=True)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--record", help="append every usage sent as a JSON line here")
    ap.add_argument("--requests", help="on exit, write every request body seen (JSON) here")
    ap.add_argument("--model", action="append", help="model id(s) for GET /models")
    ap.add_argument("--no-reasoning", action="store_true", help="send no reasoning_content delta")
    ap.add_argument("--tools", help="comma-separated tool preference, first offered one is called "
                    "(default bash,shell,run_shell_command,list,glob); e.g. task,bash for a subagent")
    ap.add_argument("--chunk-delay", type=float, default=0.0, help="seconds to sleep after each SSE chunk")
    args = ap.parse_args(argv)
    kw: dict[str, Any] = {}
    if args.tools:
        kw["tool_preference"] = tuple(t.strip() for t in args.tools.split(",") if t.strip())
    stub = StubServer(port=args.port, host=args.host, record_path=args.record,
                      models=tuple(args.model or ["stub-model"]), chunk_delay=args.chunk_delay,
                      reasoning_text=None if args.no_reasoning else "Thinking about it.", **kw)
    stub.start()
    print(f"PORT {stub.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    stub.stop()
    if args.requests:
        with open(args.requests, "w", encoding="utf-8") as fh:
            json.dump(stub.requests, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
