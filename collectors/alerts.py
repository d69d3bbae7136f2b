"""Alerts sent where you look: the dashboard's toast (its caller shows it), a desktop notification
(``desktop-notifier``: D-Bus on Linux) and a webhook (``[alerts] webhook``: a JSON POST whose ``text``
suits a Slack incoming webhook).

``AlertRunner.tick`` runs on the store's thread after each overview: it claims each new alert in the
store (once per level per scope per period, across restarts), and hands it to one background thread
that sends it with a timeout and retries; ingest never waits for a send. Where each alert went is
written back to the store at the next tick (or at ``finish``). An unreachable webhook or a desktop
without a notification service costs one warning, until a send works again.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import duckdb

from ledger.alerts.detect import Alert, alerts_of, spend_pace
from ledger.alerts.record import add_delivery, claim
from ledger.secrets import scrub
from ledger.settings import AlertSettings, Settings
from ledger.views.overview import Overview

if TYPE_CHECKING:
    import httpx

Delivery = tuple[tuple[str, str, str], dict[str, Any]]
BACKOFF = 0.5
"""Seconds before the first retry of a webhook; doubled for each next one."""


def webhook_where(url: str) -> str:
    """The host (and port) of a webhook: the rest of its URL is often the secret (Slack's)."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}{':' + str(parts.port) if parts.port else ''}"
    except ValueError:  # the settings check the URL; a bad one is still never shown
        return "the webhook"


def desktop_available(setting: bool | str) -> bool:
    """``auto``: Linux with a session bus, or macOS / Windows."""
    if setting is not True and setting != "auto":
        return False
    if setting is True:
        return True
    if platform.system() == "Linux":
        return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
    return platform.system() in ("Darwin", "Windows")


class AlertRunner:
    """One process's alerts: claims in the store, sends in a thread of its own."""

    def __init__(self, settings: Settings, *, by: str, warn: Callable[[str], None],
                 toast: Callable[[Alert], None] | None = None) -> None:
        self.config: AlertSettings = settings.alerts
        self.by = by
        self.warn = warn
        self.toast = toast
        self.secrets = settings.secrets()
        self.webhook = self.config.webhook.get_secret_value() if self.config.webhook else None
        self.desktop = desktop_available(self.config.desktop)
        self._todo: queue.Queue[Alert | None] = queue.Queue()
        self._done: queue.Queue[Delivery] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()
        self._notifier: Any = None
        self._loop: Any = None
        """The sending thread's event loop for desktop-notifier (its D-Bus connection lives on it)."""

    @property
    def sends(self) -> bool:
        return bool(self.webhook or self.desktop)

    # -- on the store's thread -----------------------------------------------------------------

    def tick(self, cur: duckdb.DuckDBPyConnection, view: Overview, settings: Settings) -> list[Alert]:
        """Claim and send the alerts ``view`` holds that were never sent; returns them (for a toast)."""
        self.record_deliveries(cur)
        fresh = []
        for alert in alerts_of(view, settings, spend_pace(cur, view.now)):
            alert = alert.model_copy(update={"text": scrub(alert.text, self.secrets)})
            if not claim(cur, alert, view.now, self.by):
                continue
            fresh.append(alert)
            if self.toast is not None:
                self.toast(alert)
                add_delivery(cur, alert.key, {"to": "toast", "where": self.by, "result": "shown"})
            if self.sends:
                self._start()
                self._todo.put(alert)
        return fresh

    def record_deliveries(self, cur: duckdb.DuckDBPyConnection) -> int:
        count = 0
        while True:
            try:
                key, delivery = self._done.get_nowait()
            except queue.Empty:
                return count
            add_delivery(cur, key, delivery)
            count += 1

    def finish(self, cur: duckdb.DuckDBPyConnection | None, timeout: float | None = None) -> None:
        """Wait for the sends in flight (at most ``timeout`` s: by default every attempt's timeout and
        backoff), then write where they went."""
        if self._thread is not None:
            self._todo.put(None)
            budget = self.config.timeout * (self.config.retries + 1) * 2 + BACKOFF * 2 ** self.config.retries + 5
            self._thread.join(timeout if timeout is not None else budget)
            self._thread = None
        if cur is not None:
            self.record_deliveries(cur)

    # -- on the sending thread -----------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._send_all, name="packwatch-alerts", daemon=True)
            self._thread.start()

    def _send_all(self) -> None:
        import httpx  # only where an alert is sent (~0.15 s of imports): status and report send none

        with httpx.Client(timeout=self.config.timeout, follow_redirects=False) as client:
            while (alert := self._todo.get()) is not None:
                if self.webhook:
                    self._done.put((alert.key, self._post(client, alert)))
                if self.desktop:
                    self._done.put((alert.key, self._notify(alert)))

    def _post(self, client: httpx.Client, alert: Alert) -> dict[str, Any]:
        import httpx

        assert self.webhook is not None
        where = webhook_where(self.webhook)
        body = {"text": alert.text, "severity": alert.severity, "level": alert.level, "kind": alert.kind,
                "scope": alert.scope, "period": alert.period, "percent": alert.percent,
                "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        problem = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                answer = client.post(self.webhook, json=body)
            except httpx.InvalidURL:
                problem = "not a valid URL"
                break
            except httpx.HTTPError as exc:  # no connection, a timeout, a scheme httpx cannot send to
                problem = type(exc).__name__
                continue
            if answer.status_code < 300:
                self._warned.discard("webhook")
                return {"to": "webhook", "where": where, "result": f"sent (HTTP {answer.status_code})"}
            problem = f"HTTP {answer.status_code}"
            if answer.status_code < 500 and answer.status_code != 429:
                break  # the hook refuses it: trying again will not help
        self._warn_once("webhook", f"the alert webhook at {where} failed ({problem}); alerts still show "
                                   "in the dashboard and in `packwatch alerts`")
        return {"to": "webhook", "where": where, "result": f"failed: {problem}"}

    def _notify(self, alert: Alert) -> dict[str, Any]:
        import asyncio

        from desktop_notifier import DesktopNotifier, Urgency

        dispatched: list[str] = []
        urgency = Urgency.Critical if alert.level in ("critical", "exceeded") else Urgency.Normal

        async def send() -> None:
            if self._notifier is None:
                self._notifier = DesktopNotifier(app_name="packwatch")
            await self._notifier.send(title=f"packwatch {alert.severity}", message=alert.text.split(": ", 1)[-1],
                                      urgency=urgency, on_dispatched=lambda: dispatched.append("yes"))

        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(asyncio.wait_for(send(), self.config.timeout))
        except Exception as exc:  # no bus, no service: desktop-notifier logs and returns; a hang times out
            dispatched.clear()
            reason = type(exc).__name__
        else:
            reason = "no notification service answered"
        if dispatched:
            self._warned.discard("desktop")
            return {"to": "desktop", "where": "notifications", "result": "sent"}
        self._warn_once("desktop", f"desktop notification failed ({reason}); set [alerts] desktop = false "
                                   "to stop trying")
        return {"to": "desktop", "where": "notifications", "result": f"failed: {reason}"}

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            self.warn(message)
