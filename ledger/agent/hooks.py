"""``packwatch hook AGENT EVENT``: an agent's hook command, on the light path.

The agent pipes one JSON object on stdin and reads the answer from the exit code and stdout. The
forms were read from the installed agents and checked in real runs (README, "Steering Claude Code"):

- Claude Code 2.1.332: PreToolUse refuses with exit 0 and ``{"hookSpecificOutput": {"hookEventName":
  "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": R}}`` (the model reads
  ``PreToolUse:Write hook error: R`` as the tool's error result); UserPromptSubmit refuses with
  ``{"decision": "block", "reason": R}`` before any model request, or adds context with
  ``{"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": X}}``;
  SessionStart takes ``additionalContext`` too. Nothing is printed otherwise (a hook's plain stdout
  reaches the model as context).
- Codex 0.171.0 reads the same PreToolUse and UserPromptSubmit forms (its tool names: ``Bash`` for
  exec_command, ``apply_patch``, ``mcp__server__tool``).

Exit codes: 0 (through, or refused in the JSON form), 1 for a payload that is not a JSON object (the
agent goes on and shows the line) — except a PreToolUse while review-only is on, which is refused
(exit 2, the reason on stderr): review-only fails closed; 2 for an unknown agent or event.
"""

from __future__ import annotations

import json
import os
import sys

from .steering import Steering, warn
from .where import read_config

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at import
    from typing import Any

DEFAULT_MUTATING = {
    "claude-code": ("Write", "Edit", "MultiEdit", "NotebookEdit", "Bash"),
    "codex": ("Bash", "apply_patch"),
}
EVENTS = {
    "claude-code": ("pre-tool-use", "user-prompt-submit", "pre-compact", "session-start", "session-end"),
    "codex": ("pre-tool-use", "user-prompt-submit", "pre-compact", "session-start"),
}
HOOK_EVENT_NAMES = {"pre-tool-use": "PreToolUse", "user-prompt-submit": "UserPromptSubmit",
                    "pre-compact": "PreCompact", "session-start": "SessionStart", "session-end": "SessionEnd"}
TRANSCRIPT_TAIL = 256 << 10
UNDO = {"review-only": "`packwatch control review-only off`",
        "budget": "`packwatch control budget --daily-usd X` (raise it) or `packwatch control enforce 100 review-only`"}


def outcomes(agent: str) -> dict[str, tuple[str, str | None]]:
    """What this agent makes of each kind of control change."""
    name = "Claude Code" if agent == "claude-code" else "Codex"
    return {
        "review_only": ("applied", None), "budget": ("applied", None), "enforcement": ("applied", None),
        "alert_levels": ("applied", None),
        "failover": ("refused", f"{name} cannot switch models from a hook mid-session; pick the model with "
                                "/model or --model"),
        "compaction": ("refused", f"a hook cannot start a compaction in {name}; run /compact in the session "
                                  "(packwatch records it when it runs)"),
    }


def mutating_tools(agent: str) -> frozenset[str]:
    """``[hooks.mutating_tools]`` in the config file (per agent), else the defaults."""
    given = (read_config().get("hooks") or {}).get("mutating_tools") or {}
    tools = given.get(agent) if isinstance(given, dict) else None
    return frozenset(tools if isinstance(tools, list) else DEFAULT_MUTATING.get(agent, ()))


def emit(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")


def context_answer(event: str, text: str) -> dict[str, Any]:
    return {"hookSpecificOutput": {"hookEventName": HOOK_EVENT_NAMES[event], "additionalContext": text}}


def pre_tool_use(steer: Steering, payload: dict[str, Any]) -> int:
    tool = str(payload.get("tool_name") or "")
    if tool not in mutating_tools(steer.agent):
        return 0
    on, why = steer.review_only()
    if not on:
        return 0
    reason = f"packwatch: {why}. {tool} was not run. To allow changes: {UNDO['review-only']}."
    steer.event("blocked", tool=tool, reason=why, tool_use_id=payload.get("tool_use_id"))
    emit({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                 "permissionDecisionReason": reason}})
    return 0


def user_prompt_submit(steer: Steering, payload: dict[str, Any]) -> int:
    policy, why = steer.policy()
    if policy == "block":
        reason = (f"packwatch: {why}, and the block policy refuses new prompts. To go on: {UNDO['budget']}; "
                  "a quota window opens again at its reset.")
        steer.event("blocked", tool="prompt", reason=why)
        emit({"decision": "block", "reason": reason})
    elif policy == "warn":
        emit(context_answer("user-prompt-submit", f"packwatch warning: {why}. Keep the rest of this work small."))
    elif policy == "review-only" or steer.controls.review_only:
        _, why = steer.review_only()
        emit(context_answer("user-prompt-submit", f"packwatch: {why}. File edits and shell commands will be "
                                                  "refused; read, search and plan instead."))
    return 0


def pre_compact(steer: Steering, payload: dict[str, Any]) -> int:
    detail: dict[str, Any] = {"strategy": payload.get("trigger") or "unknown"}
    before = context_tokens(payload.get("transcript_path"))
    if before is not None:
        detail["before_tokens"] = before
    if payload.get("custom_instructions"):
        detail["instructions"] = str(payload["custom_instructions"])[:200]
    steer.event("compaction", **detail)
    return 0


def session_start(steer: Steering, payload: dict[str, Any]) -> int:
    on, why = steer.review_only()
    if on:
        emit(context_answer("session-start", f"packwatch: {why}. File edits and shell commands will be refused."))
    return 0


HANDLERS = {"pre-tool-use": pre_tool_use, "user-prompt-submit": user_prompt_submit, "pre-compact": pre_compact,
            "session-start": session_start, "session-end": lambda steer, payload: 0}


def context_tokens(transcript: Any) -> int | None:
    """The context before a compaction: the last response's input, cache and output tokens, read from
    the end of the session's transcript (None when it cannot be known)."""
    if not isinstance(transcript, str) or not transcript:
        return None
    try:
        with open(transcript, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - TRANSCRIPT_TAIL))
            tail = fh.read()
    except OSError:
        return None
    for raw in reversed(tail.splitlines()):
        if b'"assistant"' not in raw or b'"usage"' not in raw:
            continue
        try:
            usage = json.loads(raw)["message"]["usage"]
            return sum(int(usage.get(k) or 0) for k in ("input_tokens", "cache_creation_input_tokens",
                                                         "cache_read_input_tokens", "output_tokens"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


def run(agent: str, event: str, stdin: str) -> int:
    """One hook call; returns the exit code."""
    if agent not in EVENTS:
        warn(f"unknown agent {agent!r}: use one of {', '.join(EVENTS)}")
        return 2
    if event not in EVENTS[agent]:
        warn(f"unknown {agent} hook event {event!r}: use one of {', '.join(EVENTS[agent])}")
        return 2
    steer = Steering(agent)
    try:
        payload = json.loads(stdin) if stdin.strip() else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return _bad_payload(steer, event, "empty" if not stdin.strip() else "not a JSON object")
    steer.session = str(payload.get("session_id") or "") or None
    if steer.problem:
        warn(f"{steer.problem}; {'keeping review-only on' if steer.controls.review_only else 'going on'}")
    elif not steer.folder.is_dir():
        warn(f"no packwatch folder at {steer.folder}: nothing to enforce (set PACKWATCH_CONTROL_DIR or --ledger)")
        return 0
    steer.acknowledge(outcomes(agent))
    try:
        return HANDLERS[event](steer, payload)
    finally:
        steer.save()


def _bad_payload(steer: Steering, event: str, what: str) -> int:
    if event == "pre-tool-use" and steer.review_only()[0]:
        print(f"packwatch: the hook's input was {what} and review-only is on: refusing the tool", file=sys.stderr)
        return 2
    warn(f"the {event} hook's input was {what}: expected one JSON object on stdin; letting it through")
    return 1
