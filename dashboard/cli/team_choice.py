"""Whether a command runs on the team's rows (``--team``, ``PACKWATCH_TEAM_URL``, ``[team] url``) and with
which machine and user filters. Light: every ``status``, ``report`` and dashboard asks, and only a team
loads psycopg and the team's modules."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from ledger.scope import AgentScope
from ledger.settings import Settings
from ledger.team.names import team_url, user_name

from .common import UsageError, scope_of

if TYPE_CHECKING:
    from collectors.team_refresh import Team


def team_of(args: argparse.Namespace, settings: Settings, *, needed: bool = False) -> Team | None:
    """The team database named by ``--team``, ``PACKWATCH_TEAM_URL`` or ``[team] url`` (None: none)."""
    configured = settings.team.url.get_secret_value() if settings.team.url else None
    url = team_url(getattr(args, "team", None), configured)
    if url is None:
        if needed:
            raise UsageError("no team database: pass --team postgresql://user@host/db, or set PACKWATCH_TEAM_URL "
                             "or [team] url")
        if getattr(args, "machines", None) or getattr(args, "users", None):
            raise UsageError("--machine and --user filter the team's rows: pass --team URL too")
        return None
    from collectors.team_refresh import Team  # (psycopg and the team's modules load only for a team)

    return Team(url, getattr(args, "machine_name", None) or settings.team.machine, user_name())


def team_scope(args: argparse.Namespace) -> AgentScope:
    """``--agent`` with the team's ``--machine`` and ``--user`` filters."""
    scope = scope_of(args)
    clean = lambda names: tuple(dict.fromkeys(n.strip() for n in names or () if n.strip()))  # noqa: E731
    return dataclasses.replace(scope, machines=clean(getattr(args, "machines", None)),
                               users=clean(getattr(args, "users", None)))
