"""``packwatch serve``: the same dashboard in a browser, through textual-serve (Textualize's server: each
browser tab runs ``packwatch`` with Textual's web driver and talks to it over a websocket).

It listens on 127.0.0.1 unless told otherwise. Beyond loopback it needs ``--token`` (or
``PACKWATCH_SERVE_TOKEN``): then the page and its websocket answer only a request that carries the token
(``?token=...`` once; a same-site, HTTP-only cookie after that), or ``--allow-remote`` for a server that
sits behind authentication of its own. The token never reaches a log line (``safe_url`` drops queries)."""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import logging
import os
import re
import shlex
import sys
from pathlib import Path

from ledger.secrets import safe_url
from ledger.settings import Settings

from .common import UsageError

TOKEN_ENV = "PACKWATCH_SERVE_TOKEN"
COOKIE = "packwatch_token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def dashboard_command(args: argparse.Namespace, settings: Settings) -> str:
    """The ``packwatch`` command each browser tab runs: this interpreter, the same store, ledgers, config
    and team (the team URL through the environment, never on a command line others can read)."""
    parts = [sys.executable, "-m", "dashboard.cli", "--db", str(settings.db)]
    for ledger in settings.ledgers:
        parts += ["--ledger", str(ledger)]
    if getattr(args, "config", None):
        parts += ["--config", str(Path(args.config).expanduser())]
    for flag, names in (("--agent", "agent"), ("--machine", "machines"), ("--user", "users")):
        for name in getattr(args, names, None) or []:
            parts += [flag, name]
    return shlex.join(parts)


def make_server(args: argparse.Namespace, settings: Settings):
    from textual_serve.server import Server

    token = args.token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(args.host) and not token and not args.allow_remote:
        raise UsageError(f"--host {args.host} is beyond loopback: anyone who reaches it could steer your agents; "
                         "pass --token SECRET (or PACKWATCH_SERVE_TOKEN), or --allow-remote behind your own "
                         "authentication")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port (1 to 65535)")
    team = getattr(args, "team", None)
    if team:
        os.environ["PACKWATCH_TEAM_URL"] = team  # the tabs' dashboards read it; no command line shows it
    server = Server(dashboard_command(args, settings), host=args.host, port=args.port, title="packwatch",
                    public_url=args.public_url)
    if token:
        _require_token(server, token)
    logging.getLogger("aiohttp.access").addFilter(_no_token_in_logs)
    return server


_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"]+")


def _no_token_in_logs(record: logging.LogRecord) -> bool:
    """aiohttp's access log writes each request line: the token in one is masked."""
    record.msg, record.args = _TOKEN_IN_URL.sub(r"\1****", record.getMessage()), ()
    return True


def _require_token(server, token: str) -> None:
    """Every request but the static files must carry the token (query or cookie)."""
    from aiohttp import web

    make_app = server._make_app

    @web.middleware
    async def check(request: web.Request, handler):
        if request.path.startswith("/static/"):
            return await handler(request)
        given = request.query.get("token") or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise web.HTTPUnauthorized(text="packwatch: open this page with ?token=...\n")
        response = await handler(request)
        if "token" in request.query and isinstance(response, web.Response):
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        return response

    async def app_with_token():
        app = await make_app()
        app.middlewares.append(check)
        return app

    server._make_app = app_with_token


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    server = make_server(args, settings)
    print(f"packwatch serve: open {safe_url(server.public_url)}/ (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        server.serve()
    finally:
        sys.unraisablehook = _quiet_closed_loop
    return 0


def _quiet_closed_loop(unraisable) -> None:
    """Stopped while a tab's dashboard still ran, asyncio collects that process's transport after its loop
    closed and prints "Event loop is closed" from ``__del__`` (harmless: the process is gone); only that
    one is silenced."""
    exc = unraisable.exc_value
    if isinstance(exc, RuntimeError) and str(exc) == "Event loop is closed":
        return
    sys.__unraisablehook__(unraisable)
