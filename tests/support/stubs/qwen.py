#!/usr/bin/env python3
"""Scripted OpenAI-compatible chat-completions stub server for Qwen Code, stdlib only.

Qwen Code (`@qwen-code/qwen-code`, auth type "openai") sends
  POST <OPENAI_BASE_URL>/chat/completions      (stream: true + stream_options.include_usage,
                                                or stream: false for utility calls)
Point OPENAI_BASE_URL at  http://127.0.0.1:<port>/v1 .  GET /v1/models is answered too.

Usage sent (OpenAI semantics, what real providers report):
  prompt_tokens        includes prompt_tokens_details.cached_tokens
  completion_tokens    includes completion_tokens_details.reasoning_tokens
  total_tokens         = prompt_tokens + completion_tokens
Streaming: the usage object comes in a final chunk with `choices: []` (include_usage
style); with usage_every_chunk=True every earlier chunk also carries a partial usage
(DashScope style) so a reader can check that only the last one is kept.

Scripting: `script` is a list of actions consumed by step, step = number of `tool`
messages after the last real user message.  Actions:
  {"tool": "read_file", "args": {"absolute_path": "/abs/hello.txt"}}
  {"text": "..."}
When exhausted the stub answers `final_text`.  Requests whose tools are only
`respond_in_schema` (Qwen's generateJson) are answered with a respond_in_schema tool
call whose arguments are built from its parameter schema.  Requests whose system prompt
says "subagent working for a parent agent" (or that offer `report_findings`) are
subagent turns and use `subagent_script`; requests with tools but no `agent` tool
(forked helpers such as the managed-auto-memory-extractor) get a plain text answer
(role "forked").  Steps count every `tool` message in the
conversation (not reset by later user-role reminders/notifications).

Every request is recorded (self.records; JSON lines in record_path) with the usage
the stub sent.  Optional dump_dir keeps each raw request body.

pytest:
    from stub_qwen import StubQwen
    with StubQwen(script=[...]) as s:
        env["OPENAI_BASE_URL"] = s.url + "/v1"
script:
    python3 stub_qwen.py --port 0 --record sent.jsonl --scenario tool
    (prints "PORT <n>"; SIGTERM/SIGINT stops it)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["StubQwen", "usage_for", "fill_schema", "SCENARIOS"]


def usage_for(n: int, role: str) -> dict:
    """OpenAI `usage` for request #n (1-based)."""
    base = {"main": 2000, "subagent": 4000, "json": 600}.get(role, 800)
    prompt = base + 123 * n
    cached = 120 + 10 * n          # always < prompt
    reasoning = 30 + 4 * n if role in ("main", "subagent") else 0
    completion = reasoning + 15 + 2 * n
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def fill_schema(schema, key: str = ""):
    """Smallest JSON value satisfying a JSON schema (numbers >= max(1, minimum),
    first enum value; next_speaker -> "user")."""
    if not isinstance(schema, dict):
        return "stub"
    if schema.get("enum"):
        if key == "next_speaker" and "user" in schema["enum"]:
            return "user"
        return schema["enum"][0]
    for comb in ("anyOf", "oneOf", "allOf"):
        if schema.get(comb):
            return fill_schema(schema[comb][0], key)
    typ = schema.get("type", "object")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "string")
    typ = str(typ).lower()
    if typ == "object":
        return {k: fill_schema(v, k) for k, v in (schema.get("properties") or {}).items()}
    if typ == "array":
        n = max(1, int(schema.get("minItems", 1) or 1))
        return [fill_schema(schema.get("items", {}), key) for _ in range(n)]
    if typ in ("integer", "number"):
        try:
            return max(1, int(schema.get("minimum", 1)))
        except (TypeError, ValueError):
            return 1
    if typ == "boolean":
        return False
    return f"stub {key}".strip()


SCENARIOS = {
    "text": [],
    # path is relative to the CLI's cwd; the stub makes it absolute from the
    # request's environment if it can, else Qwen resolves it itself
    "tool": [{"tool": "read_file", "args": {"file_path": "@CWD@/hello.txt"}}],
    "tool2": [
        {"tool": "read_file", "args": {"file_path": "@CWD@/hello.txt"}},
        {"tool": "glob", "args": {"pattern": "*.txt"}},
    ],
    "subagent": [{"tool": "agent", "args": {
        "description": "read hello", "subagent_type": "general-purpose",
        "prompt": "Read hello.txt in the current directory and report its content."}}],
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _tools(req: dict) -> dict:
    out = {}
    for t in req.get("tools") or []:
        fn = t.get("function") or {}
        if fn.get("name"):
            out[fn["name"]] = fn
    return out


def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _step(messages: list) -> int:
    """Tool results in the whole conversation.  Not reset by later user
    messages: Qwen injects user-role <system-reminder>/<task-notification>
    messages (e.g. when a background subagent finishes), so a reset would make
    the script start over and loop."""
    return sum(1 for m in messages if m.get("role") == "tool")


def _system_text(messages: list) -> str:
    return "".join(_text_of(m.get("content")) for m in messages if m.get("role") == "system")


class StubQwen:
    def __init__(self, script=None, subagent_script=None, final_text="Done: the stub model answers.",
                 record_path=None, host="127.0.0.1", port=0, usage_fn=None, reasoning=True,
                 usage_every_chunk=False, chunk_delay=0.0, seq_start=0, cwd=None,
                 dump_dir=None, model_name=None, big_prompt_seqs=(), big_prompt_tokens=90000):
        self.script = list(SCENARIOS["tool"] if script is None else script)
        self.subagent_script = list(subagent_script if subagent_script is not None else
                                    [{"tool": "read_file", "args": {"file_path": "@CWD@/hello.txt"}}])
        self.final_text = final_text
        self.record_path = record_path
        self.host, self.port = host, port
        self.usage_fn = usage_fn or usage_for
        self.reasoning = reasoning
        self.usage_every_chunk = usage_every_chunk
        self.chunk_delay = chunk_delay
        self.cwd = cwd or os.getcwd()
        self.dump_dir = dump_dir
        self.model_name = model_name
        # requests whose prompt_tokens get +big_prompt_tokens (to push the CLI
        # over its auto-compaction threshold)
        self.big_prompt_seqs = set(big_prompt_seqs)
        self.big_prompt_tokens = big_prompt_tokens
        self.records: list = []
        self._seq = seq_start
        self._lock = threading.Lock()
        self._server = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> StubQwen:
        class Handler(_Handler):
            pass
        Handler.stub = self
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def record(self, rec: dict) -> None:
        with self._lock:
            self.records.append(rec)
            if self.record_path:
                with open(self.record_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(rec, sort_keys=True) + "\n")

    def sent_usage(self, role=None) -> list:
        return [r["usage"] for r in self.records
                if r.get("usage") and (role is None or r.get("role") == role)]

    def _subst(self, obj):
        if isinstance(obj, str):
            return obj.replace("@CWD@", self.cwd)
        if isinstance(obj, dict):
            return {k: self._subst(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._subst(v) for v in obj]
        return obj

    def plan(self, req: dict):
        tools = _tools(req)
        msgs = req.get("messages") or []
        step = _step(msgs)
        if "respond_in_schema" in tools and (len(tools) == 1 or req.get("tool_choice") not in (None, "auto")):
            return "json", {"tool": "respond_in_schema",
                            "args": fill_schema(tools["respond_in_schema"].get("parameters") or {})}
        if not tools:
            # plain side query (chat compression, session title, recap ...); a
            # compression summary must contain a non-empty <state_snapshot>
            return "utility", {"text": "<state_snapshot>stub summary of the conversation</state_snapshot>"}
        # subagents: own system prompt ("You are a general-purpose subagent ...")
        # and the report_findings tool; both main and subagents get `agent`
        sys_text = _system_text(msgs).lower()
        if "report_findings" in tools or "subagent working for" in sys_text:
            role, script = "subagent", self.subagent_script
        elif "agent" not in tools:
            # forked helper agents without the agent tool, e.g. the
            # managed-auto-memory-extractor (edit/glob/grep/read/shell/write)
            return "forked", {"text": "Nothing to save."}
        else:
            role, script = "main", self.script
        if step < len(script):
            act = self._subst(script[step])
            if "tool" not in act or act["tool"] in tools:
                return role, act
            return role, {"text": f"(stub: tool {act['tool']} not offered) {self.final_text}",
                          "missing_tool": act["tool"]}
        return role, {"text": self.final_text}


class _Handler(BaseHTTPRequestHandler):
    stub: StubQwen = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        stub = self.stub
        seq = stub.next_seq()
        stub.record({"seq": seq, "time": _now(), "method": "GET", "path": self.path, "role": "other"})
        if self.path.rstrip("/").endswith("/models"):
            return self._send_json(200, {"object": "list", "data": [
                {"id": stub.model_name or "stub-model", "object": "model", "owned_by": "stub"}]})
        self._send_json(404, {"error": {"message": "stub: not found"}})

    def do_POST(self):
        stub = self.stub
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            req = {}
        seq = stub.next_seq()
        if stub.dump_dir:
            os.makedirs(stub.dump_dir, exist_ok=True)
            with open(os.path.join(stub.dump_dir, f"req-{seq:04d}.json"), "wb") as f:
                f.write(raw)
        base = {"seq": seq, "time": _now(), "method": "POST", "path": self.path,
                "model": req.get("model"), "stream": bool(req.get("stream")),
                "n_messages": len(req.get("messages") or []), "tools": sorted(_tools(req)),
                "user_agent": self.headers.get("User-Agent")}
        if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
            stub.record({**base, "role": "other"})
            return self._send_json(404, {"error": {"message": "stub: not found"}})
        role, act = stub.plan(req)
        usage = stub.usage_fn(seq, role)
        if seq in stub.big_prompt_seqs:
            usage = {**usage, "prompt_tokens": usage["prompt_tokens"] + stub.big_prompt_tokens,
                     "total_tokens": usage["total_tokens"] + stub.big_prompt_tokens}
        model = req.get("model") or stub.model_name or "stub-model"
        cid = f"chatcmpl-stub-{seq}"
        created = int(time.time())
        reasoning_text = f"Reasoning for step {seq}." if (stub.reasoning and role in ("main", "subagent")) else ""
        if "tool" in act:
            tool_call = {"id": f"call_stub_{seq}", "type": "function",
                         "function": {"name": act["tool"], "arguments": json.dumps(act.get("args", {}))}}
            finish, action = "tool_calls", f"tool:{act['tool']}"
        else:
            tool_call, finish, action = None, "stop", "text"
        text = act.get("text", "")
        partials = []
        rec = {**base, "role": role, "action": action, "args": act.get("args"), "usage": usage,
               "partial_usages": partials}
        if not req.get("stream"):
            msg = {"role": "assistant", "content": text or None}
            if reasoning_text:
                msg["reasoning_content"] = reasoning_text
            if tool_call:
                msg["tool_calls"] = [tool_call]
            stub.record(rec)
            return self._send_json(200, {"id": cid, "object": "chat.completion", "created": created,
                                         "model": model, "usage": usage,
                                         "choices": [{"index": 0, "message": msg, "finish_reason": finish}]})

        def partial(k):
            p = {"prompt_tokens": usage["prompt_tokens"], "completion_tokens": k,
                 "total_tokens": usage["prompt_tokens"] + k}
            partials.append(p)
            return p

        def chunk(delta, finish_reason=None, u=None, choices=True):
            c = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}] if choices else []}
            if u is not None:
                c["usage"] = u
            return c

        every = stub.usage_every_chunk
        chunks = [chunk({"role": "assistant", "content": ""}, u=partial(0) if every else None)]
        if reasoning_text:
            chunks.append(chunk({"reasoning_content": reasoning_text}, u=partial(1) if every else None))
        if tool_call:
            chunks.append(chunk({"tool_calls": [{"index": 0, **tool_call}]}, u=partial(2) if every else None))
        else:
            half = max(1, len(text) // 2)
            chunks.append(chunk({"content": text[:half]}, u=partial(2) if every else None))
            chunks.append(chunk({"content": text[half:]}, u=partial(3) if every else None))
        chunks.append(chunk({}, finish_reason=finish, u=partial(4) if every else None))
        chunks.append(chunk(None, u=usage, choices=False))
        stub.record(rec)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"data: " + json.dumps(c).encode() + b"\n\n")
            self.wfile.flush()
            if stub.chunk_delay:
                time.sleep(stub.chunk_delay)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--record")
    ap.add_argument("--scenario", default="tool", choices=sorted(SCENARIOS))
    ap.add_argument("--script", help="JSON list of actions (overrides --scenario)")
    ap.add_argument("--final-text", default="Done: the stub model answers.")
    ap.add_argument("--no-reasoning", action="store_true")
    ap.add_argument("--usage-every-chunk", action="store_true")
    ap.add_argument("--seq-start", type=int, default=0)
    ap.add_argument("--cwd", help="directory substituted for @CWD@ in tool args")
    ap.add_argument("--dump-dir", help="save every raw request body here")
    ap.add_argument("--model-name")
    ap.add_argument("--big-prompt-seq", type=int, action="append", default=[],
                    help="inflate prompt_tokens of this request seq by --big-prompt-tokens")
    ap.add_argument("--big-prompt-tokens", type=int, default=90000)
    a = ap.parse_args(argv)
    script = json.loads(a.script) if a.script else SCENARIOS[a.scenario]
    stub = StubQwen(script=script, final_text=a.final_text, record_path=a.record, host=a.host,
                    port=a.port, reasoning=not a.no_reasoning, usage_every_chunk=a.usage_every_chunk,
                    seq_start=a.seq_start, cwd=a.cwd, dump_dir=a.dump_dir,
                    model_name=a.model_name, big_prompt_seqs=a.big_prompt_seq,
                    big_prompt_tokens=a.big_prompt_tokens).start()
    print(f"PORT {stub.port}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
