"""Context growth: the sessions of the last week (↑↓ picks one) and, for the chosen one, the prompt
each request sent (seed 002: the history piles up request after request), its provider's input
budget, and each compaction marked with the tokens it saved."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from dashboard import numbers
from dashboard.data import StoreReader
from dashboard.messages import GrowthReady, SessionsReady
from dashboard.tables import Cell, Table, number, sync_rows
from dashboard.worker_errors import NotifiesWorkerErrors
from ledger.text import one_line
from ledger.views.context import ContextGrowth, context_growth, recent_sessions


class GrowthChart(PlotextPlot):
    def show(self, growth: ContextGrowth) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title("prompt tokens per request")
        if not growth.points:
            plt.title("no requests with a prompt in this session")
            self.refresh()
            return
        xs = [p.n for p in growth.points]
        plt.plot(xs, [p.prompt_tokens for p in growth.points], color="cyan", marker="braille")
        top = max([p.prompt_tokens for p in growth.points] + ([growth.budget] if growth.budget else []))
        if growth.budget:
            plt.hline(growth.budget, color="red")
        for c in growth.compactions:
            plt.vline(c.after_request + 0.5, color="orange")
        plt.ylim(0, top * 1.05)
        plt.yticks([0, top / 2, top], ["0", numbers.tokens(top / 2), numbers.tokens(top)])
        last = max(xs[-1], 2)
        plt.xlim(1, last)
        ticks = sorted({1, (1 + last) // 2, last})
        plt.xticks(ticks, [f"#{t}" for t in ticks])
        self.refresh()


class ContextScreen(NotifiesWorkerErrors, Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", tooltip="Back where you came from", id="context-back")]

    def __init__(self, reader: StoreReader, session: str | None = None) -> None:
        super().__init__(id="context")
        self._reader = reader
        self._selected = session
        self.growth: ContextGrowth | None = None

    def compose(self) -> ComposeResult:
        yield Static("Context growth · sessions of the last 7 days · ↑↓ picks one", id="context-title")
        with Horizontal(id="context-body"):
            table: DataTable = Table(cursor_type="row", id="context-sessions")
            for label, key in (("session", "session"), ("req", "requests"), ("last", "last"), ("peak", "peak")):
                table.add_column(label, key=key)
            yield table
            with Vertical(id="context-detail"):
                yield Static("", id="context-heading")
                yield GrowthChart(id="context-chart")
                yield Static("", id="context-compactions")
        yield Footer()

    def on_mount(self) -> None:
        if self._reader.ready:
            self._load_sessions(self._reader.clock())

    @work(thread=True, exclusive=True, group="context-sessions", exit_on_error=False)
    def _load_sessions(self, now: dt.datetime) -> None:
        with self._reader.cursor() as cursor:
            if cursor is None:
                return
            self.post_message(SessionsReady(recent_sessions(cursor, now)))

    @work(thread=True, exclusive=True, group="context-growth", exit_on_error=False)
    def _load_growth(self, session: str, now: dt.datetime) -> None:
        budgets = self._reader.settings().input_budgets
        with self._reader.cursor() as cursor:
            if cursor is None:
                return
            self.post_message(GrowthReady(context_growth(cursor, session, now, budgets)))

    def on_sessions_ready(self, message: SessionsReady) -> None:
        table = self.query_one(DataTable)
        sync_rows(table, {s.session: [Cell(s.session[:20], s.session), number(f"{s.requests:,}", s.requests),
                                      number(numbers.tokens(s.last_prompt), s.last_prompt),
                                      number(numbers.tokens(s.peak_prompt), s.peak_prompt)]
                          for s in message.sessions})
        keys = [s.session for s in message.sessions]
        if self._selected not in keys and keys:
            self._selected = keys[0]
        if self._selected in keys:
            table.move_cursor(row=keys.index(self._selected), animate=False)
            self._load_growth(self._selected, self._reader.clock())
        else:
            self.query_one("#context-heading", Static).update("no sessions in the last 7 days")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None and key != self._selected:
            self._selected = key
            self._load_growth(key, self._reader.clock())

    def on_growth_ready(self, message: GrowthReady) -> None:
        if message.growth.session != self._selected:
            return  # a slower answer for a session the cursor has left (a thread worker is not stopped)
        growth = self.growth = message.growth
        points = growth.points
        heading = Text(f"{one_line(growth.session)} ", style="bold")
        if points:
            heading.append(f"{len(points)} requests · {numbers.tokens(points[0].prompt_tokens)} → "
                           f"{numbers.tokens(points[-1].prompt_tokens)} tokens", style="")
        if growth.budget:
            over = growth.first_over(growth.budget)
            heading.append(f" · {one_line(growth.provider or '')} budget {numbers.tokens(growth.budget)}"
                           + (f", reached at request #{over}" if over else ""), style="dim")
        self.query_one("#context-heading", Static).update(heading)
        self.query_one(GrowthChart).show(growth)
        self.query_one("#context-compactions", Static).update(self._compactions(growth))

    def _compactions(self, growth: ContextGrowth) -> Text:
        legend = Text("red: the input budget · orange: a compaction\n", style="dim") if growth.budget else Text()
        if not growth.compactions:
            return legend.append("no compaction in this session", style="dim")
        text = legend.append(f"{len(growth.compactions)} compaction(s), {numbers.tokens(growth.saved)} tokens saved: ",
                             style="bold")
        parts = []
        for c in growth.compactions:
            saved = f"−{numbers.tokens(c.saved)}" if c.saved is not None else "saved unknown"
            derived = " (seen in the prompts)" if c.source == "derived" else ""
            parts.append(f"after #{c.after_request} {saved}{derived}")
        text.append(" · ".join(parts))
        return text
