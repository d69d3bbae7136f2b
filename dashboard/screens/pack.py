"""Pack: per workload role, the agents running now against the governor's limit (seed 000 §1.3), who
waits for a slot and who is stuck past the deadlock timeout; the runs open now with how long each has
run; and each pack member's day: runs, requests, tokens, cost."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from dashboard import numbers
from dashboard.tables import Cell, Table, number, sync_rows
from ledger.text import one_line
from ledger.views.overview import Overview
from ledger.views.pack import PackView, RoleLoad

SLOT_CELLS = 6
WIDE_ENOUGH_FOR_SIDE_BY_SIDE = 110
STATE_ORDER = {"stuck": 0, "queued": 1, "long-running": 2, "running": 3}


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class PackScreen(Screen[None]):
    COMPONENT_CLASSES = {"pack--free", "pack--used", "pack--full", "pack--queued", "pack--stuck", "pack--long",
                         "pack--heading"}

    def __init__(self, overview: Callable[[], Overview | None]) -> None:
        super().__init__(id="pack")
        self._overview = overview

    def compose(self) -> ComposeResult:
        yield Static("Pack · agents per role against the governor's limits", id="pack-title")
        yield Static("", id="pack-roles")
        with Horizontal(id="pack-tables"):
            with Vertical(id="pack-runs-box"):
                yield Static("Runs now", classes="pack-heading")
                runs: DataTable = Table(cursor_type="row", id="pack-runs")
                for label, key in (("member", "member"), ("role", "role"), ("state", "state"), ("for", "for"),
                                   ("model", "model")):
                    runs.add_column(label, key=key)
                yield runs
            with Vertical(id="pack-members-box"):
                yield Static("Today per member", classes="pack-heading")
                members: DataTable = Table(cursor_type="row", id="pack-members")
                for label, key in (("member", "member"), ("runs", "runs"), ("req", "requests"),
                                   ("tokens", "tokens"), ("cost", "cost")):
                    members.add_column(label, key=key)
                yield members
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < WIDE_ENOUGH_FOR_SIDE_BY_SIDE, "-narrow")  # the tables stack

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Show the latest overview's pack (the app calls this after each refresh)."""
        view = self._overview()
        if view is None or view.pack is None:
            return
        self.show(view.pack)

    def show(self, pack: PackView) -> None:
        self.query_one("#pack-title", Static).update(
            f"Pack · agents per role against the governor's limits · stuck: queued > {pack.deadlock_timeout:g}s"
            f" · long-running: > {duration(pack.long_running)}")
        self.query_one("#pack-roles", Static).update(self._roles(pack.roles))
        runs = sorted((r for role in pack.roles for r in role.runs),
                      key=lambda r: (STATE_ORDER[r.state], -r.seconds, r.member))
        sync_rows(self.query_one("#pack-runs", DataTable), {
            f"{r.member}\x00{r.session}": [
                Cell(r.member), Cell(r.role), Cell(r.state, STATE_ORDER[r.state], style=self._state_style(r.state)),
                number(duration(r.seconds), r.seconds), Cell(r.model or "—")] for r in runs})
        sync_rows(self.query_one("#pack-members", DataTable), {
            m.member: [Cell(m.member), number(f"{m.runs:,}", m.runs), number(f"{m.requests:,}", m.requests),
                       number(numbers.tokens(m.tokens), m.tokens), number(numbers.usd(m.cost_usd), m.cost_usd)]
            for m in pack.members})

    def _state_style(self, state: str) -> str:
        component = {"stuck": "pack--stuck", "queued": "pack--queued", "long-running": "pack--long"}.get(state)
        return str(self.get_component_rich_style(component)) if component else ""

    def _roles(self, roles: list[RoleLoad]) -> Text:
        text = Text(f"{'role':<13}{'slots':<{SLOT_CELLS + 7}}{'queued':>7}{'stuck':>7}  longest",
                    style=self.get_component_rich_style("pack--heading"))
        for role in roles:
            text.append(f"\n{one_line(role.role)[:12]:<13}")
            cells = role.limit if role.limit is not None else max(role.running, 1)
            used = min(role.running, cells)
            style = self.get_component_rich_style("pack--full" if role.full else "pack--used")
            text.append("█" * min(used, SLOT_CELLS), style=style)
            text.append("░" * max(0, min(cells, SLOT_CELLS) - used), style=self.get_component_rich_style("pack--free"))
            text.append(" " * max(0, SLOT_CELLS - min(cells, SLOT_CELLS)))
            limit = f"/{role.limit}" if role.limit is not None else ""
            text.append(f" {role.running}{limit}".ljust(7))
            text.append(f"{role.queued:>7}", style=self.get_component_rich_style("pack--queued") if role.queued else "")
            text.append(f"{role.stuck:>7}", style=self.get_component_rich_style("pack--stuck") if role.stuck else "")
            longest = max((r.seconds for r in role.runs if r.state in ("running", "long-running")), default=None)
            text.append(f"  {duration(longest) if longest is not None else '—'}")
        return text
