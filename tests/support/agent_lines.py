"""Lines shaped like Claude Code's and Codex's own logs (as Claude Code 2.1.332 and Codex 0.171.0
write them), for tests."""

from __future__ import annotations

import json
from pathlib import Path

SONNET = "claude-sonnet-4-20250514"


def compact(rec: dict) -> str:
    """One line as Claude Code writes it: compact JSON (ccusage looks for ``"type":"assistant"``)."""
    return json.dumps(rec, separators=(",", ":")) + "\n"


def claude(msg: str | None = "msg_1", req: str | None = "req_1", *, ts: str = "2026-11-20T10:00:00.000Z",
           model: str = SONNET, inp: int = 10, out: int = 100, cache_write: int = 0, cache_read: int = 0,
           session: str = "sess-1", sidechain: bool = False, thinking: int | None = None,
           cache_1h: int | None = None, **extra: object) -> str:
    """One assistant response line, as Claude Code writes it (``thinking``: of ``out``; ``cache_1h``:
    of ``cache_write``, the 1-hour writes; both as Claude Code 2.1 writes them)."""
    usage: dict = {"input_tokens": inp, "output_tokens": out, "cache_creation_input_tokens": cache_write,
                   "cache_read_input_tokens": cache_read, "service_tier": "standard"}
    if thinking is not None:
        usage["output_tokens_details"] = {"thinking_tokens": thinking}
    if cache_1h is not None:
        usage["cache_creation"] = {"ephemeral_1h_input_tokens": cache_1h,
                                   "ephemeral_5m_input_tokens": cache_write - cache_1h}
    message: dict = {"id": msg, "type": "message", "role": "assistant", "model": model,
                     "content": [{"type": "text", "text": "done"}], "usage": usage}
    if msg is None:
        del message["id"]
    rec: dict = {"parentUuid": None, "isSidechain": sidechain, "userType": "external", "cwd": "/home/me/app",
                 "sessionId": session, "version": "1.0.80", "type": "assistant", "message": message,
                 "uuid": f"u-{msg}-{req}-{out}", "timestamp": ts}
    if req is not None:
        rec["requestId"] = req
    rec.update(extra)
    return compact(rec)


def claude_user(ts: str = "2026-11-20T09:59:59.000Z", session: str = "sess-1") -> str:
    return compact({"type": "user", "sessionId": session, "timestamp": ts, "isSidechain": False,
                    "message": {"role": "user", "content": "make it work"}})


def claude_cost_state(models: dict[str, dict], session: str = "sess-1") -> str:
    """A ``cost-state`` line: the session's cumulative ``modelUsage`` per model (keys as Claude Code
    writes them: inputTokens, outputTokens, thinkingTokens, cacheReadInputTokens, ...)."""
    usage = {}
    for model, u in models.items():
        full = {"inputTokens": 0, "outputTokens": 0, "thinkingTokens": 0, "cacheReadInputTokens": 0,
                "cacheCreationInputTokens": 0, "cacheCreationEphemeral5mInputTokens": 0,
                "cacheCreationEphemeral1hInputTokens": 0, "webSearchRequests": 0, "costUSD": 0.0, **u}
        usage[model] = full
    total = sum(u["costUSD"] for u in usage.values())
    return compact({"type": "cost-state", "sessionId": session, "totalCostUSD": total, "totalAPIDuration": 10,
                    "startTime": 1796110355764, "modelUsage": usage, "hasUnknownModelCost": False})


def codex_meta(session: str = "0199a213-81c0-7800-8aa1-bbab2a035a53", cwd: str = "/home/me/app") -> str:
    return json.dumps({"timestamp": "2026-11-20T09:00:00.000Z", "type": "session_meta",
                       "payload": {"id": session, "timestamp": "2026-11-20T09:00:00.000Z", "cwd": cwd,
                                   "originator": "codex_cli_rs", "cli_version": "0.46.0",
                                   "model_provider": "openai"}}) + "\n"


def codex_turn(model: str = "gpt-5-codex", cwd: str = "/home/me/app") -> str:
    return json.dumps({"timestamp": "2026-11-20T09:00:01.000Z", "type": "turn_context",
                       "payload": {"cwd": cwd, "approval_policy": "on-request", "model": model,
                                   "effort": "medium", "summary": "auto"}}) + "\n"


def usage(inp: int, cached: int, out: int, reasoning: int = 0, cache_write: int = 0) -> dict:
    return {"input_tokens": inp, "cached_input_tokens": cached, "cache_write_input_tokens": cache_write,
            "output_tokens": out, "reasoning_output_tokens": reasoning, "total_tokens": inp + out}


def codex_count(total: dict | None, last: dict | None, ts: str = "2026-11-20T09:00:05.000Z",
                null_info: bool = False) -> str:
    info = None if null_info else {k: v for k, v in (("total_token_usage", total), ("last_token_usage", last),
                                                       ("model_context_window", 272000)) if v is not None}
    return json.dumps({"timestamp": ts, "type": "event_msg",
                       "payload": {"type": "token_count", "info": info,
                                   "rate_limits": {"primary": {"used_percent": 3.0}}}}) + "\n"


def append(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(text.encode() if isinstance(text, str) else text)
