"""What installing into an agent's own config files shares: read a JSON settings file (a file that is
not valid JSON is refused, never overwritten), write one with a backup and atomically only when it
changed, and tell packwatch's own commands from the user's (at any install path)."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import shutil
from pathlib import Path
from typing import Any

from ledger.atomic import replacing

from .common import UsageError


def load(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` ({} when missing); UsageError when it is not one."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}; left untouched") from None
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise UsageError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); left untouched: "
                         "fix it, then run this again") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object; left untouched")
    return data


def save(path: Path, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Write ``after`` when it differs from ``before``, after a backup; whether it wrote."""
    if after == before and path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        shutil.copy2(path, path.with_name(f"{path.name}.packwatch-backup-{stamp}"))
        mode = path.stat().st_mode & 0o777
    else:
        mode = 0o600  # Claude Code's own files are private
    with replacing(path, mode) as fh:
        fh.write((json.dumps(after, indent=2) + "\n").encode())
    return True


def is_ours(command: Any, *tail: str) -> bool:
    """Whether a configured command is a packwatch one ending in ``tail`` (any install path)."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    program = " ".join(words[:3])
    if not words or not ("packwatch" in Path(words[0]).name or "dashboard.cli" in program):
        return False
    return any(tuple(words[i:i + len(tail)]) == tail for i in range(len(words)))
