"""The ``packwatch`` command: one module per command group. Only ``tui`` (the dashboard and the demo)
imports Textual; the headless commands (status, report, collect, control, rebuild, config) never do,
so they start fast and run where Textual is not installed. Exit codes: 0 ok, 2 bad usage or input,
1 anything else (DESIGN.md); ``status`` also 10 (warning) and 11 (a limit reached)."""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading

from .light import LIGHT_COMMANDS

# command -> (module, function): imported only when the command runs
COMMANDS = {
    None: ("tui", "cmd_dashboard"),
    "demo": ("tui", "cmd_demo"),
    "status": ("status", "cmd_status"),
    "collect": ("collect", "cmd_collect"),
    "report": ("report", "cmd_report"),
    "rejected": ("report", "cmd_rejected"),
    "rebuild": ("store_cmds", "cmd_rebuild"),
    "config": ("store_cmds", "cmd_config"),
    "control": ("control", "cmd_control"),
    "install": ("install", "cmd_install"),
    "mcp": ("mcp_cmd", "cmd_mcp"),
    "alerts": ("alerts_cmd", "cmd_alerts"),
    "push": ("team", "cmd_push"),
    "serve": ("serve", "cmd_serve"),
    "statusline": ("light", "cmd_light"),
    "hook": ("light", "cmd_light"),
}


def main(argv: list[str] | None = None) -> int:
    """The command ``argv`` names. Without ``argv`` (the console script: ``sys.argv``) the process then
    ends itself (``leave``)."""
    if argv is not None:
        return _main(list(argv))
    code = _main(sys.argv[1:])
    leave(code)
    return code


def leave(code: int) -> None:
    """End the process now, its output flushed and its exit handlers run, but without tearing the interpreter
    down (freeing DuckDB's, polars' and pydantic's objects one by one: 0.1 s after a report, 0.4 s after a
    cold read). Only when no other thread is left that a normal exit would wait for; else it returns."""
    if threading.active_count() > 1:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: as a normal exit, nothing more to say
            pass
    atexit._run_exitfuncs()
    os._exit(code)


def _main(argv: list[str]) -> int:
    if argv and argv[0] in LIGHT_COMMANDS:
        # On every prompt and tool call: before argparse, the settings model or the store is imported.
        from .light import run

        return run(argv)
    from . import answers

    answers.begin(argv)
    served = answers.serve()  # a report proven current: no settings model, store or query at all
    if served is not None:
        return served
    # Other packages' pydantic plugins load with packwatch's first model (logfire's: a quarter of a second
    # of imports on every command); packwatch uses none. A value the user set is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .parser import build_parser

    args = build_parser().parse_args(argv)
    from ledger.store import NotAStore, StoreError, trouble

    from .common import UsageError, settings_of, warn

    module, name = COMMANDS[args.command]
    command = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    try:
        if args.command in LIGHT_COMMANDS:  # options came before the command: still no settings model
            return command(args)
        return command(args, settings_of(args))
    except (UsageError, NotAStore) as exc:
        warn(str(exc))
        return 2
    except StoreError as exc:
        warn(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a traceback for a user: one line, and how to see more
        explained = trouble(exc, getattr(args, "db", None))
        if os.environ.get("PACKWATCH_DEBUG") and explained is None:
            raise
        warn(str(explained) if explained else _unexpected(exc))
        return 1


def _unexpected(exc: Exception) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"unexpected {type(exc).__name__}: {first} (set PACKWATCH_DEBUG=1 to see where; please report it)"


if __name__ == "__main__":
    sys.exit(main())
