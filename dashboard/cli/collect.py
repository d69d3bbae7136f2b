"""``packwatch collect``: follow the ledgers, the agents' logs and the provider probes into the store."""

from __future__ import annotations

import argparse
import datetime as dt

from collectors import probes
from collectors.agents import enabled
from collectors.alerts import AlertRunner
from collectors.follow import Keeper, follow
from collectors.sources import catch_up_all
from collectors.summary import write_summary
from collectors.tail import CatchUp
from ledger.control.channel import ControlChannel
from ledger.control.model import with_controls
from ledger.settings import Settings
from ledger.store import Store, StoreTrouble
from ledger.text import printable
from ledger.views.overview import controlled_overview

from .common import describe, report_missing, warn


def _stamp() -> str:
    return f"{dt.datetime.now().astimezone():%H:%M:%S}"


def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    from .team import Pusher, team_of

    targets = probes.plan(settings.probes)
    pusher = None
    if getattr(args, "push", False):
        pusher = Pusher(team_of(args, settings, needed=True), settings, settings.team.retry_seconds)
    if args.once:
        store = Store.open(settings)
        try:
            code = _once(store, settings, targets)
            if pusher is not None:
                pushed = pusher(store, force=True)
                print(pushed or "not pushed: the team database is unavailable (see above)")
                code = code if pushed else 2
            return code
        finally:
            store.close()
    keeper = Keeper(settings)
    stop_probes = _start_probes(keeper, settings, targets) if targets else None
    try:
        _follow(keeper, settings, pusher)
    finally:
        if stop_probes is not None:
            stop_probes.set()
        keeper.close()
    return 0


def keep_summary(store: Store, settings: Settings, alerts: AlertRunner | None = None) -> None:
    """The summary the status line and the hooks read, from a fresh overview (a bad folder: one line);
    then the alerts that overview holds, sent once each."""
    controls = ControlChannel(settings.control_dir).read().controls
    cursor = store.cursor()
    try:
        view = controlled_overview(cursor, settings, controls, dt.datetime.now().astimezone())
        if alerts is not None:
            for alert in alerts.tick(cursor, view, with_controls(settings, controls)):
                print(f"{_stamp()} alert: {printable(alert.text)}", flush=True)
    finally:
        cursor.close()
    problem = write_summary(settings.control_dir, view, settings, controls)
    if problem:
        warn(problem)


def _once(store: Store, settings: Settings, targets: list[probes.ProbeTarget]) -> int:
    result = catch_up_all(store, settings)
    report_missing(result)
    print(describe(result))
    alerts = AlertRunner(settings, by="collect", warn=warn)
    keep_summary(store, settings, alerts)
    cursor = store.cursor()
    try:
        alerts.finish(cursor)  # --once: the sends in flight finish (bounded by their timeouts) before exit
    finally:
        cursor.close()
    if targets:
        outcomes = probes.probe_once(targets, settings.probes)
        store.record_probes([r.row() for r in outcomes])
        print(f"probes: {probes.describe(outcomes)}")
    return 0


def _start_probes(keeper: Keeper, settings: Settings, targets: list[probes.ProbeTarget]):
    print(f"probing {', '.join(t.provider for t in targets)} every {settings.probes.interval:g} s", flush=True)

    def on_probes(outcomes: list[probes.ProbeResult]) -> None:
        if keeper.store is not None:  # while the store is away (a full disk), probes are not kept
            keeper.store.record_probes([r.row() for r in outcomes])
        failed = [r for r in outcomes if r.error_class]
        if failed:
            print(f"{_stamp()} probes: {probes.describe(failed)}", flush=True)

    return probes.start_in_thread(targets, settings.probes, on_probes)


def _follow(keeper: Keeper, settings: Settings, pusher=None) -> None:
    alerts = AlertRunner(settings, by="collect", warn=warn)

    def on_batch(result: CatchUp) -> None:
        report_missing(result)
        print(f"{_stamp()} {describe(result)}", flush=True)
        if keeper.store is not None:
            keep_summary(keeper.store, settings, alerts)
            if pusher is not None and (pushed := pusher(keeper.store)):
                print(f"{_stamp()} {pushed}", flush=True)

    def on_trouble(failure: StoreTrouble) -> None:
        warn(str(failure))

    def on_idle() -> None:  # a push that failed is tried again every retry_seconds, new rows or not
        if pusher is not None and pusher.failing and keeper.store is not None and (pushed := pusher(keeper.store)):
            print(f"{_stamp()} {pushed}", flush=True)

    logs = [str(root) for log in enabled(settings) for root in log.roots if root.is_dir()]
    print(f"following {', '.join(map(str, [*settings.ledgers, *logs]))} into {settings.db} (Ctrl-C stops)",
          flush=True)
    follow(keeper, on_batch, on_trouble=on_trouble, on_idle=on_idle, poll=max(settings.poll_interval, 1.0))
