"""The Spend screen: the last 30 or 90 days as a table and a chart against the daily budget, month
to date and its forecast, the previous period, a selected day's breakdown and the most expensive
sessions. Reached with ``$`` from the overview; yesterday's spend is ``$``, ``↓``, ``enter``."""

from __future__ import annotations

import datetime as dt

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from dashboard.data import StoreReader
from dashboard.messages import DayBreakdownReady, SpendReviewReady
from dashboard.widgets.spend.day_breakdown import DayBreakdownPane
from dashboard.widgets.spend.spend_chart import SpendChart
from dashboard.widgets.spend.spend_days import SpendDaysTable
from dashboard.widgets.spend.spend_summary import SpendSummary
from dashboard.widgets.spend.top_sessions import TopSessionsPane
from dashboard.worker_errors import NotifiesWorkerErrors
from ledger.views import spend
from ledger.views.spend import SpendReview

RANGES = (30, 90)


class SpendScreen(NotifiesWorkerErrors, Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the overview", id="spend-back"),
        Binding("d", "toggle_range", "30/90 days", tooltip="Show the last 30 or the last 90 days", id="spend-range"),
        Binding("e", "export", "Export", tooltip="Write a report file (HTML, Markdown, CSV, JSON, Parquet)",
                id="export"),
        Binding("g", "open_context", "Context", show=False,
                tooltip="Context growth of the most expensive session (↑↓ there picks another)", id="spend-context"),
    ]

    days: reactive[int] = reactive(30, init=False)

    def __init__(self, reader: StoreReader) -> None:
        super().__init__(id="spend")
        self._reader = reader
        self.review: SpendReview | None = None
        self.reviews_shown = 0
        """How many reviews reached the screen; tests wait on it."""
        self.breakdowns_shown = 0
        self.breakdown_day: str | None = None

    def compose(self) -> ComposeResult:
        yield SpendSummary("loading spend…", id="spend-summary")
        with Horizontal(id="spend-top"):
            yield SpendDaysTable(id="spend-days")
            yield SpendChart(id="spend-chart")
        with Horizontal(id="spend-bottom"):
            yield DayBreakdownPane(id="spend-breakdown")
            yield TopSessionsPane(id="spend-sessions")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self._reload, init=False)
        self.query_one(SpendDaysTable).focus()
        self._reload()

    def _reload(self, _version: int = 0) -> None:
        self._load_review(self.days)

    def watch_days(self, _days: int) -> None:
        self._reload()

    # -- workers: DuckDB off the UI thread, results back as messages ------------------------

    @work(thread=True, exclusive=True, group="spend", exit_on_error=False)
    def _load_review(self, days: int) -> None:
        with self._reader.cursor() as cur:
            if cur is None:
                return  # no store yet: the first refresh bumps data_version and we come back
            review = spend.review(cur, self._reader.settings(), self._reader.clock(), days)
        self.post_message(SpendReviewReady(review))

    @work(thread=True, exclusive=True, group="spend-day", exit_on_error=False)
    def _load_day(self, day: dt.date) -> None:
        with self._reader.cursor() as cur:
            if cur is None:
                return
            breakdown = spend.day_breakdown(cur, day, self._reader.zone)
        self.post_message(DayBreakdownReady(breakdown))

    # -- showing ---------------------------------------------------------------------------

    def on_spend_review_ready(self, message: SpendReviewReady) -> None:
        review = message.review
        self.review = review
        table = self.query_one(SpendDaysTable)
        with self.app.batch_update():
            self.query_one(SpendSummary).show(review)
            table.show(review)
            self.query_one(SpendChart).show(review, table.selected_day())
            self.query_one(TopSessionsPane).show_review(review)
        self._select(table.selected_day())  # a refresh updates the day shown too
        self.reviews_shown += 1

    def on_day_breakdown_ready(self, message: DayBreakdownReady) -> None:
        self.query_one(DayBreakdownPane).show_day(message.breakdown)
        self.breakdowns_shown += 1

    def _select(self, day: str | None) -> None:
        if day is None:
            return
        self.breakdown_day = day
        if self.review is not None:
            self.query_one(SpendChart).show(self.review, day)
        self._load_day(dt.date.fromisoformat(day))

    @on(DataTable.RowHighlighted, "#spend-days")
    @on(DataTable.RowSelected, "#spend-days")
    def _day_chosen(self, event: DataTable.RowHighlighted | DataTable.RowSelected) -> None:
        if event.row_key.value != self.breakdown_day or isinstance(event, DataTable.RowSelected):
            self._select(event.row_key.value)

    # -- actions ---------------------------------------------------------------------------

    def action_toggle_range(self) -> None:
        self.days = RANGES[(RANGES.index(self.days) + 1) % len(RANGES)]

    def action_open_context(self) -> None:
        from dashboard.screens.context import ContextScreen

        top = self.review.top_sessions if self.review else []
        self.app.push_screen(ContextScreen(self._reader, top[0].session if top else None))

    def action_export(self) -> None:
        from dashboard.screens.export import ExportModal

        today = self._reader.today()
        self.app.push_screen(ExportModal(self._reader, today - dt.timedelta(days=self.days - 1), today))
