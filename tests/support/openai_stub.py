"""A scripted OpenAI-compatible chat server on 127.0.0.1, for driving a real agent end to end.

It answers ``POST /v1/chat/completions`` (streamed or not) the way a model following a script
would: while the conversation has no tool result yet, it calls one tool (``ScriptedModel.tool_call``);
once a tool result is in the request, it answers with text. Each response carries ``usage`` with
prompt, completion and cached tokens, and every request body is kept in ``requests`` so a test can
assert what the model was shown (the tool result, a block reason).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dashboard.demo.providers import send_json


@dataclass(frozen=True)
class Usage:
    prompt: int
    completion: int
    cached: int

    def as_openai(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt, "completion_tokens": self.completion,
                "total_tokens": self.prompt + self.completion,
                "prompt_tokens_details": {"cached_tokens": self.cached}}


@dataclass
class ScriptedModel:
    """What the stub says: one tool call, then a final answer after the tool result."""

    model: str
    tool_name: str
    tool_args: dict[str, Any]
    answer: str = "Done."
    tool_usage: Usage = Usage(prompt=1_200, completion=34, cached=1_000)
    answer_usage: Usage = Usage(prompt=1_500, completion=12, cached=1_100)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None, Usage]:
        """(tool call or None, text or None, usage) for one request."""
        with self.lock:
            self.requests.append(body)
            number = len(self.requests)
        if any(m.get("role") == "tool" for m in body.get("messages", [])):
            return None, self.answer, self.answer_usage
        call = {"id": f"call_{number}", "type": "function",
                "function": {"name": self.tool_name, "arguments": json.dumps(self.tool_args)}}
        return call, None, self.tool_usage

    def tool_results(self) -> list[str]:
        """Every tool message's content the model was sent, in order."""
        with self.lock:
            bodies = list(self.requests)
        seen: list[str] = []
        for body in bodies:
            for message in body.get("messages", []):
                content = message.get("content")
                if message.get("role") == "tool" and content not in seen:
                    seen.append(content if isinstance(content, str) else json.dumps(content))
        return seen


class _Handler(BaseHTTPRequestHandler):
    server: _StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.server.script.model, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "body is not JSON"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        call, text, usage = self.server.script.reply(body)
        created, rid = int(time.time()), f"chatcmpl-{len(self.server.script.requests)}"
        model = body.get("model") or self.server.script.model
        if body.get("stream"):
            self._stream(rid, created, model, call, text, usage)
            return
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if call:
            message["tool_calls"] = [call]
        self._json(200, {"id": rid, "object": "chat.completion", "created": created, "model": model,
                         "choices": [{"index": 0, "message": message,
                                      "finish_reason": "tool_calls" if call else "stop"}],
                         "usage": usage.as_openai()})

    def _stream(self, rid: str, created: int, model: str, call: dict | None, text: str | None, usage: Usage) -> None:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            choices = [{"index": 0, "delta": delta, "finish_reason": finish}] if delta is not None else []
            payload = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": choices, **extra}
            return b"data: " + json.dumps(payload).encode() + b"\n\n"

        parts = [chunk({"role": "assistant", "content": ""})]
        if call:
            parts.append(chunk({"tool_calls": [{"index": 0, **call}]}))
            parts.append(chunk({}, "tool_calls"))
        else:
            parts.append(chunk({"content": text}))
            parts.append(chunk({}, "stop"))
        parts.append(chunk(None, usage=usage.as_openai()))
        parts.append(b"data: [DONE]\n\n")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(sum(len(p) for p in parts)))
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        send_json(self, status, payload)


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: ScriptedModel):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script


class OpenAIStub:
    """``with OpenAIStub(script) as stub:`` serves on ``stub.base_url`` until the block ends."""

    def __init__(self, script: ScriptedModel):
        self.script = script
        self._server = _StubServer(script)
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
