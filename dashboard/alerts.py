"""The dashboard's alerts: a toast for each new alert (and the terminal bell with ``[alerts] bell``),
besides the desktop notification and webhook ``collectors.alerts`` sends from the refresh thread."""

from __future__ import annotations

from textual.app import App

from collectors.alerts import AlertRunner
from ledger.alerts.detect import Alert
from ledger.settings import Settings

SEVERITY = {"info": "information", "warning": "warning", "critical": "error", "exceeded": "error"}


def alert_runner(app: App, settings: Settings) -> AlertRunner:
    """Alerts for ``app``: called on the refresh worker's thread, they reach the screen through
    ``call_from_thread``."""
    def toast(alert: Alert) -> None:
        app.call_from_thread(show, alert)

    def show(alert: Alert) -> None:
        app.notify(alert.text.removeprefix("packwatch "), title="alert", severity=SEVERITY[alert.level],
                   timeout=15 if alert.level in ("critical", "exceeded") else 8)
        if settings.alerts.bell:
            app.bell()

    def warn(message: str) -> None:
        app.call_from_thread(app.notify, message, severity="warning", timeout=10)

    return AlertRunner(settings, by="dashboard", warn=warn, toast=toast)
