"""What every command shares: its settings, its one-line messages, and a store caught up on the
ledgers. Every failure a user can cause ends in one line that says what to do."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from collectors.refresh import open_store
from collectors.sources import catch_up_all
from collectors.tail import CatchUp
from ledger.scope import AgentScope
from ledger.settings import DEFAULT_LEDGER, Settings, load_settings
from ledger.store import Store


class UsageError(Exception):
    """Bad usage or input: exit 2."""


def settings_of(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.config, ledgers=args.ledger, db=args.db)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise UsageError(f"bad setting {where}: {err['msg']}; fix the config file or flag") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the config: {exc}") from None


def scope_of(args: argparse.Namespace) -> AgentScope:
    """The agent programs ``--agent`` names (none: every agent)."""
    return AgentScope.of(getattr(args, "agent", None))


def warn(message: str) -> None:
    print(f"packwatch: {message}", file=sys.stderr)


def describe(result: CatchUp) -> str:
    text = f"{result.rows} new rows"
    if result.events:
        text += f", {result.events} new events"
    if result.quota:
        text += f", {result.quota} quota snapshots"
    if result.rejected:
        text += f", {result.rejected} rejected lines (see `packwatch rejected`)"
    return text


def report_missing(result: CatchUp) -> None:
    for path in result.missing:
        if result.agent_files and path == DEFAULT_LEDGER.expanduser():
            continue  # Claude Code or Codex logs were found: no Code Puppy ledger is normal
        if path.name in ("projects", "sessions"):
            warn(f"no agent logs at {path}: fix [sources] in the config file, or set it to auto")
        else:
            warn(f"no ledger at {path}: pass --ledger, or try `packwatch demo`")
    for error in result.errors:
        warn(f"cannot read {error}")


def open_caught_up(settings: Settings) -> tuple[Store, CatchUp]:
    """The store, caught up. When another packwatch holds it, a private in-memory index built from the
    ledgers answers instead (the store is only ever a derived index), and stderr says so."""
    store, busy = open_store(settings)
    if busy:
        warn(busy.replace("reading the ledgers into memory instead", "reading the ledgers directly this time"))
    return store, catch_up_all(store, settings)
