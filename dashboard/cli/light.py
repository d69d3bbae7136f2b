"""The commands an agent runs on every prompt and tool call: ``statusline`` and ``hook AGENT EVENT``.

``packwatch`` dispatches to them before anything else is imported (no argparse, no settings model,
no DuckDB, polars, pydantic or Textual): ``python -X importtime`` shows only the standard library
and ``ledger.agent``'s light modules. Options: ``--ledger PATH`` and ``--config PATH`` (as for every
command); ``PACKWATCH_CONTROL_DIR`` wins over both, as for the Code Puppy plugin.
"""

from __future__ import annotations

import os
import sys

LIGHT_COMMANDS = ("statusline", "hook")
USAGE = {"statusline": "packwatch statusline [--ledger PATH] [--config PATH]  (JSON on stdin)",
         "hook": "packwatch hook AGENT EVENT [--ledger PATH] [--config PATH]  (JSON on stdin)"}


def _options(args: list[str]) -> tuple[list[str], str | None]:
    """(the positional arguments, a problem) after applying --ledger and --config."""
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        name, eq, value = arg.partition("=")
        if name in ("--ledger", "--config"):
            value = value if eq else next(it, "")
            if not value:
                return rest, f"{name} needs a path"
            os.environ["PACKWATCH_LEDGERS" if name == "--ledger" else "PACKWATCH_CONFIG"] = value
        elif arg in ("-h", "--help"):
            return rest, "help"
        elif arg.startswith("-"):
            return rest, f"unknown option {arg}"
        else:
            rest.append(arg)
    return rest, None


def run(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    positional, problem = _options(args)
    if problem == "help":
        print(f"usage: {USAGE[command]}")
        return 0
    want = 0 if command == "statusline" else 2
    if problem or len(positional) != want:
        print(f"packwatch: {problem or 'wrong arguments'}; usage: {USAGE[command]}", file=sys.stderr)
        if command == "statusline":  # Claude Code shows whatever it prints: keep it one plain line
            print("packwatch: bad statusline command")
            return 0
        return 2
    stdin = _stdin()
    if command == "statusline":
        from ledger.agent.statusline import run as statusline

        line, code = statusline(stdin)
        print(line)
        return code
    from ledger.agent.hooks import run as hook

    return hook(positional[0], positional[1], stdin)


def _stdin() -> str:
    try:
        return sys.stdin.buffer.read().decode("utf-8", errors="replace") if sys.stdin else ""
    except (OSError, ValueError):
        return ""


def cmd_light(args) -> int:
    """The same commands reached through the full parser (an option came before the command)."""
    for name, value in (("PACKWATCH_LEDGERS", args.ledger and str(args.ledger[0])), ("PACKWATCH_CONFIG", args.config)):
        if value:
            os.environ[name] = str(value)
    return run([args.command, *([args.agent_name, args.event] if args.command == "hook" else [])])
