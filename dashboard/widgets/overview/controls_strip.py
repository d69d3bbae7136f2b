"""One line under the header: each control's latest change and whether the agent applied it."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import Static

from ledger.control.model import ControlState
from ledger.control.status import ChangeStatus
from ledger.text import one_line

STATE_MARK = {"pending": "… pending", "applied": "✓ applied", "refused": "✗ refused", "superseded": "superseded"}


def describe(status: ChangeStatus) -> str:
    change = status.change
    subject = change.key.partition(":")[2]
    new = change.new
    if change.action == "review-only":
        return f"review-only {'on' if new else 'off'}"
    if change.action == "failover":
        return f"failover {subject} → {new}" if new else f"failover {subject} cleared"
    if change.action == "compact":
        return "compaction"
    if change.action == "budget":
        if not new:
            return f"budget {subject} cleared"
        parts = [f"${new['daily_usd']:g}/day" if new.get("daily_usd") is not None else "",
                 f"${new['monthly_usd']:g}/mo" if new.get("monthly_usd") is not None else "",
                 f"{new['daily_tokens']:,} tok/day" if new.get("daily_tokens") is not None else "",
                 f"${new['hourly_usd']:g}/h" if new.get("hourly_usd") is not None else "",
                 f"${new['task_usd']:g}/task" if new.get("task_usd") is not None else "",
                 f"{new['task_tokens']:,} tok/task" if new.get("task_tokens") is not None else ""]
        return f"budget {subject} {' '.join(p for p in parts if p)}"
    return f"{change.action} {json.dumps(new)}"


class ControlsStrip(Static):
    COMPONENT_CLASSES = {"controls--pending", "controls--applied", "controls--refused", "controls--superseded",
                         "controls--warning"}
    DEFAULT_CSS = "ControlsStrip { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }"

    def show(self, state: ControlState, statuses: list[ChangeStatus]) -> None:
        latest: dict[str, ChangeStatus] = {}
        for status in statuses:  # newest first: keep each control's latest change
            latest.setdefault(status.change.key, status)
        text = Text()
        if state.warning:
            text.append("control.json unreadable: defaults shown  ", style=self.get_component_rich_style(
                "controls--warning", partial=True))
        for index, status in enumerate(latest.values()):
            if index:
                text.append(" · ")
            text.append(one_line(describe(status)) + " ")
            mark = STATE_MARK[status.state] + (f": {status.reason}" if status.reason else "")
            text.append(mark, style=self.get_component_rich_style(f"controls--{status.state}", partial=True))
        self.update(text)
        self.display = bool(latest) or bool(state.warning)
