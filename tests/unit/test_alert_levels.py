"""Which alerts an overview holds: the highest level reached per scope and period, a provider's daily
token limit, an open circuit, a quota window, anomalous spend; none below the first level."""

from __future__ import annotations

from collectors.sources import catch_up_all
from ledger.alerts.detect import alerts_of, spend_pace
from ledger.settings import Budget, Settings
from ledger.store import Store
from ledger.views.overview import overview
from tests.support.pilot import NOW


def test_the_sample_pack_holds_its_alerts(sample_settings: Settings) -> None:
    settings = sample_settings.model_copy(update={"budgets": {"all": Budget(daily_usd=40, hourly_usd=2.0)}})
    store = Store.open(settings)
    try:
        catch_up_all(store, settings)
        cur = store.cursor()
        view = overview(cur, settings, NOW)
        last_hour, mean_hour = spend_pace(cur, NOW)
        found = {a.scope: a for a in alerts_of(view, settings, (last_hour, mean_hour))}
        spike = {a.scope: a for a in alerts_of(view, settings, (12.0, 1.0))}  # 12x the week's hourly mean
    finally:
        store.close()
    spent = next(s for s in view.spend if s.scope == "all").cost_today
    daily = found["budget:all:daily"]
    assert daily.level == "warning" and daily.period == "2026-11-20" and spent / 40 >= 0.75  # one level: the highest
    assert daily.text.startswith("packwatch WARNING: all budget at ")
    assert found["budget:all:hourly"].period == "2026-11-20T15" and found["budget:all:hourly"].level == "exceeded"
    assert found["tokens:cerebras"].level == "info"  # 69 % of its 24M
    circuit = found["circuit:cerebras"]
    assert circuit.level == "critical" and "circuit open for cerebras" in circuit.text
    assert "anomaly:all" not in found  # the pack spends at its usual pace
    assert spike["anomaly:all"].level == "warning" and "12.0x the hourly mean" in spike["anomaly:all"].text
    assert 0 < mean_hour and last_hour > 0
