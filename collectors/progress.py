"""How far a long read of agents' logs has got (a cold start: thousands of files), for whoever shows it:
``packwatch`` commands on a terminal's stderr, the dashboard while its first catch-up runs. Plain data
and a throttle; showing it is the caller's job."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadProgress:
    agent: str
    files_done: int
    files: int
    bytes_done: int
    bytes: int
    done: bool = False

    def text(self) -> str:
        return (f"reading {self.agent} logs: {self.files_done:,}/{self.files:,} files, "
                f"{self.bytes_done / 1e6:,.0f}/{self.bytes / 1e6:,.0f} MB")


ProgressReport = Callable[[ReadProgress], None]


class Throttled:
    """Passes progress on only once a read has lasted ``after`` seconds, then at most every ``every``
    seconds, and its end when anything was shown: a short read shows nothing."""

    def __init__(self, report: ProgressReport, *, after: float = 1.0, every: float = 0.2) -> None:
        self.report, self.after, self.every = report, after, every
        self.started: float | None = None
        self.last: float | None = None

    def __call__(self, progress: ReadProgress) -> None:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        if progress.done:
            if self.last is not None:
                self.report(progress)
            self.started = self.last = None
            return
        if now - self.started >= self.after and (self.last is None or now - self.last >= self.every):
            self.last = now
            self.report(progress)
