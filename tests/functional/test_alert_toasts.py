"""The dashboard's alerts: a toast for each new level, once, not again after a restart."""

from __future__ import annotations

import pytest

from dashboard.alerts import alert_runner
from ledger.alerts.record import sent_alerts
from ledger.control.channel import ControlChannel
from ledger.settings import Settings
from ledger.store import Store
from tests.support.pilot import WIDE, make_app, wait_for_overview

pytestmark = pytest.mark.anyio


def _toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_budget_level_is_one_toast_and_not_again_after_a_restart(sample_settings: Settings) -> None:
    ControlChannel(sample_settings.control_dir).set_budget("all", daily_usd=0.01)  # spent many times over
    for run in (1, 2):
        app = make_app(sample_settings)
        app.refresher.alerts = alert_runner(app, sample_settings)  # what a live dashboard does
        async with app.run_test(size=WIDE) as pilot:
            await wait_for_overview(pilot, app)
            await pilot.pause(0.2)
            budget = [t for t in _toasts(app) if "all budget at" in t]
            assert budget == ([next(t for t in budget if t.startswith("EMERGENCY: all budget at"))] if run == 1
                              else []), budget
    store = Store.open(sample_settings)
    try:
        (sent,) = [a for a in sent_alerts(store.cursor()) if a.scope == "budget:all:daily"]
    finally:
        store.close()
    assert sent.level == "exceeded" and sent.delivered == [{"to": "toast", "where": "dashboard", "result": "shown"}]


async def test_a_burst_of_alerts_is_two_toasts_and_a_pointer_not_a_flood(sample_settings: Settings) -> None:
    """A first start over a day already overspent raises many alerts at once: the screen (its header's modes
    included) stays visible; every alert is still recorded for `packwatch alerts`."""
    channel = ControlChannel(sample_settings.control_dir)
    for scope in ("all", "anthropic", "google", "cerebras"):
        channel.set_budget(scope, daily_usd=0.01)
    app = make_app(sample_settings)
    app.refresher.alerts = alert_runner(app, sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.pause(0.2)
        toasts = _toasts(app)
    assert len(toasts) == 3 and "packwatch alerts" in toasts[-1], toasts
    store = Store.open(sample_settings)
    try:
        assert len(sent_alerts(store.cursor())) > 3
    finally:
        store.close()
