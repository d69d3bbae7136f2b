"""What a rotated generation of a ledger is called, and where its siblings are: logrotate's numbers
(``usage.jsonl.1``, ``.1.2``) or dates (dateext: ``usage.jsonl-20250601``, ``-2025060110``), or Python's
TimedRotatingFileHandler's (``.2025-06-01_10``). Compressed generations (``.gz``) are not read."""

from __future__ import annotations

import re
from pathlib import Path

_PART = r"(?:\.\d+|-\d{8}(?:[-_]?\d{2,6})?|\.\d{4}-\d{2}-\d{2}(?:[_-]\d{2}(?:-\d{2}){0,2})?)"
_GENERATION = re.compile(rf"^(?P<base>.+?)(?P<gen>{_PART}+)$")


def base_of(path: Path) -> Path:
    """The ledger a rotated generation came from: ``usage.jsonl.2`` -> ``usage.jsonl``."""
    m = _GENERATION.match(path.name)
    return path.with_name(m.group("base")) if m else path


def is_generation(path: Path) -> bool:
    return _GENERATION.match(path.name) is not None


def siblings(base: Path) -> list[Path]:
    """``base`` and its rotated generations, as its folder lists them now."""
    try:
        return [p for p in base.parent.iterdir() if p.name == base.name or (
            p.name.startswith(base.name) and base_of(p) == base)]
    except OSError:
        return []


def age(path: Path) -> float:
    """Oldest first, whatever the naming scheme: by modification time."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
