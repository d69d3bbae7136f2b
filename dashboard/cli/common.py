"""What every command shares: its settings, its one-line messages, and a store caught up on the
ledgers. Every failure a user can cause ends in one line that says what to do."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable

from pydantic import ValidationError

from collectors.progress import ProgressReport, ReadProgress, Throttled
from collectors.sources import catch_up_all, open_store
from collectors.tail import CatchUp
from ledger.scope import KNOWN_AGENTS, AgentScope
from ledger.settings import DEFAULT_LEDGER, Settings, load_settings
from ledger.store import Store
from ledger.text import printable

from . import answers


class UsageError(Exception):
    """Bad usage or input: exit 2."""


def settings_of(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.config, ledgers=args.ledger, db=args.db)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            raise UsageError(f"unknown setting {where} in the config file{_did_you_mean(err['loc'])}; "
                             "`packwatch config` lists them all") from None
        raise UsageError(f"bad setting {where}: {err['msg']}; fix the config file or flag") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the config: {exc}") from None
    except RecursionError:
        raise UsageError("cannot read the config: it nests too deeply (an array or table in itself "
                         "hundreds of times)") from None


def _did_you_mean(loc: tuple) -> str:
    """`` (did you mean budgets?)`` for a misspelt top-level or section key."""
    from pydantic import BaseModel

    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def scope_of(args: argparse.Namespace) -> AgentScope:
    """The agent programs ``--agent`` names (none: every agent); a name that is no agent program is
    bad usage (``--agent claude`` would count nothing and say nothing)."""
    scope = AgentScope.of(getattr(args, "agent", None))
    unknown = [a for a in scope.agents if a not in KNOWN_AGENTS]
    if unknown:
        raise UsageError(f"--agent {unknown[0]!r} is no agent program: use one of {', '.join(KNOWN_AGENTS)}")
    return scope


def warn(message: str) -> None:
    """One line on stderr; a file's name in it never moves the cursor or retitles the terminal."""
    line = f"packwatch: {printable(message)}\n"
    sys.stderr.write(line)
    answers.heard(line)


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
            continue  # another agent's logs were found: no Code Puppy ledger is normal
        warn(f"no ledger at {path}: pass --ledger, or try `packwatch demo`")
    for agent in result.missing_agents:
        warn(f"no logs of {agent}: fix [sources] in the config file, or set it to auto")
    for error in result.errors:
        warn(f"cannot read {error}")


def open_caught_up(settings: Settings, opened: Callable[[Store], None] | None = None) -> tuple[Store, CatchUp]:
    """The store, caught up. When another packwatch holds it, a private in-memory index built from the
    ledgers answers instead (the store is only ever a derived index), and stderr says so. ``opened`` is
    called with the store before the catch-up."""
    store, busy = open_store(settings)
    if busy:
        warn(busy.replace("reading the ledgers into memory instead", "reading the ledgers directly this time"))
    if opened is not None:
        opened(store)
    return store, catch_up_all(store, settings, progress=stderr_progress())


def stderr_progress() -> ProgressReport | None:
    """A long read's progress on stderr, one line rewritten in place, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(progress: ReadProgress) -> None:
        sys.stderr.write(f"\r{progress.text()}\x1b[K" + ("\n" if progress.done else ""))
        sys.stderr.flush()

    return Throttled(show)
