"""Recommendations, most urgent first: what to change, the evidence, the one-key action."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ledger.text import one_line
from ledger.views.overview import Overview
from ledger.views.recommendations import Recommendation

from ..pane import Pane

PRIORITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


class RecommendationsPane(Pane):
    PANE_TITLE = "Recommendations"
    COMPONENT_CLASSES = {
        "recommendations--critical", "recommendations--high", "recommendations--medium", "recommendations--low",
        "recommendations--category", "recommendations--evidence", "recommendations--action",
    }
    DEFAULT_CSS = """
    RecommendationsPane { overflow-y: auto; }
    RecommendationsPane > Static { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("—", id="recommendations-list")

    def show(self, overview: Overview) -> None:
        ordered = sorted(overview.recommendations, key=lambda r: PRIORITY_ORDER[r.priority])
        text = Text()
        for index, rec in enumerate(ordered):
            if index:
                text.append("\n")
            text.append_text(self._item(rec))
        if not ordered:
            text = Text("Nothing to change right now.", style=self.style_of("recommendations--evidence"))
        self.query_one("#recommendations-list", Static).update(text)
        self.border_subtitle = f"{len(ordered)}" if ordered else ""

    def _item(self, rec: Recommendation) -> Text:
        text = Text()
        text.append(f"[{rec.priority}]", style=self.style_of(f"recommendations--{rec.priority.lower()}"))
        text.append(f" {rec.category} ", style=self.style_of("recommendations--category"))
        text.append(one_line(rec.message))
        if rec.evidence:
            text.append(f"\n  {one_line(rec.evidence)}", style=self.style_of("recommendations--evidence"))
        if rec.action is not None:
            text.append(f"\n  → {one_line(rec.action.label)}", style=self.style_of("recommendations--action"))
        return text
