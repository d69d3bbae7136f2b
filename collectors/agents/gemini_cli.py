"""Gemini CLI's chat recordings (checked against @google/gemini-cli 0.61.0's real files and its
``chatRecordingService``): ``<GEMINI_CLI_HOME or ~>/.gemini/tmp/<project>/chats/``.

- ``session-<time>-<id8>.jsonl``: one record per line. A metadata line (``sessionId``, ``kind``:
  main or subagent; a resumed session may write another one mid-file), messages (``id``,
  ``timestamp``, ``type``: user, gemini, info, ...; a ``gemini`` message has ``model`` and ``tokens``:
  ``input`` (promptTokenCount, cached included), ``output`` (thinking excluded), ``cached``,
  ``thoughts``, ``tool`` (toolUsePromptTokenCount, apart from input), ``total``), ``{"$set": {...}}``
  metadata updates (``sessionId`` on resume; ``messages`` is a checkpoint of the conversation, which
  never adds a response and is not read) and ``{"$rewindTo": id}`` (the conversation drops the
  message and those after it; they were billed, so they still count).
- ``<parent session>/<subagent session>.jsonl``: a subagent's own recording, ``kind: subagent``; its
  rows belong to the parent session, the subagent named by the parent's ``invoke_agent`` call.
- ``session-*.json``: a legacy single-document session (``messages[]``), read whole; resuming one
  copies its messages into a ``.jsonl``, and the shared ids count them once.

A message is written again under the same id when it gains a tool call (same tokens): one response
per session and id. Stored: input = input − cached + tool (what is billed at the input rate, as
ccusage counts it), cache read = cached, output = output + thoughts, reasoning = thoughts (part of
output, as DESIGN.md wants; ccusage leaves thoughts out of its output column). Calls Gemini CLI
records only in its telemetry (the model router, chat compression) are not on disk without it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec

from ledger.settings import Settings
from ledger.store.agent_rows import AgentRow

from .base import (
    AgentLog,
    LogFiles,
    Parsed,
    counts_problem,
    decode_document,
    decoded,
    first_problem,
    reject,
    timestamp_problem,
)

AGENT = "gemini-cli"
PROVIDER = "google"
TOKEN_FIELDS = ("input", "output", "cached", "thoughts", "tool")


class _Tokens(msgspec.Struct):
    input: int = 0
    output: int = 0
    cached: int = 0
    thoughts: int = 0
    tool: int = 0


class _Record(msgspec.Struct):
    id: str | None = None
    type: str | None = None
    timestamp: str | None = None
    model: str | None = None
    tokens: _Tokens | None = None
    sessionId: str | None = None  # noqa: N815 - Gemini CLI's own field names
    kind: str | None = None
    set: dict[str, Any] | None = msgspec.field(default=None, name="$set")


class _Document(msgspec.Struct):
    sessionId: str | None = None  # noqa: N815
    kind: str | None = None
    messages: list[_Record] = []


_LINE = msgspec.json.Decoder(_Record)
_DOCUMENT = msgspec.json.Decoder(_Document)


def data_dir(settings: Settings) -> Path:
    """The setting, else ``$GEMINI_CLI_HOME/.gemini``, else ``~/.gemini`` (Gemini CLI's ``homedir()``)."""
    if settings.sources.gemini_cli_home is not None:
        return settings.sources.gemini_cli_home
    env = os.environ.get("GEMINI_CLI_HOME", "").strip()
    return (Path(env).expanduser() if env else Path.home()) / ".gemini"


def _in_chats(path: Path) -> bool:
    return path.parent.name == "chats" or path.parent.parent.name == "chats"


def _legacy(path: Path) -> bool:
    """A legacy session document, unless it was migrated to a ``.jsonl`` beside it."""
    return path.parent.name == "chats" and not path.with_suffix(".jsonl").exists()


def log(settings: Settings) -> AgentLog | None:
    mode = settings.sources.gemini_cli
    if mode is False:
        return None
    root = data_dir(settings).resolve() / "tmp"
    return AgentLog(AGENT, [
        LogFiles(GeminiParser(), [root], "*.jsonl", accept=_in_chats),
        LogFiles(GeminiDocumentParser(), [root], "session-*.json", whole=True, accept=_legacy),
    ], required=mode is True)


def _project(path: Path) -> str | None:
    """The project's folder, as Gemini CLI records it in ``tmp/<project>/.project_root``."""
    folder = path.parent.parent if path.parent.name == "chats" else path.parent.parent.parent
    try:
        return (folder / ".project_root").read_text().strip() or folder.name
    except OSError:
        return folder.name


def subagent_name(path: Path, subagent_session: str) -> str | None:
    """The name the parent's ``invoke_agent`` call gave the subagent that wrote ``path``."""
    needle = subagent_session.encode()
    parent = path.parent.name
    for candidate in path.parent.parent.glob(f"session-*-{parent[:8]}.jsonl"):
        try:
            data = candidate.read_bytes()
        except OSError:
            continue
        for line in data.splitlines():
            if needle not in line:
                continue
            try:
                calls = json.loads(line).get("toolCalls") or []
            except (ValueError, AttributeError):
                continue
            for call in calls:
                if isinstance(call, dict) and call.get("agentId") == subagent_session:
                    name = (call.get("args") or {}).get("agent_name")
                    return str(name) if name else call.get("name")
    return None


def _row(rec: _Record, st: dict, source_id: int) -> AgentRow:
    t = rec.tokens
    cached = min(t.cached, t.input)
    return AgentRow(
        source_id=source_id, ts=rec.timestamp, model=rec.model or "unknown",
        input_tokens=t.input - cached + t.tool, output_tokens=t.output + t.thoughts, cache_read_tokens=cached,
        reasoning_tokens=t.thoughts, provider_raw=PROVIDER, session=st["session"], project=st["project"],
        subagent=st.get("subagent"), message_id=f"{st['session']}:{rec.id}" if rec.id else None,
    )


def _problem(rec: _Record) -> str | None:
    return first_problem(timestamp_problem(rec.timestamp),
                         "negative token count" if min(getattr(rec.tokens, f) for f in TOKEN_FIELDS) < 0 else None)


class GeminiParser:
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        st = state or {"session": None, "project": _project(path), "subagent": None, "kind": None}
        if st["kind"] == "subagent" and st["subagent"] == "subagent":
            st["subagent"] = subagent_name(path, st["own"]) or "subagent"  # the parent may have written it since
        out = Parsed(state=st)
        for offset, raw, rec in decoded(_LINE, data, base, out.rejects, _generic_problem):
            if rec.type is None:
                _metadata(rec, st, path)
            elif rec.type == "gemini" and rec.tokens is not None and st["session"]:
                reason = _problem(rec)
                if reason:
                    out.rejects.append(reject(offset, raw, reason))
                else:
                    out.rows.append(_row(rec, st, source_id))
        return out


def _metadata(rec: _Record, st: dict, path: Path) -> None:
    """A metadata line, or a ``$set`` (only a new ``sessionId`` matters here)."""
    session = rec.sessionId or (rec.set or {}).get("sessionId")
    if rec.kind == "subagent" or st["kind"] == "subagent":
        st["kind"] = "subagent"
        if session and not st.get("own"):
            st["own"] = session
            st["subagent"] = subagent_name(path, session) or "subagent"
        st["session"] = path.parent.name  # the parent session, whose folder holds the file
    elif isinstance(session, str) and session:
        st["kind"] = rec.kind or st["kind"] or "main"
        st["session"] = session


class GeminiDocumentParser:
    """A legacy ``session-*.json``: one document with every message."""

    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        out = Parsed()
        doc = decode_document(_DOCUMENT, data, out, "not a Gemini CLI session document")
        if doc is None or not doc.sessionId:
            return out  # another kind of JSON file
        st = {"session": doc.sessionId, "project": _project(path), "subagent": None}
        for rec in doc.messages:
            if rec.type == "gemini" and rec.tokens is not None:
                reason = _problem(rec)
                if reason:
                    out.rejects.append(reject(0, data, f"message {rec.id}: {reason}"))
                else:
                    out.rows.append(_row(rec, st, source_id))
        return out


def _generic_problem(raw: bytes) -> str | None:
    rec = msgspec.json.decode(raw)
    tokens = rec.get("tokens")
    if rec.get("type") != "gemini" or tokens is None:
        return None  # not a response: its other fields are none of our business
    return counts_problem(tokens, TOKEN_FIELDS, missing="tokens is not an object", prefix="tokens.",
                          otherwise="a response field of an unexpected type")
