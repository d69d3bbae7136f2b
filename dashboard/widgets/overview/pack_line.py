"""One line on the overview while the pack records runs: per role, the agents running against the
governor's limit, who is queued, and how many are stuck (``k`` opens the Pack view)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ledger.text import one_line
from ledger.views.pack import PackView


class PackLine(Static):
    COMPONENT_CLASSES = {"pack-line--stuck", "pack-line--hint"}
    DEFAULT_CSS = "PackLine { height: 1; text-wrap: nowrap; text-overflow: ellipsis; padding: 0 1; }"

    def on_mount(self) -> None:
        self.display = False

    def show(self, pack: PackView | None) -> None:
        self.display = pack is not None and pack.seen
        if not self.display or pack is None:
            return
        text = Text(one_line(pack.line()))
        text.highlight_regex(r"\d+ stuck", self.get_component_rich_style("pack-line--stuck"))
        text.append("  (k: pack)", style=self.get_component_rich_style("pack-line--hint"))
        self.update(text)
