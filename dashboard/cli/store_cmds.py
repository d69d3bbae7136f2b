"""``packwatch rebuild`` and ``packwatch config``: recreate the store from the ledgers, and show the
effective settings with where each came from."""

from __future__ import annotations

import argparse
import json
from typing import Any

from collectors.agents import enabled
from collectors.agents.reader import log_files
from collectors.rebuild import rebuild
from collectors.tail import discover
from ledger.secrets import scrub
from ledger.settings import Settings, explain

from .common import describe, report_missing


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    done = rebuild(settings)
    report_missing(done.result)
    if done.corrupt is not None:
        print(f"the old store was not readable: moved to {done.corrupt}")
    print(f"rebuilt {settings.db}: {describe(done.result)}")
    if done.carried:
        shown = ", ".join(done.carried_from[:3]) + (f" and {len(done.carried_from) - 3} more"
                                                    if len(done.carried_from) > 3 else "")
        print(f"kept {done.carried:,} rows from files that cannot be read again: {shown}")
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
    """Settings as JSON, with secrets masked: a key (SecretStr) and whatever a URL carries (``?key=``)."""
    if hasattr(value, "model_dump"):
        return _masked(value.model_dump())
    return scrub(str(value))


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value if isinstance(value, int | float | bool | None) else _jsonable(value)
