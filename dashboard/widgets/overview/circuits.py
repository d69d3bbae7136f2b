"""Circuit breakers per provider, as the agent reports them or as derived from requests."""

from __future__ import annotations

import datetime as dt

from rich.style import Style
from textual.app import ComposeResult
from textual.widgets import DataTable

from dashboard import numbers
from dashboard.tables import Cell, Table, number, sync_rows
from ledger.views.circuits import Circuit
from ledger.views.overview import Overview

from ..pane import Pane

# Worst first, so an open circuit is the first row the eye lands on.
STATE_ORDER = {"OPEN": 0, "HALF_OPEN": 1, "CLOSED": 2}
STATE_COMPONENT = {"OPEN": "circuits--open", "HALF_OPEN": "circuits--half-open", "CLOSED": "circuits--closed"}


class CircuitsPane(Pane, can_focus=False):
    PANE_TITLE = "Circuits (15 m)"
    COMPONENT_CLASSES = {"circuits--open", "circuits--half-open", "circuits--closed"}
    DEFAULT_CSS = """
    CircuitsPane > DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        table: DataTable = Table(cursor_type="none", id="circuits-table")
        for label, key in (("provider", "provider"), ("state", "state"), ("since", "since"), ("fail", "failures"),
                           ("429", "rate_limited"), ("req", "requests"), ("last error", "last_error")):
            table.add_column(label, key=key)
        yield table

    def show(self, overview: Overview) -> None:
        table = self.query_one(DataTable)
        circuits = sorted(overview.circuits, key=lambda c: (STATE_ORDER[c.state], c.provider))
        sync_rows(table, {c.provider: self._cells(c, overview.now) for c in circuits})
        table.sort("state", "provider", key=lambda cells: tuple(c.sort_key for c in cells))
        open_count = sum(c.state == "OPEN" for c in overview.circuits)
        self.border_subtitle = f"{open_count} open" if open_count else ""
        self.set_class(open_count > 0, "-open")

    def _cells(self, circuit: Circuit, now: dt.datetime) -> list[Cell]:
        return [*circuit_cells(circuit, now, self.style_of(STATE_COMPONENT[circuit.state])),
                Cell((circuit.last_error or "")[:60])]


def circuit_cells(circuit: Circuit, now: dt.datetime, state_style: Style) -> list[Cell]:
    """provider, state, since, failures, 429s and requests: the columns the Circuits pane and the
    Providers screen share."""
    return [
        Cell(circuit.provider),
        Cell(circuit.state, STATE_ORDER[circuit.state], style=state_style),
        Cell(numbers.clock(circuit.since, now), circuit.since.timestamp() if circuit.since else None),
        number(str(circuit.failures_15m), circuit.failures_15m),
        number(str(circuit.rate_limited_15m), circuit.rate_limited_15m),
        number(str(circuit.requests_15m), circuit.requests_15m),
    ]
