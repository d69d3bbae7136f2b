"""What every agent adapter shares: the ``AgentLog`` it describes (where its files live, how each kind
of file is read), the ``LogParser`` and ``DatabaseReader`` interfaces, and the helpers that decode a
JSON line or reject it with its reason. Adding an agent is one module beside this one (see
``collectors.agents``) and one test file."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec

from ledger.secrets import EXCERPT_SCAN
from ledger.store.agent_rows import AgentRow
from ledger.store.agent_totals import SessionTotal

Reject = tuple[int, int, str, str]
"""(line offset, line bytes, reason, excerpt)."""


@dataclass
class Parsed:
    rows: list[AgentRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    state: dict | None = None
    """Carried to the next read of the same file (Codex: session, model, last total)."""
    totals: list[SessionTotal] = field(default_factory=list)
    """The agent's own cumulative session totals (Claude Code's cost-state lines)."""
    quota: list[tuple] = field(default_factory=list)
    """Quota snapshots the agent reported (``quota_snapshots`` rows: Codex's rate limits)."""
    dropped: int = 0
    """Copies of a response left out because an earlier copy in the same read is at least as full
    (the store would keep that one anyway: ``ledger.store.agent_rows.resolve``); counted as read."""


class LogParser(Protocol):
    def parse(self, data: bytes, base: int, path: Path, source_id: int, state: dict | None) -> Parsed:
        """Rows and rejected lines of ``data`` (whole lines, starting at byte ``base`` of ``path``; for
        a whole-document file, the whole file)."""
        ...


class DatabaseReader(Protocol):
    def read(self, con: sqlite3.Connection, source_id: int, state: dict | None) -> Parsed:
        """The rows changed since ``state`` (the cursor the last read returned), and the new cursor."""
        ...


@dataclass
class LogFiles:
    """One kind of file an agent writes: where, which names, and how it is read."""

    parser: LogParser
    roots: list[Path]
    """Folders searched recursively (or single files, such as an export the user named)."""
    pattern: str = "*.jsonl"
    whole: bool = False
    """A JSON document (not lines), read whole again whenever its size changes; its rows must carry
    message ids, so a second read counts nothing twice."""
    accept: Callable[[Path], bool] | None = None
    """Which of the matching files are this agent's (None: all)."""


@dataclass
class Database:
    """An agent's SQLite database, read read-only while the agent writes it (OpenCode)."""

    path: Path
    reader: DatabaseReader


@dataclass
class AgentLog:
    """One agent's logs: where they live and how to read them."""

    agent: str
    """The agent program (``claude-code``, ``codex``, ...): the rows' ``agent`` and the files' ``sources.kind``."""
    files: list[LogFiles] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    required: bool = False
    """Asked for explicitly (not ``auto``): a missing folder is reported."""
    totals_provider: str | None = None
    """When the agent writes its own session totals: the provider its unlogged rows are priced under."""

    @property
    def roots(self) -> list[Path]:
        """Every folder (or single file) the agent's files live in: reported when missing."""
        return list(dict.fromkeys([r for f in self.files for r in f.roots] + [d.path.parent for d in self.databases]))

    @property
    def folders(self) -> list[Path]:
        """The folders watched recursively for the agent's files (those that exist)."""
        return list(dict.fromkeys(r for f in self.files for r in f.roots if r.is_dir()))

    @property
    def single_files(self) -> list[Path]:
        """Files watched on their own (their folders are not searched): databases, named exports."""
        named = [r for f in self.files for r in f.roots if not r.is_dir()]
        return list(dict.fromkeys([*named, *(d.path for d in self.databases)]))


def lines(data: bytes, base: int) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each non-blank line of ``data`` (which ends with a newline). The hot loop of
    a cold read (hundreds of thousands of lines): no copy of a line to test it for blankness."""
    pos = base
    for raw in data.split(b"\n")[:-1]:
        if raw and not raw.isspace():
            yield pos, raw
        pos += len(raw) + 1


def excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_SCAN].decode("utf-8", errors="replace")  # the store scrubs and cuts it


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


_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")
_BLANK_FIRST = re.compile(rb"[ \t\r]*\n")


class Lines:
    """The (offset, line) of each record ``decoded_all`` returned, by its index: found only when one is
    asked for (a reject, a cost-state line), not for every line of a read."""

    def __init__(self, data: bytes, base: int, found: list[tuple[int, bytes]] | None = None) -> None:
        self._data, self._base, self._found = data, base, found

    def __getitem__(self, index: int) -> tuple[int, bytes]:
        if self._found is None:
            self._found = list(lines(self._data, self._base))
        return self._found[index]


def decoded_all(decoder: msgspec.json.Decoder, data: bytes, base: int, rejects: list[Reject],
                problem: Callable[[bytes], str | None]) -> tuple[list[Any], Lines]:
    """As ``decoded``, all at once: (the records, where each one's line is). One ``decode_lines`` call (the
    cold read's hot loop, in C) when every line of ``data`` is one record that decodes, as most reads are;
    otherwise (a line that does not decode or is not one object, a blank line) ``decoded``, line by line."""
    if data.endswith(b"\n") and not _BLANK_LINE.search(data) and not _BLANK_FIRST.match(data):
        try:
            records = decoder.decode_lines(data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            records = None
        # No blank line, so each line gave at least one record: as many as lines means one each.
        if records is not None and len(records) == data.count(b"\n"):
            return records, Lines(data, base)
    got = list(decoded(decoder, data, base, rejects, problem))
    return [rec for _, _, rec in got], Lines(data, base, [(offset, raw) for offset, raw, _ in got])


def counts_problem(counts: object, names: tuple[str, ...], *, missing: str, otherwise: str, prefix: str = "") -> str:
    """Why a record's token counts are not counts, for a line whose fields did not decode: ``missing``
    when they are not an object, the first count that is not one, else ``otherwise``."""
    if not isinstance(counts, dict):
        return missing
    for name in names:
        if bad_count(counts.get(name)):
            return f"{prefix}{name} is not a non-negative integer"
    return otherwise


def decode_document(decoder: msgspec.json.Decoder, data: bytes, out: Parsed, reason: str) -> Any:
    """A whole JSON document decoded, or None with the file rejected for ``reason`` in ``out``."""
    try:
        return decoder.decode(data)
    except msgspec.DecodeError:
        out.rejects.append(reject(0, data, reason))
        return None


def bad_count(value: object) -> bool:
    """Whether a token count an agent wrote is not a count (a string, a negative number, a bool)."""
    return value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0)


def timestamp_problem(ts: str | None) -> str | None:
    """Why an ISO-8601 timestamp cannot be used, or None."""
    if ts is None:
        return "missing timestamp"
    try:
        dt.datetime.fromisoformat(ts)
    except ValueError:
        return "unparseable timestamp"
    return None


def epoch_ms(value: float | int) -> str:
    """An epoch in milliseconds as ISO-8601 UTC (OpenCode, Copilot and Qwen write times so)."""
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC).isoformat(timespec="milliseconds")


def first_problem(*checks: str | None) -> str | None:
    return next((c for c in checks if c), None)
