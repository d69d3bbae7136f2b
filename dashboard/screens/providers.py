"""Providers: each provider's circuit, the states it went through, failures and 429s over time,
probe latency and the last error, for the last hour."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from dashboard import numbers
from dashboard.data import StoreReader
from dashboard.messages import ProvidersReady
from dashboard.tables import Cell, Table, number, sync_rows
from dashboard.widgets.overview.circuits import STATE_COMPONENT, STATE_ORDER, circuit_cells
from dashboard.widgets.providers.latency_chart import LatencyChart
from dashboard.widgets.providers.outcome_chart import OutcomeChart
from dashboard.widgets.providers.state_timeline import StateTimeline
from dashboard.worker_errors import NotifiesWorkerErrors
from ledger.text import one_line
from ledger.views.providers import ProviderHealth, ProvidersView, providers_view


class ProvidersScreen(NotifiesWorkerErrors, Screen[None]):
    COMPONENT_CLASSES = {"circuits--open", "circuits--half-open", "circuits--closed"}

    def __init__(self, reader: StoreReader) -> None:
        super().__init__(id="providers")
        self._reader = reader
        self.view: ProvidersView | None = None
        self._selected: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Providers · last 60 min · ↑↓ picks a provider", id="providers-title")
        table: DataTable = Table(cursor_type="row", id="providers-table")
        for label, key in (("provider", "provider"), ("state", "state"), ("since", "since"), ("src", "source"),
                           ("fail", "failures"), ("429", "rate_limited"), ("req", "requests"),
                           ("probes", "probes"), ("p50 ms", "probe_p50")):
            table.add_column(label, key=key)
        yield table
        with Vertical(id="provider-detail"):
            yield Static("", id="provider-heading")
            yield StateTimeline(id="provider-timeline")
            with Horizontal(id="provider-charts"):
                yield OutcomeChart(id="provider-outcomes")
                yield LatencyChart(id="provider-latency")
            yield Static("", id="provider-last-error")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Recompute in a thread worker; the app calls this after each refresh."""
        if self._reader.ready:
            self._load(self._reader.clock())

    @work(thread=True, exclusive=True, group="providers", exit_on_error=False)
    def _load(self, now: dt.datetime) -> None:
        with self._reader.cursor() as cursor:
            if cursor is None:
                return
            view = providers_view(cursor, now)
        self.post_message(ProvidersReady(view))

    def on_providers_ready(self, message: ProvidersReady) -> None:
        self.view = message.view
        table = self.query_one(DataTable)
        providers = sorted(message.view.providers, key=lambda p: (STATE_ORDER[p.circuit.state], p.circuit.provider))
        sync_rows(table, {p.circuit.provider: self._cells(p, message.view.now) for p in providers})
        table.sort("state", "provider", key=lambda cells: tuple(c.sort_key for c in cells))
        if self._selected is None and providers:
            self._selected = providers[0].circuit.provider
        self._show_selected()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._selected = event.row_key.value
            self._show_selected()

    def _cells(self, p: ProviderHealth, now: dt.datetime) -> list[Cell]:
        c = p.circuit
        shared = circuit_cells(c, now, self.get_component_rich_style(STATE_COMPONENT[c.state]))
        return [
            *shared[:3], Cell(c.source), *shared[3:],
            number(str(c.probes_15m), c.probes_15m),
            number(f"{p.probe_p50_ms:,.0f}" if p.probe_p50_ms is not None else "—", p.probe_p50_ms),
        ]

    def _show_selected(self) -> None:
        view = self.view
        chosen = next((p for p in view.providers if p.circuit.provider == self._selected), None) if view else None
        detail = self.query_one("#provider-detail")
        detail.display = chosen is not None
        if view is None or chosen is None:
            return
        c = chosen.circuit
        heading = Text(f"{one_line(c.provider)} ", style="bold")
        heading.append(c.state, style=self.get_component_rich_style(STATE_COMPONENT[c.state]))
        heading.append(" ")
        heading.append(f"since {numbers.clock(c.since, view.now)} · "
                       f"{'from the agent' if c.source == 'agent' else 'from requests and probes'}", style="dim")
        self.query_one("#provider-heading", Static).update(heading)
        self.query_one(StateTimeline).show(chosen.timeline, view.start, view.now)
        self.query_one(OutcomeChart).show(view, chosen)
        self.query_one(LatencyChart).show(view, chosen)
        last = Text("last error: ", style="bold")
        last.append(one_line(c.last_error) or "none in the last hour", style="" if c.last_error else "dim")
        self.query_one("#provider-last-error", Static).update(last)
