"""The small JSON files the light path reads and writes beside the ledger: the summary the collector
and the dashboard keep fresh (``packwatch-summary.json``) and each agent's hook state. Written
whole to a temporary file and ``os.replace``d, so a reader sees the old file or the new one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .where import SUMMARY_FILE

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at import
    from typing import Any


def read_json(path: Path) -> dict[str, Any] | None:
    """The object in ``path``; None when it is missing, unreadable or not a JSON object."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` atomically (a temporary file in the same folder, then
    ``os.replace``). Not fsynced: these files are caches that the next run writes again."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def summary_path(folder: Path) -> Path:
    return folder / SUMMARY_FILE


def state_path(folder: Path, agent: str) -> Path:
    return folder / f".packwatch-{agent}.state.json"
