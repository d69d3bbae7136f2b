"""The agent side: what any Python agent calls to write the ledger packwatch reads.

Each record is one ``write()`` of one complete line to a file opened with ``O_APPEND``, so
concurrent writers never interleave inside a line and a reader never sees half a record it would
count (a torn tail simply waits for its newline).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from ..clock import now_iso

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at import; the hooks write through this module
    from typing import Any


class LedgerWriter:
    """Appends JSON lines to one file (``usage.jsonl`` or ``events.jsonl``)."""

    def __init__(self, path: Path | str):
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode()
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        with self._lock:
            try:
                fd = os.open(self.path, flags, 0o644)
            except FileNotFoundError:  # the folder first, only when it is missing (not per line)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, flags, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def usage_record(
    *, provider: str, model: str, input_tokens: int, output_tokens: int,
    ts: str | None = None, cache_read: int = 0, cache_write: int = 0, latency_ms: int = 0,
    session: str | None = None, agent: str | None = None, workload: str | None = None,
    kind: str | None = None, cached: bool = False, error: str | None = None,
    status: int | None = None, cost_usd: float | None = None, request_id: str | None = None,
) -> dict[str, Any]:
    """A ledger line in the fields Code Puppy's token telemetry writes, plus packwatch's own."""
    record: dict[str, Any] = {
        "ts": ts or now_iso(), "provider": provider, "model": model,
        "in": int(input_tokens), "out": int(output_tokens),
        "total": int(input_tokens) + int(output_tokens),
        "latency": int(latency_ms), "cached": bool(cached), "error": error,
    }
    optional = {
        "type": kind, "session": session, "agent": agent, "workload": workload,
        "cache_read": cache_read or None, "cache_write": cache_write or None,
        "status": status, "cost_usd": cost_usd, "request_id": request_id,
    }
    record.update({k: v for k, v in optional.items() if v is not None})
    return record


def event_record(
    kind: str, *, ts: str | None = None, agent: str | None = None, session: str | None = None,
    provider: str | None = None, model: str | None = None, **detail: Any,
) -> dict[str, Any]:
    """An ``events.jsonl`` line (DESIGN.md): the kind's own fields go in ``detail``."""
    record: dict[str, Any] = {"ts": ts or now_iso(), "kind": kind}
    optional = {"agent": agent, "session": session, "provider": provider, "model": model}
    record.update({k: v for k, v in optional.items() if v is not None})
    record["detail"] = detail
    return record
