"""``packwatch install claude-code [--uninstall] [--mcp]`` (and ``install codex``): packwatch's status
line, hooks and MCP entry in the agent's own settings.

Claude Code 2.1.332 reads ``statusLine`` and ``hooks`` from ``$CLAUDE_CONFIG_DIR/settings.json`` (else
``~/.claude/settings.json``) and user-scope MCP servers from ``.claude.json``'s top-level
``mcpServers`` beside it (``$CLAUDE_CONFIG_DIR/.claude.json``, else ``~/.claude.json``: what
``claude mcp add --scope user`` writes). Every other key is left as it was; a file is backed up
(``<name>.packwatch-backup-<time>``) before it changes and replaced atomically; running it again
changes nothing. A file that is not valid JSON is left untouched (exit 2, one line).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from ledger.settings import Settings

from .agent_config import is_ours, load, save

CLAUDE_EVENTS = {"PreToolUse": "pre-tool-use", "UserPromptSubmit": "user-prompt-submit",
                 "PreCompact": "pre-compact", "SessionStart": "session-start", "SessionEnd": "session-end"}
HOOK_TIMEOUT_S = 10  # SessionEnd hooks get 1.5 s unless they set a timeout; ours take tens of ms
MCP_NAME = "packwatch"


def packwatch_command() -> list[str]:
    """How the agent should run this packwatch: the script that is running, else this interpreter."""
    script = Path(sys.argv[0])
    if script.name.startswith("packwatch") and script.exists():
        return [str(script.absolute())]
    return [sys.executable, "-m", "dashboard.cli"]


def claude_dir() -> Path:
    given = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    return Path(given.split(",")[0]).expanduser() if given else Path.home() / ".claude"


def claude_json() -> Path:
    given = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    return claude_dir() / ".claude.json" if given else Path.home() / ".claude.json"


def claude_settings(settings: dict[str, Any], command: list[str], uninstall: bool,
                    extra: list[str] | None = None) -> dict[str, Any]:
    """``settings.json`` with packwatch's status line and hooks in (or out)."""
    out = json.loads(json.dumps(settings))  # a deep copy that keeps key order
    status = out.get("statusLine")
    if isinstance(status, dict) and is_ours(status.get("command"), "statusline"):
        out.pop("statusLine")
    if not uninstall:
        out["statusLine"] = {"type": "command", "command": shlex.join([*command, "statusline", *(extra or [])])}
    hooks = out.get("hooks") if isinstance(out.get("hooks"), dict) else {}
    for event, name in CLAUDE_EVENTS.items():
        groups = [g for g in hooks.get(event) or [] if not _our_group(g, name)]
        if not uninstall:
            line = shlex.join([*command, "hook", "claude-code", name, *(extra or [])])
            groups.append({"hooks": [{"type": "command", "command": line, "timeout": HOOK_TIMEOUT_S}]})
        if groups:
            hooks[event] = groups
        else:
            hooks.pop(event, None)
    if hooks:
        out["hooks"] = hooks
    else:
        out.pop("hooks", None)
    return out


def _our_group(group: Any, name: str) -> bool:
    handlers = group.get("hooks") if isinstance(group, dict) else None
    return any(isinstance(h, dict) and is_ours(h.get("command"), "hook", "claude-code", name) for h in handlers or [])


def claude_mcp(config: dict[str, Any], command: list[str], uninstall: bool,
               extra: list[str] | None = None) -> dict[str, Any]:
    out = json.loads(json.dumps(config))
    servers = out.get("mcpServers") if isinstance(out.get("mcpServers"), dict) else {}
    servers.pop(MCP_NAME, None)
    if not uninstall:
        servers[MCP_NAME] = {"type": "stdio", "command": command[0], "args": [*command[1:], "mcp", *(extra or [])],
                              "env": {}}
    out["mcpServers"] = servers
    if not servers and "mcpServers" not in config:
        out.pop("mcpServers")
    return out


def cmd_install(args: argparse.Namespace, settings: Settings) -> int:
    command = packwatch_command()
    # After the command's own words (the light commands are dispatched on the first word): the
    # agent's packwatch must find the same folder this one was told about.
    extra = ["--ledger", str(Path(args.ledger[0]).absolute())] if args.ledger else []
    if args.target == "codex":
        from .install_codex import install_codex

        return install_codex(command, extra, uninstall=args.uninstall, mcp=args.mcp)
    verb = "removed from" if args.uninstall else "written to"
    path = claude_dir() / "settings.json"
    before = load(path)
    mcp_path = claude_json()
    # --uninstall takes the MCP entry out too, when one is there; both files are checked before
    # either is written.
    mcp_before = load(mcp_path) if args.mcp or (args.uninstall and mcp_path.exists()) else None
    changed = save(path, before, claude_settings(before, command, args.uninstall, extra))
    print(f"packwatch: status line and hooks {verb} {path}" if changed else f"packwatch: {path} already up to date")
    if mcp_before is not None:
        changed = save(mcp_path, mcp_before, claude_mcp(mcp_before, command, args.uninstall, extra))
        print(f"packwatch: MCP server {MCP_NAME!r} {verb} {mcp_path}" if changed
              else f"packwatch: {mcp_path} already up to date")
    return 0
