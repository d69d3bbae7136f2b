"""The refresh chain: one headless pass (``collectors.refresh``) at a time in a thread worker, its
results posted as messages, and the one place worker failures arrive.

Refreshes never overlap (Dolphie's rule): the next one is armed only when the last one finished.
"""

from __future__ import annotations

from textual import work
from textual.worker import Worker, WorkerState

from ledger.store import StoreError, StoreTrouble

from .messages import ControlsReady, OverviewReady


class RefreshChain:
    """Mixed into the app (which has ``refresher``, ``scope``, ``paused``, ``store_problem`` and
    ``_show_empty``)."""

    _refreshing = False
    _pending: bool | None = None  # a refresh asked for while one ran; True = forced
    _trouble: str | None = None  # the store's last failure told (until a refresh works again)
    _agent_logs_due = True

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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures arrive: a notification, never a crash."""
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self._tell_failure(worker)
        if worker.group == "refresh" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                         WorkerState.CANCELLED):
            self._refreshing = False
            if self._pending is not None:
                force, self._pending = self._pending, None
                self.request_refresh(force=force)

    def _tell_failure(self, worker: Worker) -> None:
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
