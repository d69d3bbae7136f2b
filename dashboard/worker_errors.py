"""One way a screen's failed worker is reported. Worker state changes do not bubble from a screen
to the app, so each screen that runs workers mixes this in: a notification, never a crash."""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class NotifiesWorkerErrors:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{event.worker.group} failed: {type(error).__name__}: {error}",
                        severity="error", timeout=10)
