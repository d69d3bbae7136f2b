"""Code Puppy's own error log (``~/.code_puppy/logs/errors.log``) as ``error`` events.

Code Puppy's ``code_puppy/error_logging.py`` (checked against code-puppy 0.0.946) appends one
block per error with a single ``write``::

    <blank line>
    ================================================================================
    Timestamp: 2026-11-20T10:00:00.123456        (naive local time, datetime.isoformat())
    Error Type: ModelHTTPError                   (``log_error``; ``log_error_message`` writes
    Error Message: status_code: 429, ...          ``Message: ...`` instead of these two)
    Context: agent run                           (optional)
    Traceback:                                   (optional, many lines)
    Args: (...)                                  (optional)
    ================================================================================

A message may span lines. Above 5 MB the file is renamed to ``errors.log.1`` and a new one started.
A block is read only once its closing separator line is complete, so the committed offset always
sits between blocks; a torn block simply waits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from ledger.secrets import excerpt_of, scrub

KIND = "errorlog"  # the store's source kind
AGENT = "code-puppy"
MESSAGE_CHARS = 2000

_SEPARATOR = re.compile(rb"={20,}\s*")
_FIELD = re.compile(r"(Timestamp|Error Type|Error Message|Message|Context|Traceback|Args):(?: (.*))?")
_MODEL = re.compile(r"model_name: ([\w.\-/:@]+)")


@dataclass
class ErrorBlock:
    offset: int
    ts: str
    error_type: str | None
    message: str | None
    context: str | None
    model: str | None


@dataclass
class ParsedErrors:
    blocks: list[ErrorBlock] = field(default_factory=list)
    rejects: list[tuple[int, int, str, str]] = field(default_factory=list)
    """(offset, bytes, reason, excerpt) for the ``rejected`` table."""
    end: int = 0
    """Offset just after the last complete block: where the next read starts."""


def parse(data: bytes, base: int, secrets: tuple[str, ...] = ()) -> ParsedErrors:
    """The complete blocks in ``data`` (which starts at file offset ``base`` between blocks)."""
    out = ParsedErrors(end=base)
    inside = False
    start = base
    lines: list[str] = []
    pos = base
    for raw in data.splitlines(keepends=True):
        off, pos = pos, pos + len(raw)
        if not raw.endswith(b"\n"):
            break  # a torn last line: wait for the rest
        separator = _SEPARATOR.fullmatch(raw) is not None
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not inside:
            if separator:
                inside, start, lines = True, off, []
            elif text.startswith("Timestamp:"):
                # Out of step (a block torn by a crash ate our opening separator): this is one.
                inside, start, lines = True, off, [text]
            else:
                if text.strip():
                    out.rejects.append((off, len(raw), "text outside an errors.log block",
                                        _excerpt(text, secrets)))
                out.end = pos
            continue
        if not separator:
            lines.append(text)
            continue
        if not any(line.strip() for line in lines):
            start, lines = off, []  # two separators with nothing between: this one opens
            continue
        _block(lines, start, pos, out, secrets)
        inside, out.end = False, pos
    return out


def _block(lines: list[str], start: int, end: int, out: ParsedErrors, secrets: tuple[str, ...]) -> None:
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        m = _FIELD.fullmatch(line)
        if m and m.group(1) not in fields:
            current = fields.setdefault(m.group(1), [])
            if m.group(2) is not None:
                current.append(m.group(2))
        elif current is not None:
            current.append(line)

    def value(name: str) -> str | None:
        text = "\n".join(fields.get(name, [])).strip()
        return (scrub(text[:4 * MESSAGE_CHARS], secrets) or "")[:MESSAGE_CHARS] or None  # scrubbed, then cut

    ts = value("Timestamp")
    message = value("Error Message") or value("Message")
    reason = None
    if ts is None:
        reason = "block without a Timestamp"
    elif _parse_ts(ts) is None:
        reason = "unparseable Timestamp"
    elif message is None and value("Error Type") is None:
        reason = "block without an error type or message"
    if reason:
        out.rejects.append((start, end - start, reason, _excerpt("\n".join(lines), secrets)))
        return
    model = _MODEL.search(message or "")
    out.blocks.append(ErrorBlock(offset=start, ts=ts, error_type=value("Error Type"), message=message,
                                 context=value("Context"), model=model.group(1) if model else None))


def _parse_ts(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _excerpt(text: str, secrets: tuple[str, ...]) -> str:
    return excerpt_of(text.strip(), secrets)


def event_rows(parsed: ParsedErrors) -> list[tuple]:
    """The blocks as event rows: (ts, kind, agent, model, detail JSON)."""
    return [(b.ts, "error", AGENT, b.model,
             json.dumps({"error_type": b.error_type, "message": b.message, "context": b.context,
                         "origin": "errors.log"}))
            for b in parsed.blocks]
