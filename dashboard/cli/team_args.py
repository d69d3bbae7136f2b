"""The team store's options (``--team``, ``--machine``, ``--user``, ``--push``) and the ``push`` and
``serve`` commands' parsers, beside the main parser so it stays one screen of options."""

from __future__ import annotations

import argparse
from typing import Any

TEAM_HELP = "the team's PostgreSQL database (libpq URL; or PACKWATCH_TEAM_URL, [team] url)"


def team_option(p: argparse.ArgumentParser, *, nested: bool = False, filters: bool = True) -> None:
    """``--team`` and, on the commands that read the team's rows, the machine and user filters."""
    default = {"default": argparse.SUPPRESS} if nested else {}
    p.add_argument("--team", metavar="URL", help=TEAM_HELP, **default)
    if filters:
        p.add_argument("--machine", action="append", metavar="NAME", dest="machines",
                       help="with --team: count only this machine's rows (repeatable)", **default)
        p.add_argument("--user", action="append", metavar="NAME", dest="users",
                       help="with --team: count only this user's rows (repeatable)", **default)


def pusher_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--team", metavar="URL", help=TEAM_HELP)
    p.add_argument("--machine", metavar="NAME", dest="machine_name",
                   help="this machine's name in the team database (default: [team] machine, else the host name)")


def add_team_commands(sub: Any, common: Any) -> None:
    push = sub.add_parser("push", help="catch up on the ledgers, then send the store's new rows to the team database")
    common(push, nested=True)
    pusher_options(push)
    serve = sub.add_parser("serve", help="the dashboard in a browser (textual-serve)")
    common(serve, nested=True)
    team_option(serve, nested=True)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="the port (default 8765)")
    serve.add_argument("--token", metavar="SECRET",
                       help="required in the URL (?token=...) for a bind beyond loopback; or PACKWATCH_SERVE_TOKEN")
    serve.add_argument("--public-url", metavar="URL", help="the address browsers use, when behind a proxy")
    serve.add_argument("--allow-remote", action="store_true",
                       help="listen beyond loopback without a token (only behind your own authentication)")
