"""The alerts sent, in the store's ``alerts_sent`` table (migration 10): claiming an alert is one
INSERT keyed by (scope, period, level), so two packwatch processes, or one restarted, send it once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
from pydantic import BaseModel

from .detect import SEVERITY, Alert


class SentAlert(BaseModel):
    ts: dt.datetime
    kind: str
    scope: str
    period: str
    level: str
    text: str
    sent_by: str | None = None
    delivered: list[dict[str, Any]] = []

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.level, self.level.upper())


def claim(cur: duckdb.DuckDBPyConnection, alert: Alert, now: dt.datetime, by: str) -> bool:
    """True when ``alert`` was not sent before (it is recorded now); False when it was."""
    found = cur.execute("""
        INSERT INTO alerts_sent (scope, period, level, ts, kind, percent, text, sent_by, delivered)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]') ON CONFLICT DO NOTHING RETURNING scope""",
                        [alert.scope, alert.period, alert.level, now, alert.kind, alert.percent, alert.text,
                         by]).fetchall()
    return bool(found)


def add_delivery(cur: duckdb.DuckDBPyConnection, key: tuple[str, str, str], delivery: dict[str, Any]) -> None:
    """Append where one alert went (``{"to": "webhook", "where": host, "result": "sent"}``)."""
    (old,) = cur.execute("SELECT delivered FROM alerts_sent WHERE scope = ? AND period = ? AND level = ?",
                         list(key)).fetchone() or (None,)
    if old is None:
        return
    delivered = [*json.loads(old or "[]"), delivery]
    cur.execute("UPDATE alerts_sent SET delivered = ? WHERE scope = ? AND period = ? AND level = ?",
                [json.dumps(delivered), *key])


def sent_alerts(cur: duckdb.DuckDBPyConnection, limit: int = 100) -> list[SentAlert]:
    """The alerts sent, newest first."""
    found = cur.execute("""SELECT ts, kind, scope, period, level, text, sent_by, delivered FROM alerts_sent
                           ORDER BY ts DESC, scope LIMIT ?""", [limit]).fetchall()
    return [SentAlert(ts=ts, kind=kind, scope=scope, period=period, level=level, text=text, sent_by=by,
                      delivered=json.loads(delivered or "[]"))
            for ts, kind, scope, period, level, text, by, delivered in found]
