"""The key list, built from the live bindings so it can never drift from what the keys do."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", tooltip="Close the help", id="close-help"),
        Binding("question_mark", "dismiss", "Close", key_display="?", show=False, id="close-help-again"),
    ]

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        """``keys``: (key as shown, what it does, longer explanation)."""
        super().__init__(id="help")
        self._keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(self._text(), id="help-keys")
            yield Static("escape closes · ctrl+p searches every action", id="help-hint")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "Keys"

    def _text(self) -> Text:
        width = max((len(key) for key, _, _ in self._keys), default=1)
        text = Text()
        for index, (key, description, tooltip) in enumerate(self._keys):
            if index:
                text.append("\n")
            text.append(f"{key:>{width}}  ", style="bold")
            text.append(description)
            if tooltip and tooltip != description:
                text.append(f" — {tooltip}", style="dim")
        return text
