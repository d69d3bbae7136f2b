"""A small hand-made store for the views' tests: each row written as a ledger line, read by the real
ingest, at a time counted back from a fixed ``NOW``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from collectors.sources import catch_up_all
from ledger.settings import PriceOverride, Settings, load_settings
from ledger.store import Store

TZ = "Europe/Paris"
ZONE = ZoneInfo(TZ)
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZONE)
PRICES = {"acme/m1": PriceOverride(input_mtok=1.0, output_mtok=2.0),   # $1 / $2 per million
          "acme/m2": PriceOverride(input_mtok=4.0, output_mtok=8.0),
          "zeta/z1": PriceOverride(input_mtok=0.5, output_mtok=1.0)}


class Rows:
    """Ledger lines written beside a store; ``cursor()`` catches up first."""

    def __init__(self, folder: Path) -> None:
        self.ledger = folder / "agent" / "usage.jsonl"
        self.ledger.parent.mkdir(parents=True)
        self.settings: Settings = load_settings(ledgers=[self.ledger], db=folder / "store.duckdb", timezone=TZ)
        self.settings = self.settings.model_copy(update={"prices": PRICES, "daily_token_limits": {}})
        self.store: Store | None = None

    def add(self, *, minutes_ago: float, tokens_in: int = 1_000, tokens_out: int = 100, provider: str = "acme",
            model: str = "m1", **fields: object) -> None:
        ts = (NOW - dt.timedelta(minutes=minutes_ago)).astimezone(ZONE).replace(tzinfo=None)
        record = {"ts": ts.isoformat(timespec="milliseconds"), "provider": provider, "model": model,
                  "in": tokens_in, "out": tokens_out, **fields}
        with open(self.ledger, "a") as fh:
            fh.write(json.dumps(record) + "\n")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self.store is None:
            self.store = Store.open(self.settings)
        catch_up_all(self.store, self.settings)
        return self.store.cursor()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
