"""The team database's names that every command needs to know whether a team is in play, without loading
psycopg: the URL in force, this machine's and this user's names."""

from __future__ import annotations

import getpass
import os
import socket

ENV = "PACKWATCH_TEAM_URL"


def team_url(flag: str | None, configured: str | None) -> str | None:
    """The URL in force: the flag, else the environment, else the config file (None: no team)."""
    return flag or os.environ.get(ENV) or configured or None


def machine_name(flag: str | None = None, configured: str | None = None) -> str:
    return flag or configured or socket.gethostname()


def user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"
