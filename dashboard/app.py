"""The packwatch dashboard: modes, bindings, and a refresh chain that runs one headless pass
(``collectors.refresh``) at a time and routes what it found to the screens.

Refreshes never overlap (Dolphie's rule): the next one is armed only when the last one finished.
They are asked for by a file change (an async ``watchfiles`` worker), a slow timer (so sliding
windows move), or ctrl+r; while paused nothing refreshes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState
from watchfiles import awatch

from collectors import probes
from collectors.refresh import SLOW_REFRESH_SECONDS, Refresher
from collectors.tail import CatchUp
from collectors.watch import AgentLogChanges, LedgerChanges, agent_log_changes, ledger_changes
from ledger.control.model import ControlState
from ledger.scope import EVERY_AGENT, AgentScope
from ledger.settings import Settings, default_config_path
from ledger.store import Store, StoreError, StoreTrouble
from ledger.views.overview import Overview

from .commands import BindingCommands
from .control_keys import CONTROL_BINDINGS, ControlKeys
from .data import StoreReader
from .messages import ControlsReady, OverviewReady
from .screens.empty import EmptyScreen
from .screens.events import EventsScreen
from .screens.help import HelpModal
from .screens.overview import OverviewScreen
from .screens.providers import ProvidersScreen

WATCH_STEP_MS = 20  # how long a burst of writes may settle: most of append -> screen is this wait
AGENT_WATCH_STEP_MS = 250

BINDINGS = [
    Binding("right_square_bracket", "cycle_screen(1)", "Next", key_display="]",
            tooltip="The next screen: overview, providers, events", id="next-screen"),
    Binding("left_square_bracket", "cycle_screen(-1)", "Prev", key_display="[",
            tooltip="The previous screen", id="previous-screen"),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key", id="help"),
    Binding("p", "toggle_pause", "Pause", tooltip="Stop refreshing until pressed again", id="pause"),
    Binding("ctrl+r", "refresh_now", "Refresh", tooltip="Read new ledger lines and recompute now",
            id="refresh"),
    Binding("q", "quit", "Quit", tooltip="Leave packwatch (the agent is not affected)", id="quit"),
    *CONTROL_BINDINGS,
    Binding("a", "cycle_agent", "Agent", show=False,
            tooltip="Show one agent program alone (each one found in turn), then all", id="agent-filter"),
    Binding("o", "show_mode('overview')", "Overview", show=False, tooltip="The six panes", id="show-overview"),
    Binding("v", "show_mode('providers')", "Providers", show=False,
            tooltip="Per provider: circuit timeline, failures and 429s, probe latency, last error",
            id="show-providers"),
    Binding("e", "show_mode('events')", "Events", show=False,
            tooltip="The agent event log and Code Puppy's errors, with filters and search", id="show-events"),
]


class PackwatchApp(ControlKeys, App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so a subclass elsewhere finds it
    TITLE = "packwatch"
    COMMANDS = App.COMMANDS | {BindingCommands}
    # The footer keeps to what fits in 120 columns: moving, help, pause, refresh, quit, the controls
    # (at 80 columns the controls are the ones cut off). Every other key is in the help (?) and the
    # palette (ctrl+p) all the same.
    BINDINGS = BINDINGS
    SCREENS_IN_ORDER = ("overview", "providers", "events")
    """What ]/[ step through."""

    paused: reactive[bool] = reactive(False, init=False)
    scope: reactive[AgentScope] = reactive(EVERY_AGENT, init=False)
    """Only these agents' rows on every screen."""
    data_version: reactive[int] = reactive(0, init=False)
    """Bumped when a refresh brought new numbers; screens beyond the overview (Spend) watch it."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] | None = None,
                 live: bool = True, scope: AgentScope = EVERY_AGENT, refresher: Refresher | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.refresher = refresher or Refresher(settings, clock=clock, who="packwatch dashboard")
        self.clock: Callable[[], dt.datetime] = self.refresher.clock
        self.reader = StoreReader(self.refresher, self.clock, scope)
        self.set_reactive(PackwatchApp.scope, scope)
        self.live = live
        self.store_problem: str | None = None
        self.overview: Overview | None = None
        self.overviews_shown = 0
        """How many overviews reached the screen; tests and screenshots wait on it."""
        self._refreshing = False
        self._pending: bool | None = None  # a refresh asked for while one ran; True = forced
        self._reported_errors: set[str] = set()
        self._trouble: str | None = None  # the store's last failure told (until a refresh works again)
        self._changes, self._agent_changes = ledger_changes(settings), agent_log_changes(settings)
        self.control_state: ControlState = self.refresher.controls
        """What the UI shows (set when ``ControlsReady`` arrives)."""
        self._control_warning: str | None = None
        config_path = getattr(settings, "_config_path", None) or default_config_path()
        self.add_mode("overview", lambda: OverviewScreen(self.reader, lambda: self.overview, live=self.live))
        self.add_mode("empty", lambda: EmptyScreen(self.settings.ledgers, config_path))
        self.add_mode("providers", lambda: ProvidersScreen(self.reader))
        self.add_mode("events", lambda: EventsScreen(self.reader))
        self._probing = False
        self._agent_logs_due = True

    @property
    def store(self) -> Store | None:
        return self.refresher.store

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

    def _slow_tick(self) -> None:
        agents = agent_log_changes(self.settings)
        if self._changes.stale() or agents != self._agent_changes:
            self._changes, self._agent_changes = ledger_changes(self.settings), agents
            self._watch_files()
        self._agent_logs_due = True  # the poll that catches what a file watch misses
        self.request_refresh()

    # -- the refresh chain ---------------------------------------------------------------------

    def request_refresh(self, *, force: bool = False) -> None:
        """Refresh now, or right after the running refresh ends; never two at once."""
        if self.paused:
            return
        if self.store_problem is not None and not force:
            return  # an unopenable store is retried only when asked (ctrl+r)
        self._agent_logs_due |= force
        if self._refreshing:
            self._pending = bool(self._pending) or force
            return
        self._refreshing = True
        self._refresh(force)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresh(self, force: bool) -> None:
        busy = self.refresher.open()
        if busy:
            self.call_from_thread(self.notify, busy, severity="warning", timeout=10)
        self.store_problem = None
        # Other agents' logs (thousands of session files to list) only when their watcher, the slow
        # tick or a forced refresh asked: a ledger line alone should not pay for that walk.
        agents, self._agent_logs_due = self._agent_logs_due, False
        result = self.refresher.run(force=force, with_agent_logs=agents, scope=self.scope)
        if result.controls is not None:
            self.post_message(ControlsReady(result.controls, result.statuses))
        self.post_message(OverviewReady(result.overview, result.catch_up))

    def effective_settings(self) -> Settings:
        return self.refresher.effective_settings()

    def on_overview_ready(self, message: OverviewReady) -> None:
        self._trouble = None
        self._report_catch_up(message.catch_up)
        if self.live and self._changes.stale():
            # A missing ledger's folder appeared: watch it now, not at the next slow tick a minute later.
            self._changes = ledger_changes(self.settings)
            self._watch_files()
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
            elif isinstance(screen, ProvidersScreen) or (isinstance(screen, EventsScreen) and message.catch_up.events):
                screen.reload()  # the event log only changes when events arrived
        self.overviews_shown += 1
        self._start_probes()

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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures arrive: a notification, never a crash."""
        worker = event.worker
        if event.state == WorkerState.ERROR:
            error = worker.error
            if isinstance(error, StoreTrouble):  # a full disk: said once; refreshes go on and reopen it
                if str(error) != self._trouble:
                    self._trouble = str(error)
                    self.notify(str(error), severity="error", timeout=15)
            elif isinstance(error, StoreError):
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

    def _watch_files(self) -> None:
        self._watch_ledgers(self._changes)
        if self._agent_changes.roots:
            self._watch_agent_logs(self._agent_changes)
        if self._agent_changes.file_roots:
            self._watch_agent_files(self._agent_changes)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _watch_ledgers(self, changes: LedgerChanges) -> None:
        async for _batch in awatch(*changes.roots, watch_filter=changes, recursive=changes.recursive,
                                   debounce=1000, step=WATCH_STEP_MS):
            self.request_refresh()

    # Each watcher polls every ``step`` ms in a thread of its own and takes the GIL each time: the
    # agents' logs (recursive, often thousands of files) wait longer, so two watchers idle cheaply.
    @work(exclusive=True, group="watch-agents", exit_on_error=False)
    async def _watch_agent_logs(self, changes: AgentLogChanges) -> None:
        async for _batch in awatch(*changes.roots, watch_filter=changes, recursive=True, debounce=1000,
                                   step=AGENT_WATCH_STEP_MS):
            self._agent_logs_due = True
            self.request_refresh()

    @work(exclusive=True, group="watch-agent-files", exit_on_error=False)
    async def _watch_agent_files(self, changes: AgentLogChanges) -> None:
        """Agents' single files (OpenCode's database): their folders alone, never recursively."""
        async for _batch in awatch(*changes.file_roots, watch_filter=changes, recursive=False, debounce=1000,
                                   step=AGENT_WATCH_STEP_MS):
            self._agent_logs_due = True
            self.request_refresh()

    # -- provider health probes ----------------------------------------------------------------

    def _start_probes(self) -> None:
        """Once the store is open, probe the providers that have a key or an endpoint (live only)."""
        if self._probing or not self.live or self.store is None:
            return
        targets = probes.plan(self.settings.probes)
        if targets:
            self._probing = True
            self._probe(targets, self.store)

    @work(exclusive=True, group="probes", exit_on_error=False)
    async def _probe(self, targets: list[probes.ProbeTarget], store: Store) -> None:
        """httpx in the app's event loop never blocks the UI: each probe awaits with a hard deadline,
        and storing the outcomes runs in a thread."""

        async def record(results: list[probes.ProbeResult]) -> None:
            await asyncio.to_thread(store.record_probes, [r.row() for r in results])
            self.request_refresh(force=True)  # circuits and the Providers screen change

        await probes.ProbeRunner(targets, self.settings.probes).run(record)

    # -- actions -------------------------------------------------------------------------------

    def action_cycle_screen(self, step: int) -> None:
        order = self.SCREENS_IN_ORDER
        current = order.index(self.current_mode) if self.current_mode in order else 0
        self.action_show_mode(order[(current + step) % len(order)])

    def action_show_mode(self, mode: str) -> None:
        if self.current_mode == "empty" and self.overview is None:
            self.notify("nothing to show yet: no ledger", severity="warning", timeout=3)
            return
        if self.current_mode != mode:
            self.switch_mode(mode)  # each screen brings itself up to date when it resumes

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

    def agent_filters(self) -> list[AgentScope]:
        """What ``a`` cycles through: all agents, then each agent program the store has rows of."""
        found = self.overview.agents if self.overview is not None else []
        return [EVERY_AGENT, *(AgentScope.of(a) for a in found)]

    def action_cycle_agent(self) -> None:
        filters = self.agent_filters()
        index = filters.index(self.scope) if self.scope in filters else 0
        self.scope = filters[(index + 1) % len(filters)]
        self.notify(f"showing {self.scope.label() or 'all agents'}", timeout=2)

    def watch_scope(self, scope: AgentScope) -> None:
        self.reader.scope = scope  # every screen reads through it
        self.request_refresh(force=True)

    def action_help(self) -> None:
        keys = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id and binding.description:
                keys.append((binding.key_display or self.get_key_display(binding), binding.description,
                             binding.tooltip))
        self.push_screen(HelpModal(keys))
