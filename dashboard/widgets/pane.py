"""The frame every overview pane shares: a titled border and ``show(overview)``."""

from __future__ import annotations

from rich.style import Style
from textual.containers import Vertical
from textual.widget import Widget

from ledger.views.overview import Overview


class Pane(Vertical, can_focus=True):
    """A bordered pane. Focusable so ``]``/``[`` and Tab can reach it (and scroll it)."""

    PANE_TITLE = ""

    def on_mount(self) -> None:
        self.border_title = self.PANE_TITLE

    def show(self, overview: Overview) -> None:
        raise NotImplementedError

    def focus_target(self) -> Widget:
        """What ``]``/``[`` focus: the pane's table when it has one, else the pane."""
        for child in self.query("*"):
            if child.focusable:
                return child
        return self

    def style_of(self, component: str) -> Style:
        """A colour defined in app.tcss for one of this pane's COMPONENT_CLASSES."""
        return self.get_component_rich_style(component, partial=True)
