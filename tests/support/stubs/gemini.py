#!/usr/bin/env python3
"""Scripted Gemini API (generativelanguage v1beta) stub server, stdlib only.

Serves on 127.0.0.1 the endpoints Gemini CLI calls when pointed at it with
GOOGLE_GEMINI_BASE_URL / GEMINI_API_KEY:

  POST /v1beta/models/<model>:streamGenerateContent?alt=sse   main + subagent turns
  POST /v1beta/models/<model>:generateContent                 JSON utility calls
       (model-router classifier, next-speaker check, summaries ...): the answer
       is built from the request's responseJsonSchema/responseSchema so it passes
       the CLI's own validation (integers/numbers >= 1, first enum value, ...)
  POST /v1beta/models/<model>:countTokens                     {"totalTokens": N}
  anything else                                               404, but recorded

Every request is recorded (self.records and, if given, a JSON-lines file) with
the usageMetadata the stub SENT (final one, plus the partial ones sent in early
SSE chunks), so tests can compare what the CLI wrote to disk with what the
"model" billed.

Scripting (main agent): `script` is a list of actions consumed by step, where
step = number of functionResponse parts after the last plain user text in the
request's `contents`.  Action forms:
  {"tool": "read_file", "args": {"file_path": "hello.txt"}}   -> one functionCall
  {"text": "..."}                                              -> final text
When the script is exhausted the stub answers `final_text`.
Subagent requests (their tool list contains `complete_task`) get: `subagent_script`
actions first (same form), then a `complete_task` call whose args are built from
the declared complete_task parameter schema.

Usage numbers are deterministic per request sequence number n (1-based), see
usage_for(); override with usage_fn(n, role) -> dict.

Use from pytest:
    from stub_gemini import StubGemini
    with StubGemini(script=[{"tool": "read_file", "args": {"file_path": "a"}}]) as s:
        env["GOOGLE_GEMINI_BASE_URL"] = s.url
        ...
        s.records  # list of dicts

Use as a script:
    python3 stub_gemini.py --port 0 --record sent.jsonl --scenario tool
    (prints "PORT <n>" on stdout once listening; SIGTERM/SIGINT stops it)
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["StubGemini", "usage_for", "fill_schema", "SCENARIOS"]

PATH_RE = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^:/?]+):([A-Za-z]+)")


def usage_for(n: int, role: str) -> dict:
    """Final usageMetadata for request #n (Gemini API semantics).

    cachedContentTokenCount is a subset of promptTokenCount; thoughts and
    toolUsePrompt are separate from candidates; total = prompt + candidates +
    thoughts + toolUsePrompt (what the real API reports).
    """
    base = {"main": 1000, "subagent": 3000, "json": 500}.get(role, 700)
    prompt = base + 111 * n
    cached = 100 + 10 * n          # always < prompt
    cand = 20 + 3 * n
    thoughts = 40 + 5 * n if role in ("main", "subagent") else 0
    tool = 7 * n if role in ("main", "subagent") else 0
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": cand,
        "cachedContentTokenCount": cached,
        "thoughtsTokenCount": thoughts,
        "toolUsePromptTokenCount": tool,
        "totalTokenCount": prompt + cand + thoughts + tool,
    }


def fill_schema(schema, key: str = ""):
    """Smallest JSON value that satisfies a (Gemini or JSON-Schema) schema.

    Numbers/integers use max(1, minimum) because the router classifier
    rejects scores < 1.  Enums take their first value, except `next_speaker`
    which answers "user" so the CLI stops instead of continuing.
    """
    if not isinstance(schema, dict):
        return "stub"
    if "enum" in schema and schema["enum"]:
        if key == "next_speaker" and "user" in schema["enum"]:
            return "user"
        return schema["enum"][0]
    for comb in ("anyOf", "oneOf", "allOf"):
        if comb in schema and schema[comb]:
            return fill_schema(schema[comb][0], key)
    typ = schema.get("type", "object")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "string")
    typ = str(typ).lower()
    if typ == "object":
        props = schema.get("properties", {}) or {}
        return {k: fill_schema(v, k) for k, v in props.items()}
    if typ == "array":
        n = max(1, int(schema.get("minItems", 1) or 1))
        return [fill_schema(schema.get("items", {}), key) for _ in range(n)]
    if typ in ("integer", "number"):
        lo = schema.get("minimum", 1)
        try:
            lo = max(1, int(lo))
        except (TypeError, ValueError):
            lo = 1
        return lo
    if typ == "boolean":
        return False
    return f"stub {key}".strip()


SCENARIOS = {
    # one text answer, no tools
    "text": [],
    # read_file, then answer
    "tool": [{"tool": "read_file", "args": {"file_path": "hello.txt"}}],
    # two tool calls in sequence, then answer
    "tool2": [
        {"tool": "read_file", "args": {"file_path": "hello.txt"}},
        {"tool": "list_directory", "args": {"dir_path": "."}},
    ],
    # main agent delegates to the codebase_investigator subagent
    # (0.61.0: one `invoke_agent` tool with agent_name/prompt; older builds
    # exposed each agent as its own tool, e.g. `codebase_investigator`)
    "subagent": [{"tool": "invoke_agent",
                  "args": {"agent_name": "codebase_investigator",
                           "prompt": "Tell me what hello.txt contains."}}],
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _tool_names(req: dict) -> list:
    names = []
    for t in req.get("tools", []) or []:
        for fd in t.get("functionDeclarations", []) or []:
            if fd.get("name"):
                names.append(fd["name"])
    return names


def _tool_decl(req: dict, name: str):
    for t in req.get("tools", []) or []:
        for fd in t.get("functionDeclarations", []) or []:
            if fd.get("name") == name:
                return fd
    return None


def _step(contents: list) -> int:
    """functionResponse parts after the last user text part."""
    step = 0
    for c in contents:
        parts = c.get("parts", []) or []
        if c.get("role") == "user":
            if any("text" in p for p in parts) and not any(
                    "functionResponse" in p for p in parts):
                step = 0
            step += sum(1 for p in parts if "functionResponse" in p)
    return step


def _first_user_text(contents: list) -> str:
    for c in reversed(contents):
        if c.get("role") == "user":
            for p in c.get("parts", []) or []:
                if "text" in p:
                    return p["text"]
    return ""


class StubGemini:
    def __init__(self, script=None, subagent_script=None, final_text="Done: the stub model answers.",
                 record_path=None, host="127.0.0.1", port=0, usage_fn=None,
                 thoughts=True, partial_usage=True, chunk_delay=0.0, seq_start=0):
        self.script = list(SCENARIOS["tool"] if script is None else script)
        self.subagent_script = list(subagent_script or [
            {"tool": "read_file", "args": {"file_path": "hello.txt"}}])
        self.final_text = final_text
        self.record_path = record_path
        self.host = host
        self.port = port
        self.usage_fn = usage_fn or usage_for
        self.thoughts = thoughts
        self.partial_usage = partial_usage
        self.chunk_delay = chunk_delay
        self.records: list = []
        self._seq = seq_start  # first request gets seq_start + 1
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # ---- lifecycle -------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> StubGemini:
        stub = self

        class Handler(_Handler):
            pass
        Handler.stub = stub
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
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

    # ---- bookkeeping -----------------------------------------------------
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

    # ---- behaviour -------------------------------------------------------
    def plan(self, req: dict):
        """-> (role, action dict)."""
        contents = req.get("contents", []) or []
        names = _tool_names(req)
        step = _step(contents)
        if "complete_task" in names:
            role = "subagent"
            if step < len(self.subagent_script):
                act = self.subagent_script[step]
                if act.get("tool") in names:
                    return role, act
            decl = _tool_decl(req, "complete_task") or {}
            schema = decl.get("parametersJsonSchema") or decl.get("parameters") or {}
            args = fill_schema(schema)
            return role, {"tool": "complete_task", "args": args}
        role = "main"
        if step < len(self.script):
            act = self.script[step]
            if "tool" not in act or act["tool"] in names:
                return role, act
            return role, {"text": f"(stub: tool {act['tool']} not offered) {self.final_text}",
                          "missing_tool": act["tool"]}
        return role, {"text": self.final_text}


class _Handler(BaseHTTPRequestHandler):
    stub: StubGemini = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}"), raw
        except ValueError:
            return {}, raw

    def _send_json(self, code: int, obj) -> None:
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        seq = self.stub.next_seq()
        self.stub.record({"seq": seq, "time": _now(), "method": "GET", "path": self.path,
                          "endpoint": "unknown", "role": "other"})
        self._send_json(404, {"error": {"code": 404, "message": "stub: not found",
                                        "status": "NOT_FOUND"}})

    def do_POST(self):
        stub = self.stub
        req, raw = self._read_json()
        seq = stub.next_seq()
        m = PATH_RE.match(self.path)
        base = {"seq": seq, "time": _now(), "method": "POST", "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()
                            if k.lower() not in ("x-goog-api-key", "authorization")}}
        if not m:
            stub.record({**base, "endpoint": "unknown", "role": "other"})
            return self._send_json(404, {"error": {"code": 404, "message": "stub: not found"}})
        model, method = m.group(2), m.group(3)
        base.update({"endpoint": method, "model": model,
                     "n_contents": len(req.get("contents", []) or []),
                     "tools": _tool_names(req)})
        if method == "countTokens":
            total = 50 + len(raw) // 4
            stub.record({**base, "role": "countTokens", "count_tokens": total})
            return self._send_json(200, {"totalTokens": total})
        if method == "generateContent":
            return self._generate(req, base)
        if method == "streamGenerateContent":
            return self._stream(req, base)
        stub.record({**base, "role": "other"})
        return self._send_json(404, {"error": {"code": 404, "message": f"stub: {method}?"}})

    # non-streaming: JSON utility calls (router classifier etc.)
    def _generate(self, req, base):
        stub = self.stub
        gc = req.get("generationConfig", {}) or {}
        schema = gc.get("responseJsonSchema") or gc.get("responseSchema")
        if schema:
            answer = json.dumps(fill_schema(schema))
            role = "json"
        else:
            # plain-text utility call (chat compression summary + verify, ...)
            role = "utility"
            answer = stub.final_text
        usage = stub.usage_fn(base["seq"], "json")
        resp = {
            "candidates": [{"content": {"role": "model", "parts": [{"text": answer}]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage,
            "modelVersion": base["model"],
            "responseId": f"stub-{base['seq']}",
        }
        stub.record({**base, "role": role, "schema_keys": sorted((schema or {}).get("properties", {}) or []),
                     "answer": answer, "usage": usage, "partial_usages": []})
        self._send_json(200, resp)

    def _stream(self, req, base):
        stub = self.stub
        role, act = stub.plan(req)
        usage = stub.usage_fn(base["seq"], role)
        chunks = []
        partials = []
        rid = f"stub-{base['seq']}"

        def partial(k):
            # early chunks: prompt known, candidates growing, no cached/thoughts/tool
            p = {"promptTokenCount": usage["promptTokenCount"],
                 "candidatesTokenCount": k,
                 "totalTokenCount": usage["promptTokenCount"] + k}
            partials.append(p)
            return p

        def chunk(parts, finish=None, um=None):
            c = {"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0}],
                 "modelVersion": base["model"], "responseId": rid}
            if finish:
                c["candidates"][0]["finishReason"] = finish
            if um is not None:
                c["usageMetadata"] = um
            return c

        if stub.thoughts:
            chunks.append(chunk([{"text": f"**Planning step {base['seq']}**\n\nThinking about the request.",
                                  "thought": True}],
                                um=partial(1) if stub.partial_usage else None))
        if "tool" in act:
            fc = {"name": act["tool"], "args": act.get("args", {})}
            chunks.append(chunk([{"functionCall": fc}], finish="STOP", um=usage))
            action = f"tool:{act['tool']}"
        else:
            text = act.get("text", stub.final_text)
            half = max(1, len(text) // 2)
            chunks.append(chunk([{"text": text[:half]}],
                                um=partial(2) if stub.partial_usage else None))
            chunks.append(chunk([{"text": text[half:]}], finish="STOP", um=usage))
            action = "text"
        stub.record({**base, "role": role, "action": action,
                     "args": act.get("args"), "usage": usage, "partial_usages": partials,
                     "user_text": _first_user_text(req.get("contents", []) or [])[:200]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"data: " + json.dumps(c).encode() + b"\r\n\r\n")
            self.wfile.flush()
            if stub.chunk_delay:
                time.sleep(stub.chunk_delay)
        self.close_connection = True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--record", help="append one JSON line per request here")
    ap.add_argument("--scenario", default="tool", choices=sorted(SCENARIOS))
    ap.add_argument("--script", help="JSON list of actions (overrides --scenario)")
    ap.add_argument("--final-text", default="Done: the stub model answers.")
    ap.add_argument("--no-thoughts", action="store_true")
    ap.add_argument("--no-partial-usage", action="store_true")
    ap.add_argument("--seq-start", type=int, default=0,
                    help="first request gets seq N+1 (keeps usage numbers distinct across runs)")
    a = ap.parse_args(argv)
    script = json.loads(a.script) if a.script else SCENARIOS[a.scenario]
    stub = StubGemini(script=script, final_text=a.final_text, record_path=a.record,
                      host=a.host, port=a.port, thoughts=not a.no_thoughts,
                      partial_usage=not a.no_partial_usage, seq_start=a.seq_start).start()
    print(f"PORT {stub.port}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
