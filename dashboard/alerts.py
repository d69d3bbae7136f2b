"""The dashboard's alerts: a toast for each new alert (and the terminal bell with ``[alerts] bell``),
besides the desktop notification and webhook ``collectors.alerts`` sends from the refresh thread."""

from __future__ import annotations

import time

from textual.app import App

from collectors.alerts import AlertRunner
from ledger.alerts.detect import Alert
from ledger.settings import Settings

BURST_S, BURST_TOASTS = 15.0, 2
"""At most this many alert toasts in any 15 s, then one that says more went out (each is still sent
to the desktop and the webhook, and recorded)."""
SEVERITY = {"info": "information", "warning": "warning", "critical": "error", "exceeded": "error"}


def alert_runner(app: App, settings: Settings) -> AlertRunner:
    """Alerts for ``app``: called on the refresh worker's thread, they reach the screen through
    ``call_from_thread``."""
    def toast(alert: Alert) -> None:
        app.call_from_thread(show, alert)

    shown: list[float] = []  # when the last toasts went up: a burst (a first start) is not a flood

    def show(alert: Alert) -> None:
        now = time.monotonic()
        shown[:] = [t for t in shown if now - t < BURST_S]
        shown.append(now)
        if len(shown) > BURST_TOASTS + 1:
            return  # the summary below stands for it
        if len(shown) == BURST_TOASTS + 1:
            app.notify("more alerts went out: `packwatch alerts` lists them all", title="alerts",
                       severity=SEVERITY[alert.level], timeout=8)
        else:
            app.notify(alert.text.removeprefix("packwatch "), title="alert", severity=SEVERITY[alert.level],
                       timeout=15 if alert.level in ("critical", "exceeded") else 8)
        if settings.alerts.bell:
            app.bell()

    def warn(message: str) -> None:
        app.call_from_thread(app.notify, message, severity="warning", timeout=10)

    return AlertRunner(settings, by="dashboard", warn=warn, toast=toast)
