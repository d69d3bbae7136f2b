"""A provider's circuit states over a time window, as one coloured strip with a time axis."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widgets import Static

from ledger.views.providers import StateSpan

STATE_COMPONENT = {"OPEN": "timeline--open", "HALF_OPEN": "timeline--half-open", "CLOSED": "timeline--closed"}
STATE_GLYPH = {"OPEN": "█", "HALF_OPEN": "▒", "CLOSED": "▁"}


class StateTimeline(Static):
    COMPONENT_CLASSES = {"timeline--open", "timeline--half-open", "timeline--closed", "timeline--axis"}
    DEFAULT_CSS = "StateTimeline { height: 2; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[StateSpan] = []
        self._window: tuple[dt.datetime, dt.datetime] | None = None

    def show(self, spans: list[StateSpan], start: dt.datetime, end: dt.datetime) -> None:
        self._spans, self._window = spans, (start, end)
        self.update(self._text(max(self.content_size.width, 10)))

    def on_resize(self) -> None:
        if self._window:
            self.update(self._text(max(self.content_size.width, 10)))

    def _text(self, width: int) -> Text:
        assert self._window
        start, end = self._window
        total = (end - start).total_seconds() or 1
        text = Text()
        for cell in range(width):
            at = start + dt.timedelta(seconds=total * (cell + 0.5) / width)
            state = next((s.state for s in self._spans if s.start <= at < s.end),
                         self._spans[-1].state if self._spans else "CLOSED")
            text.append(STATE_GLYPH[state], style=self.get_component_rich_style(STATE_COMPONENT[state]))
        left, right = f"{start:%H:%M}", f"{end:%H:%M}"
        legend = "▁ closed ▒ half-open █ open"
        gap = width - len(left) - len(right)
        middle = legend.center(gap) if gap >= len(legend) + 2 else " " * max(gap, 0)
        text.append("\n" + left + middle + right, style=self.get_component_rich_style("timeline--axis"))
        return text
