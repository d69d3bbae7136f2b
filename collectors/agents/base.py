"""What every agent adapter shares: the ``AgentLog`` it describes (where the logs live, how to parse
them), the ``LogParser`` interface, and the helpers that decode a JSON line or reject it with its
reason. Adding an agent is one module beside this one (see ``collectors.agents``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec

from ledger.store.agent_rows import AgentRow

EXCERPT_CHARS = 160

Reject = tuple[int, int, str, str]
"""(line offset, line bytes, reason, excerpt)."""


@dataclass
class Parsed:
    rows: list[AgentRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    state: dict | None = None
    """Carried to the next read of the same file (Codex: session, model, last total)."""
    quota: list[tuple] = field(default_factory=list)
    """Quota snapshots the agent reported (``quota_snapshots`` rows: Codex's rate limits)."""


class LogParser(Protocol):
    agent: str
    """The agent's name, also the ``sources.kind`` of its files (``claude-code``, ``codex``)."""

    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        """Rows and rejected lines of ``data`` (whole lines, starting at byte ``base`` of ``path``)."""
        ...


@dataclass
class AgentLog:
    """One agent's logs: where they live and how to read them."""

    parser: LogParser
    roots: list[Path]
    """Folders searched recursively for ``*.jsonl``."""
    required: bool = False
    """Asked for explicitly (not ``auto``): a missing folder is reported."""


def lines(data: bytes, base: int) -> list[tuple[int, bytes]]:
    """(offset, line) for each non-blank line of ``data`` (which ends with a newline)."""
    out = []
    pos = 0
    for raw in data.split(b"\n")[:-1]:
        if raw.strip():
            out.append((base + pos, raw))
        pos += len(raw) + 1
    return out


def excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_CHARS].decode("utf-8", errors="replace")


def reject(offset: int, raw: bytes, reason: str) -> Reject:
    return (offset, len(raw), reason, excerpt(raw))


def decode_error(raw: bytes) -> str | None:
    """Why ``raw`` is not a JSON object, or None when it is one."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        return "not UTF-8 text" if "utf-8" in str(exc).lower() else "not valid JSON"
    return None if isinstance(value, dict) else "not a JSON object"


def decoded(decoder: msgspec.json.Decoder, data: bytes, base: int, rejects: list[Reject],
            problem: Callable[[bytes], str | None]) -> Iterator[tuple[int, bytes, Any]]:
    """(offset, line, record) for each line of ``data`` that decodes. A line that does not is rejected
    with its reason, unless ``problem`` says it is a line of another kind (None): ignored."""
    for offset, raw in lines(data, base):
        try:
            yield offset, raw, decoder.decode(raw)
        except msgspec.ValidationError:
            # A field of another shape than we read: a line of another kind, or a broken record.
            reason = decode_error(raw) or problem(raw)
            if reason:
                rejects.append(reject(offset, raw, reason))
        except msgspec.DecodeError:
            rejects.append(reject(offset, raw, decode_error(raw) or "not valid JSON"))
