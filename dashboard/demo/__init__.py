"""``packwatch demo``: a simulated agent pack (Code Puppy's pack-leader and its dogs) writing a real
ledger and obeying the controls, and loopback providers answering the probes. Nothing but the demo
command imports this package (an import-linter contract holds it to that)."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ledger.settings import Budget, PriceOverride, Settings

from .obey import start_live
from .pack import PACE, backfilled
from .providers import DemoProviders
from .subscriber import start_subscriber


@dataclass
class Demo:
    settings: Settings
    """The user's settings, pointed at the demo's ledger, store and providers."""
    ledger: Path
    stop_pack: threading.Event
    providers: DemoProviders

    def stop(self) -> None:
        self.stop_pack.set()
        self.providers.stop()


def start(settings: Settings, *, days: int = 4, pace: int | None = None) -> Demo:
    """History for ``days`` days, then the pack at work live, in a new temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="packwatch-demo-"))
    sim = backfilled(folder, days=days, per_hour=pace or PACE, runs=True)
    ledger = sim.usage.path
    providers = DemoProviders()
    demo = settings.model_copy(update={
        "ledgers": [ledger], "db": folder / "demo.duckdb",
        # Budgets the simulated pack reaches by the evening, so the alert levels show their colours.
        "budgets": {"all": Budget(daily_usd=250, monthly_usd=6000), "anthropic": Budget(daily_usd=90),
                    **settings.budgets},
        # Cerebras' pay-as-you-go GLM price; genai-prices lists GLM only under Z.ai.
        "prices": {"cerebras/glm-4.7": PriceOverride(input_mtok=2.25, output_mtok=2.75), **settings.prices},
        "probes": providers.probe_settings(),
    })
    stop = start_live(sim, demo)
    start_subscriber(folder, stop)  # a Claude Code subscriber's quota windows beside the pack
    return Demo(demo, ledger, stop, providers)
