"""The packwatch dashboard: a refresh chain feeding the overview screen.

Refreshes never overlap (Dolphie's rule): the next one is armed only when the last one finished.
They are asked for by a file change (an async ``watchfiles`` worker), a slow timer (so sliding
windows move), or ctrl+r; while paused nothing refreshes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState
from watchfiles import awatch

from collectors.tail import CatchUp, catch_up
from ledger import insights
from ledger.overview import Overview
from ledger.settings import Settings, default_config_path
from ledger.store import Store, StoreBusy, StoreError

from .commands import BindingCommands
from .ledger_watch import LedgerChanges
from .messages import OverviewReady
from .screens.empty import EmptyScreen
from .screens.help import HelpModal
from .screens.overview import OverviewScreen

SLOW_REFRESH_SECONDS = 15.0  # sliding windows move even when no line arrives; idle stays under 1% CPU
WATCH_STEP_MS = 50  # how long a burst of writes may settle: keeps append -> screen well under 250 ms


class PackwatchApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "packwatch"
    COMMANDS = App.COMMANDS | {BindingCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key", id="help"),
        Binding("p", "toggle_pause", "Pause", tooltip="Stop refreshing until pressed again", id="pause"),
        Binding("ctrl+r", "refresh_now", "Refresh", tooltip="Read new ledger lines and recompute now",
                id="refresh"),
        Binding("q", "quit", "Quit", tooltip="Leave packwatch (the agent is not affected)", id="quit"),
    ]

    paused: reactive[bool] = reactive(False, init=False)
    data_version: reactive[int] = reactive(0, init=False)
    """Bumped when a refresh brought new numbers; screens beyond the overview (Spend) watch it."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] | None = None,
                 live: bool = True) -> None:
        super().__init__()
        self.settings = settings
        zone = ZoneInfo(settings.timezone)
        self.clock: Callable[[], dt.datetime] = clock or (lambda: dt.datetime.now(zone))
        self.live = live
        self.store: Store | None = None
        self.store_problem: str | None = None
        self.overview: Overview | None = None
        self.overviews_shown = 0
        """How many overviews reached the screen; tests and screenshots wait on it."""
        self._refreshing = False
        self._pending: bool | None = None  # a refresh asked for while one ran; True = forced
        self._last_overview_at = float("-inf")
        self._reported_errors: set[str] = set()
        self._changes = LedgerChanges(settings.ledgers)
        config_path = getattr(settings, "_config_path", None) or default_config_path()
        self.add_mode("overview", lambda: OverviewScreen(self.clock, live=self.live))
        self.add_mode("empty", lambda: EmptyScreen(self.settings.ledgers, config_path))

    # -- life cycle ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.switch_mode("overview")
        self.request_refresh(force=True)
        if self.live:
            self.set_interval(SLOW_REFRESH_SECONDS, self._slow_tick)
            self._watch_ledgers(self._changes)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()

    def _slow_tick(self) -> None:
        if self._changes.stale():
            self._changes = LedgerChanges(self.settings.ledgers)
            self._watch_ledgers(self._changes)
        self.request_refresh()

    # -- the refresh chain ---------------------------------------------------------------------

    def request_refresh(self, *, force: bool = False) -> None:
        """Refresh now, or right after the running refresh ends; never two at once."""
        if self.paused:
            return
        if self.store_problem is not None and not force:
            return  # an unopenable store is retried only when asked (ctrl+r)
        if self._refreshing:
            self._pending = bool(self._pending) or force
            return
        self._refreshing = True
        self._refresh(force)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresh(self, force: bool) -> None:
        if self.store is None:
            self.store = self._open_store()
        result = catch_up(self.store, self.settings.ledgers)
        quiet = not result.rows and not result.rejected
        if quiet and not force and time.monotonic() - self._last_overview_at < SLOW_REFRESH_SECONDS:
            self.post_message(OverviewReady(None, result))
            return
        cursor = self.store.cursor()
        try:
            overview = insights.overview(cursor, self.settings, self.clock())
        finally:
            cursor.close()
        self._last_overview_at = time.monotonic()
        self.post_message(OverviewReady(overview, result))

    def _open_store(self) -> Store:
        """Runs in the refresh worker. A store held by ``packwatch collect`` is not an error: the
        store is only a derived index, so this session reads the ledgers into memory instead."""
        try:
            store = Store.open(self.settings)
        except StoreBusy as exc:
            self.call_from_thread(self.notify, f"{exc}; reading the ledgers into memory instead",
                                  severity="warning", timeout=10)
            store = Store.open(self.settings, memory=True)
        self.store_problem = None
        return store

    def on_overview_ready(self, message: OverviewReady) -> None:
        self._report_catch_up(message.catch_up)
        if message.overview is None:
            return
        self.overview = message.overview
        if self._nothing_to_show(message.overview, message.catch_up):
            self._show_empty(None)
        else:
            if self.current_mode != "overview":
                self.switch_mode("overview")
            self._overview_screen().show(message.overview)
        self.overviews_shown += 1
        self.data_version += 1

    def _nothing_to_show(self, overview: Overview, result: CatchUp) -> bool:
        all_missing = len(result.missing) == len(self.settings.ledgers)
        return overview.last_seen is None and all_missing

    def _overview_screen(self) -> OverviewScreen:
        base = self.screen_stack[0]  # the mode's own screen, under any open modal
        assert isinstance(base, OverviewScreen)
        return base

    def _show_empty(self, problem: str | None) -> None:
        if self.current_mode != "empty":
            self.switch_mode("empty")
        base = self.screen_stack[0]
        assert isinstance(base, EmptyScreen)
        base.show_problem(problem)

    def _report_catch_up(self, result: CatchUp) -> None:
        for error in result.errors:
            if error not in self._reported_errors:  # once per problem, not once per refresh
                self._reported_errors.add(error)
                self.notify(f"cannot read {error}", severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures arrive: a notification, never a crash."""
        worker = event.worker
        if event.state == WorkerState.ERROR:
            error = worker.error
            if isinstance(error, StoreError):
                self.store_problem = str(error)
                self.notify(f"{error}", severity="error", timeout=15)
                self._show_empty(str(error))
            else:
                self.notify(f"{worker.group} failed: {type(error).__name__}: {error}", severity="error",
                            timeout=10)
        if worker.group == "refresh" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                         WorkerState.CANCELLED):
            self._refreshing = False
            if self._pending is not None:
                force, self._pending = self._pending, None
                self.request_refresh(force=force)

    # -- following the ledgers -----------------------------------------------------------------

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _watch_ledgers(self, changes: LedgerChanges) -> None:
        async for _batch in awatch(*changes.roots, watch_filter=changes, recursive=changes.recursive,
                                   debounce=1000, step=WATCH_STEP_MS):
            self.request_refresh()

    # -- actions -------------------------------------------------------------------------------

    def watch_paused(self, paused: bool) -> None:
        if not paused:
            self.request_refresh(force=True)  # catch up on whatever arrived meanwhile

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.notify("paused: press p to resume" if self.paused else "resumed", timeout=2)

    def action_refresh_now(self) -> None:
        if self.paused:
            self.notify("paused: press p to resume", severity="warning", timeout=2)
            return
        self.store_problem = None
        self.request_refresh(force=True)

    def action_help(self) -> None:
        keys = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id and binding.description:
                keys.append((binding.key_display or self.get_key_display(binding), binding.description,
                             binding.tooltip))
        self.push_screen(HelpModal(keys))
