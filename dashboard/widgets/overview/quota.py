"""Quota: each subscription window (Claude Code's 5-hour and weekly, Codex's, or an estimated 5-hour
block): used %, a bar, the time to its reset, and where the window's own pace takes it by then."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from dashboard import numbers
from ledger.text import one_line
from ledger.views.budgets import alert_level
from ledger.views.overview import Overview
from ledger.views.quota import QuotaWindow

from ..pane import Pane

BAR_CELLS = 10
ONE_LINE_WIDTH = 100  # narrower: each window on two lines, its pace under it
SHORT_WIDTH = 64  # narrower still: "↻ 1h 30m" for "resets in 1h 30m"
LABELS = {"five_hour": "5-hour", "seven_day": "weekly", "block": "block~", "primary": "primary",
          "secondary": "secondary"}


def time_left(at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((at - now).total_seconds() // 60))
    if minutes >= 1440:
        return f"{minutes // 1440}d {minutes % 1440 // 60}h"
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def pace(window: QuotaWindow, now: dt.datetime) -> str:
    """"at this pace: 100 % at 16:40, 50 min before reset", or where it ends up."""
    if window.reset:
        return "reset: a new window started"
    if window.full_at is not None:
        return (f"at this pace: 100% at {window.full_at.astimezone(now.tzinfo):%H:%M}, "
                f"{time_left(window.resets_at, window.full_at)} before reset")
    if window.projected_percent is not None:
        return f"at this pace: {window.projected_percent:.0f}% at reset"
    return ""


class QuotaPane(Pane):
    PANE_TITLE = "Quota"
    COMPONENT_CLASSES = {"spend--ok", "spend--info", "spend--warning", "spend--critical", "spend--exceeded",
                         "spend--track", "quota--label", "quota--pace"}
    DEFAULT_CSS = """
    QuotaPane { overflow-y: auto; }
    QuotaPane > Static { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._overview: Overview | None = None

    def compose(self) -> ComposeResult:
        yield Static("—", id="quota-windows")

    def on_resize(self, _event: events.Resize) -> None:
        if self._overview is not None:
            self.show(self._overview)  # one line per window or two, with the width

    def show(self, overview: Overview) -> None:
        self._overview = overview
        wide = self.content_size.width >= ONE_LINE_WIDTH
        text = Text()
        for index, window in enumerate(overview.quota):
            if index:
                text.append("\n")
            text.append_text(self._line(window, overview.now, wide))
        if not overview.quota:
            text = Text("no quota windows reported", style=self.style_of("quota--label"))
        self.query_one("#quota-windows", Static).update(text)
        estimated = any(w.source == "estimated" for w in overview.quota)
        self.border_subtitle = "~ estimated from use" if estimated else ""

    def _line(self, window: QuotaWindow, now: dt.datetime, wide: bool) -> Text:
        level = alert_level(window.used_percent, [50, 75, 90, 100])
        label = one_line(LABELS.get(window.window, window.window), 9)  # names from files: never markup or escapes
        text = Text(f"{one_line(window.agent, 11):<12}{label:<10}",
                    style=self.style_of("quota--label"))
        filled = min(BAR_CELLS, round(BAR_CELLS * window.used_percent / 100))
        text.append("█" * filled, style=self.style_of(f"spend--{level}"))
        text.append("░" * (BAR_CELLS - filled), style=self.style_of("spend--track"))
        text.append(f"{numbers.percent(window.used_percent):>5}", style=self.style_of(f"spend--{level}"))
        short = self.content_size.width < SHORT_WIDTH
        text.append(f"  {'↻ ' if short else 'resets in '}{time_left(window.resets_at, now):<7}")
        text.append(f" {pace(window, now)}" if wide else f"\n  {pace(window, now)}", style=self.style_of("quota--pace"))
        return text
