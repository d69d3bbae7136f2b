"""Events: the agent event log and Code Puppy's errors, newest first, filtered by kind, agent
program, subagent and provider, and searched as you type."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static

from dashboard.data import StoreReader
from dashboard.messages import EventsReady
from dashboard.tables import Cell, Table
from dashboard.worker_errors import NotifiesWorkerErrors
from ledger.text import one_line
from ledger.views.events import LIMIT, EventFacets, event_facets, event_log

FILTERS = {"kind": "filter-kind", "agent": "filter-agent", "subagent": "filter-subagent", "provider": "filter-provider"}


class EventsScreen(NotifiesWorkerErrors, Screen[None]):
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/", tooltip="Type to search the events",
                id="search-events"),
        Binding("escape", "clear_filters", "Clear", tooltip="Clear the filters and the search", id="clear-filters"),
    ]

    def __init__(self, reader: StoreReader) -> None:
        super().__init__(id="events")
        self._reader = reader
        self.facets: EventFacets | None = None
        self.shown = 0
        """How many loads reached the table; tests wait on it."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="event-filters"):
            for name, widget_id in FILTERS.items():
                yield Select[str]([], prompt=f"any {name}", id=widget_id)
            yield Input(placeholder="search (/)", id="event-search")
        table: DataTable = Table(cursor_type="row", id="events-table", zebra_stripes=True)
        for label in ("time", "kind", "agent", "subagent", "provider", "model", "detail"):
            table.add_column(label, key=label)
        yield table
        yield Static("", id="events-count")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def filters(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {}
        for name, widget_id in FILTERS.items():
            value = self.query_one(f"#{widget_id}", Select).value
            chosen[name] = None if value == Select.NULL else value
        chosen["search"] = self.query_one("#event-search", Input).value
        return chosen

    def reload(self, *, facets: bool = True) -> None:
        """Load the log again; ``facets``: also the values each filter offers (not needed when
        only the filters changed)."""
        if self._reader.ready:
            self._load(self.filters(), facets or self.facets is None)

    @work(thread=True, exclusive=True, group="events", exit_on_error=False)
    def _load(self, filters: dict[str, Any], with_facets: bool) -> None:
        with self._reader.cursor() as cursor:
            if cursor is None:
                return
            events = event_log(cursor, **filters)
            facets = event_facets(cursor) if with_facets else self.facets
        self.post_message(EventsReady(events, facets))

    @on(Select.Changed)
    @on(Input.Changed, "#event-search")
    def _filters_changed(self) -> None:
        self.reload(facets=False)

    def on_events_ready(self, message: EventsReady) -> None:
        if message.facets != self.facets:
            self.facets = message.facets
            for name, widget_id in FILTERS.items():
                select = self.query_one(f"#{widget_id}", Select)
                current = select.value
                options = getattr(message.facets, name + "s")
                with select.prevent(Select.Changed):
                    select.set_options([(v, v) for v in options])
                    if current != Select.NULL and current in options:
                        select.value = current
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            zone = self._reader.zone
            today = self._reader.today()
            for i, row in enumerate(message.events.iter_rows(named=True)):
                ts: dt.datetime = row["ts"].astimezone(zone)
                when = f"{ts:%H:%M:%S}" if ts.date() == today else f"{ts:%d %b %H:%M}"
                table.add_row(when, *(Cell(one_line(row[k] or "", 200)) for k in ("kind", "agent", "subagent",
                                                                                  "provider", "model", "summary")),
                              key=str(i))
        total = message.facets.total
        count = message.events.height
        more = f" (newest {LIMIT})" if count == LIMIT else ""
        self.query_one("#events-count", Static).update(f"{count:,} of {total:,} events{more}")
        self.shown += 1

    def action_focus_search(self) -> None:
        self.query_one("#event-search", Input).focus()

    def action_clear_filters(self) -> None:
        for widget_id in FILTERS.values():
            self.query_one(f"#{widget_id}", Select).clear()
        self.query_one("#event-search", Input).value = ""
        self.query_one(DataTable).focus()
