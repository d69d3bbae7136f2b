"""``packwatch rebuild`` and ``packwatch config``: recreate the store from the ledgers, and show the
effective settings with where each came from."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from collectors.agents import enabled
from collectors.agents.reader import log_files
from collectors.sources import catch_up_all
from collectors.tail import discover
from ledger.settings import Settings, explain
from ledger.store import Store

from .common import describe, report_missing


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    # Opening first proves no other process holds the store before anything is deleted.
    Store.open(settings, wait=0.5).close()
    for suffix in ("", ".wal"):
        p = Path(str(settings.db) + suffix)
        if p.exists():
            p.unlink()
    store = Store.open(settings)
    try:
        result = catch_up_all(store, settings)
    finally:
        store.close()
    report_missing(result)
    print(f"rebuilt {settings.db}: {describe(result)}")
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    rows = explain(settings)
    if args.json:
        print(json.dumps({n: {"value": v, "from": o} for n, v, o, _ in rows}, indent=2, default=_jsonable))
        return 0
    from rich.console import Console
    from rich.table import Table

    files, missing = discover(settings.ledgers)
    table = Table(title=f"config file: {getattr(settings, '_config_path', '?')}", title_justify="left")
    for col in ("setting", "value", "from", "meaning"):
        table.add_column(col, overflow="fold")
    for name, value, origin, doc in rows:
        table.add_row(name, json.dumps(value, default=_jsonable), origin, doc)
    console = Console()
    console.print(table)
    console.print(f"{len(files)} ledger file(s) found; missing: {', '.join(map(str, missing)) or 'none'}")
    for log in enabled(settings):
        roots = ", ".join(f"{r}{'' if r.is_dir() else ' (missing)'}" for r in log.roots)
        console.print(f"{log.agent}: {len(log_files(log))} log file(s) in {roots}", markup=False)
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)
