"""``packwatch install codex [--uninstall]``: packwatch's hooks for the Codex CLI, trusted.

Codex 0.171.0 reads user hooks from ``$CODEX_HOME/hooks.json`` (``codex-rs/hooks/src/engine/discovery.rs``)
but runs a hook only when it is trusted; an untrusted one is skipped without a word. Trust is
``[hooks.state."<hooks.json path>:<event>:<group>:<handler>"] trusted_hash = "sha256:<hex>"`` in
``config.toml``, the hash being SHA-256 of the handler group as compact sorted JSON
(``{"event_name", "matcher"?, "hooks": [{"type", "command", "timeout", "async"}]}``): the recipe the
research reproduced for every ``currentHash`` that ``codex app-server``'s ``hooks/list`` reported.
A changed command needs a new hash, so installing again rewrites both. Other hooks and keys stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

from ledger.atomic import replacing

from .agent_config import is_ours, load, save
from .common import UsageError

EVENTS = {"PreToolUse": ("pre_tool_use", "pre-tool-use", "*"),
          "UserPromptSubmit": ("user_prompt_submit", "user-prompt-submit", None),
          "SessionStart": ("session_start", "session-start", None),
          "PreCompact": ("pre_compact", "pre-compact", None)}
TIMEOUT_S = 30
MARK = "# packwatch hook trust (packwatch install codex)"


def codex_home() -> Path:
    given = os.environ.get("CODEX_HOME", "").strip()
    return Path(given).expanduser() if given else Path.home() / ".codex"


def trust_hash(event: str, matcher: str | None, command: str, timeout: int = TIMEOUT_S) -> str:
    group: dict[str, Any] = {"event_name": event,
                             "hooks": [{"type": "command", "command": command, "timeout": timeout, "async": False}]}
    if matcher is not None:
        group["matcher"] = matcher
    return "sha256:" + hashlib.sha256(json.dumps(group, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def hooks_json(data: dict[str, Any], command: list[str], extra: list[str], uninstall: bool,
               ) -> tuple[dict[str, Any], dict[str, str]]:
    """(hooks.json with packwatch's groups in or out, the trust entries they need)."""
    out = json.loads(json.dumps(data))
    hooks = out.get("hooks") if isinstance(out.get("hooks"), dict) else {}
    trust: dict[str, str] = {}
    for event, (snake, name, matcher) in EVENTS.items():
        groups = [g for g in hooks.get(event) or [] if not _ours(g, name)]
        if not uninstall:
            line = shlex.join([*command, "hook", "codex", name, *extra])
            group: dict[str, Any] = {"hooks": [{"type": "command", "command": line, "timeout": TIMEOUT_S}]}
            if matcher is not None:
                group = {"matcher": matcher, **group}
            trust[f"{snake}:{len(groups)}:0"] = trust_hash(snake, matcher, line)
            groups.append(group)
        if groups:
            hooks[event] = groups
        else:
            hooks.pop(event, None)
    out["hooks"] = hooks
    return out, trust


def _ours(group: Any, name: str) -> bool:
    handlers = group.get("hooks") if isinstance(group, dict) else None
    return any(isinstance(h, dict) and is_ours(h.get("command"), "hook", "codex", name) for h in handlers or [])


MCP_TABLE = re.compile(r"^\[mcp_servers\.packwatch\]\ncommand = [^\n]*\nargs = [^\n]*\n", re.M)


def config_toml(text: str, hooks_path: Path, trust: dict[str, str], mcp: list[str] | None = None) -> str:
    """config.toml with packwatch's trust tables (for ``hooks_path``) replaced by ``trust``'s, and
    packwatch's ``[mcp_servers.packwatch]`` table (what ``codex mcp add`` writes) by ``mcp``'s command."""
    prefix = f"{hooks_path}:"
    table = re.compile(r'^\[hooks\.state\."(?P<key>[^"]+)"\]\n(?:trusted_hash = "[^"\n]*"\n)?', re.M)
    ours = {f"{prefix}{snake}" for snake, _, _ in EVENTS.values()}
    kept = table.sub(lambda m: "" if m["key"].rsplit(":", 2)[0] in ours else m[0], text.replace(MARK + "\n", ""))
    kept = MCP_TABLE.sub("", kept) if mcp is not None or not trust else kept
    kept = re.sub(r"\n{3,}", "\n\n", kept)
    kept = kept.rstrip("\n") + "\n" if kept.strip() else ""
    if not trust:
        return kept
    block = "".join(f'[hooks.state."{prefix}{key}"]\ntrusted_hash = "{value}"\n\n' for key, value in trust.items())
    if mcp:  # TOML basic strings take JSON's escapes
        block += f"[mcp_servers.packwatch]\ncommand = {json.dumps(mcp[0])}\nargs = {json.dumps(mcp[1:])}\n"
    return f"{kept}\n{MARK}\n{block}".lstrip("\n").rstrip("\n") + "\n"


def install_codex(command: list[str], extra: list[str], *, uninstall: bool, mcp: bool = False) -> int:
    home = codex_home()
    hooks_path, config_path = home / "hooks.json", home / "config.toml"
    before = load(hooks_path)
    try:
        text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
        tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{config_path} is not valid TOML ({exc}); left untouched: fix it, then run this "
                         "again") from None
    after, trust = hooks_json(before, command, extra, uninstall)
    new_text = config_toml(text, hooks_path.absolute(), trust, [*command, "mcp", *extra] if mcp else None)
    tomllib.loads(new_text)  # never write a config Codex cannot read
    changed = save(hooks_path, before, after)
    if new_text != text:
        config_path.parent.mkdir(parents=True, exist_ok=True)
        if config_path.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            config_path.with_name(f"config.toml.packwatch-backup-{stamp}").write_text(text)
        with replacing(config_path, 0o600) as fh:
            fh.write(new_text.encode())
        changed = True
    verb = "removed from" if uninstall else "written to (and trusted in config.toml)"
    print(f"packwatch: Codex hooks {verb} {hooks_path}" if changed else f"packwatch: {hooks_path} already up to date")
    return 0
