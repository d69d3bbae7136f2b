"""The dashboard's live costs (`make bench` runs these after the store measures).

- append -> screen: the real app (headless, real clock, live file watch) on the benchmark store;
  a writer appends one line, and the clock runs until the overview holding it was handed to the
  widgets. Textual paints that on its next frame (at most 1/60 s later), which is not counted.
- idle CPU and memory: the real ``packwatch`` in a pseudo-terminal on a ledger nobody writes to;
  the process's CPU time (all threads) over a quiet minute, as a share of one core, and its RSS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import pty
import select
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ledger.agent.writer import LedgerWriter, usage_record
from ledger.clock import now_iso
from ledger.settings import Settings

APPENDS = 40
SPACING = 0.4  # seconds between appends: each lands on a settled app, as a live agent's would


def append_to_screen_ms(settings: Settings, ledger: Path) -> list[float]:
    """Per append, milliseconds from the write to the overview that counts it on screen."""
    from dashboard.app import PackwatchApp
    from dashboard.messages import OverviewReady

    class TimedApp(PackwatchApp):
        # Textual calls this before the base class's handler, which puts the overview on screen;
        # the waiter below wakes only after both ran.
        def on_overview_ready(self, message: OverviewReady) -> None:
            if message.overview is not None:
                self.shown.set()

    async def run() -> list[float]:
        app = TimedApp(settings)
        app.shown = asyncio.Event()
        samples: list[float] = []
        writer = LedgerWriter(ledger)
        async with app.run_test(size=(120, 36)):
            await app.shown.wait()  # the first overview (opening the store) is not timed
            await asyncio.sleep(1.0)
            for _ in range(APPENDS):
                app.shown.clear()
                stamp = now_iso()
                written = dt.datetime.fromisoformat(stamp)
                started = time.perf_counter()
                writer.append(usage_record(provider="cerebras", model="glm-4.7", input_tokens=1000,
                                           output_tokens=100, latency_ms=500, ts=stamp))
                # The newest row's time only grows (a trailing window's count would slide under us, as
                # the generated ledger ends when it was made). A refresh of 1M rows on a busy machine can
                # take seconds: the deadline is a minute, and missing it says so, not a traceback.
                while app.overview.last_seen is None or app.overview.last_seen < written:
                    try:
                        await asyncio.wait_for(app.shown.wait(), timeout=60)
                    except TimeoutError:
                        raise SystemExit("bench: an appended line did not reach the screen in 60 s") from None
                    app.shown.clear()
                samples.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(SPACING)
        return samples

    return asyncio.run(run())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (Linux: /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_dashboard(ledger: Path, db: Path, warmup: float = 10.0, window: float = 60.0) -> tuple[float, float]:
    """The dashboard's CPU use with no new data, in % of one core, and its resident memory in MB
    at the end (Linux: reads /proc)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real CLI, as a user starts it
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="36")
        os.execv(sys.executable, [sys.executable, "-m", "dashboard.cli", "--ledger", str(ledger),
                                  "--db", str(db)])

    def drain(seconds: float) -> None:  # a terminal that is read, as a real one is
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    os.read(fd, 1 << 16)
                except OSError:
                    return

    try:
        drain(warmup)
        start = _cpu_seconds(pid)
        drain(window)
        return 100 * (_cpu_seconds(pid) - start) / window, rss_mb(pid)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call: every bench script times with this."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def summary(samples: list[float]) -> tuple[float, float]:
    """(median, p95) of the samples."""
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[18]
