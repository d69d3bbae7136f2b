"""The header line: health, why, freshness of the newest ledger line, modes, clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from dashboard import numbers
from ledger.text import one_line
from ledger.views.overview import Overview

HEALTH_CLASSES = {"HEALTHY": "-healthy", "DEGRADED": "-degraded", "UNHEALTHY": "-unhealthy"}


class HealthBar(Horizontal):
    DEFAULT_CSS = """
    HealthBar { height: 1; width: 1fr; }
    HealthBar > Label { height: 1; padding: 0 1; }
    HealthBar > #reasons { width: 1fr; text-overflow: ellipsis; text-wrap: nowrap; }
    HealthBar > #freshness { width: 19; content-align-horizontal: right; }
    HealthBar > #clock { width: 7; }
    """

    paused: reactive[bool] = reactive(False)

    def __init__(self, clock: Callable[[], dt.datetime], *, live: bool = True, demo: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._live = live
        self._demo = demo
        self._last_seen: dt.datetime | None = None
        self._modes: list[str] = []
        self._review_only = False

    def compose(self) -> ComposeResult:
        yield Label("packwatch", id="health")
        yield Label("waiting for the first refresh…", id="reasons")
        yield Label("", id="modes")
        yield Label("", id="freshness")
        yield Label("", id="clock")

    def on_mount(self) -> None:
        self._show_modes()
        self.tick()
        if self._live:
            # Only label text changes each second; the data refresh has its own triggers.
            self.set_interval(1, self.tick)

    def show(self, overview: Overview) -> None:
        health = self.query_one("#health", Label)
        health.update(f"● {overview.health}")
        health.set_classes(HEALTH_CLASSES[overview.health])
        reasons = one_line("; ".join(overview.health_reasons))
        today = f"{overview.requests_today:,} req today, {overview.errors_today:,} errors"
        # Text, not a string: a provider or agent name from a file is never taken for markup.
        self.query_one("#reasons", Label).update(Text(f"{today} · {reasons}" if reasons else today))
        self._last_seen = overview.last_seen
        self._modes = list(overview.modes)
        self._show_modes()
        self.tick()

    def show_no_data(self, text: str) -> None:
        self.query_one("#health", Label).update("● NO DATA")
        self.query_one("#health", Label).set_classes("-nodata")
        self.query_one("#reasons", Label).update(text)

    def show_review_only(self, on: bool) -> None:
        """The banner follows control.json at once, before the next overview is computed."""
        self._review_only = on
        self._show_modes()

    def watch_paused(self) -> None:
        self._show_modes()

    def _show_modes(self) -> None:
        modes = [m for m in self._modes if m != "REVIEW-ONLY"]
        modes = [*(["DEMO"] if self._demo else []), *(["REVIEW-ONLY"] if self._review_only else []), *modes,
                 *(["PAUSED"] if self.paused else [])]
        label = self.query_one("#modes", Label)
        label.update(Text(one_line(" ".join(modes))))
        label.display = bool(modes)

    def tick(self) -> None:
        # Fixed-width labels updated without a layout pass, and only when their text changed:
        # a relayout of the screen every second was most of the idle dashboard's CPU.
        now = self._clock()
        if self._last_seen is None:
            fresh = "no lines yet"
        else:
            fresh = f"last line {numbers.ago((now - self._last_seen).total_seconds())} ago"
        self._set_text("#freshness", fresh)
        self._set_text("#clock", now.strftime("%H:%M"))  # seconds would repaint it every second

    def _set_text(self, selector: str, text: str) -> None:
        label = self.query_one(selector, Label)
        if str(label.content) != text:
            label.update(text, layout=False)
