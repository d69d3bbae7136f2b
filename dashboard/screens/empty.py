"""No ledger yet: where packwatch looked, and how to give it one."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static


class EmptyScreen(Screen[None]):
    def __init__(self, looked_at: list[Path], config_path: Path) -> None:
        super().__init__(id="empty")
        self._looked_at = looked_at
        self._config_path = config_path
        self._problem: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(), Center():
            yield Static(self._text(), id="empty-text")
        yield Footer()

    def show_problem(self, problem: str | None) -> None:
        """A store that could not be opened, said above the usual advice."""
        self._problem = problem
        if self.is_mounted:
            self.query_one("#empty-text", Static).update(self._text())

    def _text(self) -> Text:
        text = Text()
        text.append("packwatch — no usage ledger yet\n\n", style="bold")
        if self._problem:
            text.append(f"{self._problem}\n\n", style="bold red")
        text.append("Looked for ledgers at:\n")
        for path in self._looked_at:
            state = "folder" if path.is_dir() else "file" if path.exists() else "missing"
            text.append(f"  {path}  ", style="bold")
            text.append(f"({state})\n", style="dim")
        text.append("\nTo start:\n")
        for command, why in (
            ("packwatch demo", "a simulated agent pack: no keys, no network"),
            ("packwatch --ledger PATH", "a usage.jsonl file, or a folder holding usage*.jsonl"),
            (f"ledgers = [\"PATH\"] in {self._config_path}", "to make it the default"),
        ):
            text.append(f"  {command}\n", style="bold")
            text.append(f"      {why}\n", style="dim")
        text.append("\nThe overview appears as soon as the agent writes its first line.")
        return text
