"""A Claude Code subscriber beside the pack: its status line's quota windows, so the demo's Quota pane
shows what a Max/Pro user runs out of. Each snapshot is the payload Claude Code pipes to its
``statusLine`` command (``rate_limits.five_hour`` / ``seven_day``: ``used_percentage``, ``resets_at``
in epoch seconds), read and written by the same code as ``packwatch statusline`` into ``quota.jsonl``
beside the ledger, which the collectors ingest like any agent's.

The 5-hour window fills at its own pace (some windows run out before their reset, most do not); the
week fills more slowly; both start again at their reset."""

from __future__ import annotations

import datetime as dt
import random
import threading
from pathlib import Path

from ledger.agent.statusline import snapshot_lines, windows_of
from ledger.agent.where import QUOTA_FILE
from ledger.agent.writer import LedgerWriter

EVERY_S = 20.0
"""Seconds between live snapshots (Claude Code updates its status line after every message)."""
HISTORY_EVERY = dt.timedelta(minutes=5)
FIVE_HOURS, WEEK = dt.timedelta(hours=5), dt.timedelta(days=7)
MODEL = "claude-sonnet-4-5"


def _window(at: dt.datetime, length: dt.timedelta, anchor: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = anchor + (at - anchor) // length * length
    return start, start + length


class Subscriber:
    def __init__(self, folder: Path, seed: int = 7) -> None:
        self.writer = LedgerWriter(Path(folder) / QUOTA_FILE)
        self.seed = seed
        self.anchor = dt.datetime(2026, 1, 5, 3, tzinfo=dt.UTC)  # a Monday: the week's and the blocks' origin

    def _pace(self, start: dt.datetime) -> float:
        """How full this window gets by its reset at its pace (over 1: it runs out first)."""
        return random.Random(f"{self.seed}:{start.isoformat()}").uniform(0.55, 1.2)

    def payload(self, at: dt.datetime) -> dict:
        """What Claude Code pipes to its status line at ``at``."""
        limits = {}
        for name, length, pace in (("five_hour", FIVE_HOURS, None), ("seven_day", WEEK, 0.8)):
            start, end = _window(at, length, self.anchor)
            used = min(100.0, 100 * (pace or self._pace(start)) * ((at - start) / length))
            limits[name] = {"used_percentage": round(used, 1), "resets_at": int(end.timestamp())}
        session = f"demo-{(at - self.anchor) // FIVE_HOURS}"
        return {"session_id": session, "model": {"id": MODEL, "display_name": "Sonnet 4.5"}, "rate_limits": limits}

    def snapshot(self, at: dt.datetime) -> None:
        payload = self.payload(at)
        ts = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for line in snapshot_lines(payload, windows_of(payload), ts):
            self.writer.append(line)

    def backfill(self, start: dt.datetime, end: dt.datetime) -> None:
        at = start
        while at < end:
            self.snapshot(at)
            at += HISTORY_EVERY


def start_subscriber(folder: Path, stop: threading.Event, hours: float = 6.0) -> Subscriber:
    """The last ``hours`` of snapshots, then one every ``EVERY_S`` seconds until ``stop``, in a daemon thread."""
    sub = Subscriber(folder)
    now = dt.datetime.now(dt.UTC)
    sub.backfill(now - dt.timedelta(hours=hours), now)

    def live() -> None:
        while not stop.wait(EVERY_S):
            sub.snapshot(dt.datetime.now(dt.UTC))

    threading.Thread(target=live, name="demo-subscriber", daemon=True).start()
    return sub
