"""``packwatch alerts``: the alerts sent, when, and where each went (toast, desktop, webhook host)."""

from __future__ import annotations

import argparse
import json

from ledger.alerts.record import SentAlert, sent_alerts
from ledger.settings import Settings
from ledger.store import Store, StoreBusy
from ledger.text import printable

from .common import warn


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    try:
        store = Store.open(settings)
    except StoreBusy as exc:
        warn(f"{exc}; the alerts are in the store it holds: run `packwatch alerts` once it stops")
        return 1
    try:
        cursor = store.cursor()
        try:
            found = sent_alerts(cursor, args.limit)
        finally:
            cursor.close()
    finally:
        store.close()
    if args.json:
        print(json.dumps([a.model_dump(mode="json") for a in found], indent=2))
        return 0
    if not found:
        print("no alerts sent yet")
        return 0
    for alert in found:
        print(printable(line_of(alert)))
    return 0


def line_of(alert: SentAlert) -> str:
    where = ", ".join(f"{d.get('to')} {d.get('where')}: {d.get('result')}" for d in alert.delivered) or "not sent"
    text = alert.text.removeprefix(f"packwatch {alert.severity}: ")
    return f"{alert.ts.astimezone():%Y-%m-%d %H:%M:%S}  {alert.severity:<9} {text}  [{where}]"
