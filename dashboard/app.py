"""The packwatch dashboard: its modes, and what a finished refresh routes to the screens.

The parts live beside it, one job each: ``bindings`` (the keys), ``refresh_chain`` (one headless
refresh at a time, worker failures), ``watching`` (file watches and the slow tick), ``probing``
(provider health probes), ``screen_actions`` and ``control_keys`` (what the keys do). A refresh is
asked for by a file change, a slow timer (so sliding windows move), or ctrl+r; while paused nothing
refreshes.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
from textual.app import App
from textual.reactive import reactive

from collectors.progress import Throttled
from collectors.refresh import SLOW_REFRESH_SECONDS, Refresher
from collectors.tail import CatchUp
from ledger.control.model import ControlState
from ledger.scope import EVERY_AGENT, AgentScope
from ledger.settings import Settings, default_config_path
from ledger.store import Store
from ledger.views.overview import Overview

from .alerts import alert_runner
from .bindings import BINDINGS
from .commands import BindingCommands
from .control_keys import ControlKeys
from .data import StoreReader
from .messages import ControlsReady, LogsReading, OverviewReady
from .probing import ProviderProbing
from .refresh_chain import RefreshChain
from .screen_actions import ScreenActions
from .screens.empty import EmptyScreen
from .screens.events import EventsScreen
from .screens.overview import OverviewScreen
from .screens.pack import PackScreen
from .screens.providers import ProvidersScreen
from .watching import FileWatching


class PackwatchApp(RefreshChain, FileWatching, ProviderProbing, ScreenActions, ControlKeys, App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so a subclass elsewhere finds it
    TITLE = "packwatch"
    COMMANDS = App.COMMANDS | {BindingCommands}
    BINDINGS = BINDINGS

    paused: reactive[bool] = reactive(False, init=False)
    scope: reactive[AgentScope] = reactive(EVERY_AGENT, init=False)
    """Only these agents' rows on every screen."""
    data_version: reactive[int] = reactive(0, init=False)
    """Bumped when a refresh brought new numbers; screens beyond the overview (Spend) watch it."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] | None = None,
                 live: bool = True, scope: AgentScope = EVERY_AGENT, refresher: Refresher | None = None,
                 demo: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.demo = demo
        """On a simulated pack (``packwatch demo``): the header says DEMO."""
        self.refresher = refresher or Refresher(settings, clock=clock, who="packwatch dashboard")
        if live:  # a first catch-up over thousands of session files takes seconds: say how far it got
            self.refresher.progress = Throttled(lambda p: self.post_message(LogsReading(p)), every=3.0)
        self.refresher.alerts = alert_runner(self, settings) if live else None
        self.clock: Callable[[], dt.datetime] = self.refresher.clock
        self.reader = StoreReader(self.refresher, self.clock, scope)
        self.set_reactive(PackwatchApp.scope, scope)
        self.live = live
        self.store_problem: str | None = None
        self.overview: Overview | None = None
        self.overviews_shown = 0
        """How many overviews reached the screen; tests and screenshots wait on it."""
        self._reported_errors: set[str] = set()
        self._plan_watches()
        self.control_state: ControlState = self.refresher.controls
        """What the UI shows (set when ``ControlsReady`` arrives)."""
        self._control_warning: str | None = None
        config_path = getattr(settings, "_config_path", None) or default_config_path()
        self.add_mode("overview", lambda: OverviewScreen(self.reader, lambda: self.overview, live=self.live,
                                                                  demo=self.demo))
        self.add_mode("empty", lambda: EmptyScreen(self.settings.ledgers, config_path))
        self.add_mode("providers", lambda: ProvidersScreen(self.reader))
        self.add_mode("events", lambda: EventsScreen(self.reader))
        self.add_mode("pack", lambda: PackScreen(lambda: self.overview))

    @property
    def store(self) -> Store | None:
        return self.refresher.store

    def effective_settings(self) -> Settings:
        return self.refresher.effective_settings()

    # -- life cycle ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.switch_mode("overview")
        self.request_refresh(force=True)
        if self.live:
            self.set_interval(SLOW_REFRESH_SECONDS, self._slow_tick)
            self._watch_files()
        if not (self.is_headless or self.is_web):  # (in a browser, `packwatch serve` ends the tab's process)
            self.set_interval(5, self._check_terminal)

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "probes")
        if self.store is not None:
            try:
                self.store.close()
            except duckdb.Error:
                pass  # a refresh thread is mid-statement; the WAL keeps every committed row anyway

    def _check_terminal(self) -> None:
        """Leave when the terminal is gone. Closed without a SIGHUP reaching us (under ``make demo``,
        make takes it), Textual's input thread would spin on the dead tty at 100 % CPU
        (Textualize/textual#6690)."""
        if not os.isatty(sys.__stdout__.fileno()):
            os._exit(0)  # nothing to restore: the terminal is gone, and the store commits per batch

    # -- what a refresh found, to the screens ----------------------------------------------------

    def on_overview_ready(self, message: OverviewReady) -> None:
        self._trouble = None
        self._report_catch_up(message.catch_up)
        self._rewatch_if_stale()
        if message.overview is None:
            return
        self.overview = message.overview
        self.data_version += 1
        if self._nothing_to_show(message.overview, message.catch_up):
            self._show_empty(None)
        else:
            if self.current_mode == "empty":
                self.switch_mode("overview")
            screen = self.screen_stack[0]  # the mode's own screen, under any open modal
            if isinstance(screen, OverviewScreen):
                screen.show(message.overview)
            elif isinstance(screen, ProvidersScreen | PackScreen) or (
                    isinstance(screen, EventsScreen) and message.catch_up.events):
                screen.reload()  # the event log only changes when events arrived
        self.overviews_shown += 1
        self._start_probes()

    def on_logs_reading(self, message: LogsReading) -> None:
        done = message.progress.done
        self.notify("agent logs read" if done else message.progress.text(), timeout=2 if done else 3.5)

    def on_controls_ready(self, message: ControlsReady) -> None:
        self.control_state = message.state
        if message.state.warning and message.state.warning != self._control_warning:
            self.notify(message.state.warning, severity="warning", timeout=10)
        self._control_warning = message.state.warning
        base = self.screen_stack[0]
        if isinstance(base, OverviewScreen):
            base.show_controls(message.state, message.statuses)

    def _nothing_to_show(self, overview: Overview, result: CatchUp) -> bool:
        all_missing = len(result.missing) == len(self.settings.ledgers)
        return overview.last_seen is None and all_missing and not result.agent_files and self.scope.everything

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
