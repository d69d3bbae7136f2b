"""One headless pass, as the dashboard, ``packwatch status`` and the bench run it: catch up on every
source, read the controls again when they changed, and compute the overview when something moved.

The store is only a derived index of the ledgers, so a store another packwatch holds is not an
error: ``open_store`` answers from a private in-memory index instead, and says so.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ledger.control.channel import ControlChannel
from ledger.control.model import ControlState, with_controls
from ledger.control.reader import stamp
from ledger.control.status import ChangeStatus, change_statuses
from ledger.scope import EVERY_AGENT, AgentScope
from ledger.settings import Settings
from ledger.store import Store, trouble
from ledger.views.overview import Overview, controlled_overview

from .alerts import AlertRunner
from .progress import ProgressReport
from .sources import catch_up_all, open_store
from .summary import write_summary
from .tail import CatchUp

SLOW_REFRESH_SECONDS = 60.0
"""With nothing new, the overview is computed again this often (so its windows slide)."""


@dataclass
class Refreshed:
    """What one pass found."""

    catch_up: CatchUp
    controls: ControlState | None = None
    """The controls, when they were read again this pass (with the changes' statuses)."""
    statuses: list[ChangeStatus] = field(default_factory=list)
    overview: Overview | None = None
    """None when nothing new arrived and the last overview is still current."""


class Refresher:
    """Owns the store for its caller and runs passes over it; one pass at a time."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] | None = None,
                 who: str | None = None) -> None:
        self.settings = settings
        zone = ZoneInfo(settings.timezone)
        self.clock = clock or (lambda: dt.datetime.now(zone))
        self.store: Store | None = None
        self.channel = ControlChannel(settings.control_dir, who=who)
        self.controls: ControlState = self.channel.read()
        self._control_stamp: tuple | None = None
        self._last_overview_at = float("-inf")
        self._cores_shared = False
        self.summary_problem: str | None = None
        """Why the summary beside the ledger could not be written, when it could not."""
        self.progress: ProgressReport | None = None
        """Told how far a long read of agents' logs got (the dashboard's first catch-up)."""
        self.alerts: AlertRunner | None = None
        """Set by a caller that sends alerts (the dashboard): each overview's new alerts go out."""

    def open(self) -> str | None:
        """Open the store (once); a warning when an in-memory index stands in for a busy store."""
        warning = None
        if self.store is None:
            self.store, warning = open_store(self.settings)
        return warning

    def effective_settings(self) -> Settings:
        """The settings with the controls' budgets and limits laid over them: what every screen
        measures against."""
        return with_controls(self.settings, self.controls.controls)

    def run(self, *, force: bool = False, with_agent_logs: bool = True,
            scope: AgentScope = EVERY_AGENT) -> Refreshed:
        """Catch up, then the controls if their files changed (or new events may acknowledge a change),
        then the overview when anything changed, ``force`` asks, or the last one is a minute old."""
        self.open()
        try:
            return self._run(force=force, with_agent_logs=with_agent_logs, scope=scope)
        except Exception as exc:
            failure = trouble(exc, self.settings.db)
            if failure is None:
                raise
            self._drop_store()  # DuckDB invalidates a connection whose commit failed: open it anew next time
            raise failure from None

    def _drop_store(self) -> None:
        store, self.store = self.store, None
        self._cores_shared = False
        try:
            store.close()
        except Exception:  # an invalidated connection may refuse to close cleanly; it is gone either way
            pass

    def _run(self, *, force: bool, with_agent_logs: bool, scope: AgentScope) -> Refreshed:
        store = self.store
        assert store is not None
        result = Refreshed(catch_up_all(store, self.settings, with_agent_logs=with_agent_logs,
                                       progress=self.progress))
        if not self._cores_shared:  # after the first, possibly big, catch-up
            store.share_cores()
            self._cores_shared = True
        before = self.controls.controls
        if self._read_controls(again=force or bool(result.catch_up.events), into=result):
            force = force or result.controls.controls != before  # the panes measure against new budgets
        stale = time.monotonic() - self._last_overview_at >= SLOW_REFRESH_SECONDS
        if result.catch_up.changed or force or stale:
            result.overview = self.overview(scope)
        return result

    def overview(self, scope: AgentScope = EVERY_AGENT) -> Overview:
        cursor = self.store.cursor()
        try:
            view = controlled_overview(cursor, self.settings, self.controls.controls, self.clock(), scope=scope)
            # Alerts on every agent's numbers, and only from the store file (an in-memory stand-in would
            # forget what it sent and repeat what the store's holder sent).
            if self.alerts is not None and scope.everything and self.store.path is not None:
                self.alerts.tick(cursor, view, self.effective_settings())
        finally:
            cursor.close()
        self._last_overview_at = time.monotonic()
        if scope.everything:  # the status line and the hooks read it: every agent's numbers, never a filter's
            self.summary_problem = write_summary(self.settings.control_dir, view, self.settings,
                                                 self.controls.controls)
        return view

    def _read_controls(self, *, again: bool, into: Refreshed) -> bool:
        """control.json and the agent's acknowledgements, read again only when the control files
        changed or new events may hold acknowledgements (not on every refresh)."""
        try:
            now = (stamp(self.channel.path), stamp(self.channel.audit_path))
        except OSError:
            now = None  # unreadable: read again each time, and ``read`` says why
        if not again and now == self._control_stamp:
            return False
        self.controls = self.channel.read()
        cursor = self.store.cursor()
        try:
            into.statuses = change_statuses(cursor, self.channel)
        finally:
            cursor.close()
        into.controls = self.controls
        self._control_stamp = now
        return True
