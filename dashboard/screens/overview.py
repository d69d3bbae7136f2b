"""The overview: six panes in a grid that reflows with the terminal size."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer

from dashboard.data import StoreReader
from dashboard.widgets.overview.burn_rate import BurnRatePane
from dashboard.widgets.overview.cache import CachePane
from dashboard.widgets.overview.circuits import CircuitsPane
from dashboard.widgets.overview.controls_strip import ControlsStrip
from dashboard.widgets.overview.health_bar import HealthBar
from dashboard.widgets.overview.pack_line import PackLine
from dashboard.widgets.overview.quota import QuotaPane
from dashboard.widgets.overview.rankings import RankingsPane
from dashboard.widgets.overview.recommendations import RecommendationsPane
from dashboard.widgets.overview.spend_today import SpendPane
from dashboard.widgets.pane import Pane
from ledger.control.model import ControlState
from ledger.control.status import ChangeStatus
from ledger.views.overview import Overview

COMPACT_MAX_WIDTH = 60  # at or below: key numbers only, panes stacked
WIDE_MIN_SIZE = (110, 32)  # at or above: all six panes on one screen, no scrolling


class OverviewScreen(Screen[None]):
    # ]/[ move between screens (app bindings); tab and shift+tab between these panes.
    BINDINGS = [
        Binding("tab", "focus_pane(1)", "Next pane", show=False, tooltip="Focus the next pane", id="next-pane"),
        Binding("shift+tab", "focus_pane(-1)", "Previous pane", show=False, tooltip="Focus the previous pane",
                id="previous-pane"),
        Binding("s", "cycle_sort", "Sort", show=False, tooltip="Sort the model rankings by the next column",
                id="sort"),
        Binding("dollar_sign", "open_spend", "Spend", key_display="$",
                tooltip="Daily spend review: 30/90 days, a day's breakdown, forecast, export", id="spend"),
        Binding("g", "open_context", "Context", show=False,
                tooltip="Context growth per session (the one a recommendation names first)", id="context"),
    ]

    def __init__(self, reader: StoreReader, latest: Callable[[], Overview | None], *, live: bool = True,
                 demo: bool = False) -> None:
        """``latest``: the newest overview, shown again when the screen comes back; ``reader`` for the
        Spend screen it opens."""
        super().__init__(id="overview")
        self._reader = reader
        self._clock = reader.clock
        self._latest = latest
        self._live = live
        self._demo = demo

    def compose(self) -> ComposeResult:
        yield HealthBar(self._clock, live=self._live, demo=self._demo, id="health-bar")
        yield ControlsStrip(id="controls-strip")
        yield PackLine(id="pack-line")
        with VerticalScroll(id="panes"):
            yield BurnRatePane(id="burn")
            yield SpendPane(id="spend")
            # Grid cells are placed in this order and a span never wraps to the next row, so this
            # order must suit every layout in app.tcss.
            yield CachePane(id="cache")
            yield CircuitsPane(id="circuits")
            yield QuotaPane(id="quota")
            yield RankingsPane(id="rankings")
            yield RecommendationsPane(id="recommendations")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(True, "-no-quota")  # until an overview says otherwise
        self.watch(self.app, "paused", self._show_paused)

    def on_screen_resume(self) -> None:
        overview = self._latest()
        if overview is not None:  # back from another screen: show what arrived meanwhile
            self.show(overview)

    def _show_paused(self, paused: bool) -> None:
        self.query_one(HealthBar).paused = paused

    def show(self, overview: Overview) -> None:
        # The Quota pane takes a row only while some agent has a window (most ledgers have none).
        self.set_class(not overview.quota, "-no-quota")
        with self.app.batch_update():
            self.query_one(HealthBar).show(overview)
            self.query_one(PackLine).show(overview.pack)
            for pane in self.query(Pane):
                pane.show(overview)

    def show_controls(self, state: ControlState, statuses: list[ChangeStatus]) -> None:
        self.query_one(ControlsStrip).show(state, statuses)
        self.query_one(HealthBar).show_review_only(state.controls.review_only)

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        self.set_class(width <= COMPACT_MAX_WIDTH, "-compact")
        self.set_class(width >= WIDE_MIN_SIZE[0] and height >= WIDE_MIN_SIZE[1], "-wide")

    def action_focus_pane(self, step: int) -> None:
        panes = [pane for pane in self.query(Pane) if pane.display]
        current = next((i for i, pane in enumerate(panes) if self.focused in (pane, *pane.query("*"))), -1)
        if current == -1 and step < 0:
            current = 0
        target = panes[(current + step) % len(panes)]
        target.focus_target().focus()
        target.scroll_visible()

    def action_open_spend(self) -> None:
        from dashboard.screens.spend import SpendScreen

        self.app.push_screen(SpendScreen(self._reader))

    def action_open_context(self) -> None:
        from dashboard.screens.context import ContextScreen

        view = self._latest()
        named = [r.action.target for r in (view.recommendations if view else [])
                 if r.action is not None and r.action.kind == "compact" and r.action.target]
        self.app.push_screen(ContextScreen(self._reader, named[0] if named else None))

    def action_cycle_sort(self) -> None:
        self.query_one(RankingsPane).cycle_sort()
