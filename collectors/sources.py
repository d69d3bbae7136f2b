"""Everything packwatch reads, in one pass: the usage ledgers, the agent event log beside each,
Code Puppy's own errors.log, and other agents' own logs (collectors.agents: Claude Code, Codex, Gemini CLI,
OpenCode, Qwen Code, Copilot CLI)."""

from __future__ import annotations

from pathlib import Path

from ledger.settings import Settings
from ledger.store import Store, StoreBusy

from . import errorlog
from .agents import enabled
from .agents.reader import catch_up_log
from .progress import ProgressReport
from .tail import CatchUp, catch_up


def open_store(settings: Settings) -> tuple[Store, str | None]:
    """(the store, a warning when another process held it and an in-memory index stands in)."""
    try:
        return Store.open(settings), None
    except StoreBusy as exc:
        return Store.open(settings, memory=True), f"{exc}; reading the ledgers into memory instead"


def event_paths(ledgers: list[Path], name: str = "events.jsonl") -> list[Path]:
    """Where the event logs are: ``events.jsonl`` beside a ledger file, or inside a ledger folder
    (``quota.jsonl``, the status line's quota snapshots, likewise)."""
    return list(dict.fromkeys(p if p.is_dir() else p.parent / name for p in ledgers))


def catch_up_all(store: Store, settings: Settings, *, with_agent_logs: bool = True,
                 progress: ProgressReport | None = None) -> CatchUp:
    """Usage first, then events and errors.log, then other agents' logs (unless ``with_agent_logs`` is
    False: the caller knows they did not change). Only a missing *ledger* is reported: an agent
    that writes no event log, or has logged no error yet, is normal. ``progress``: how far a long read
    of agents' logs got."""
    # One query for the ledgers' kinds; each agent's thousands of files are checked on their own.
    known = store.active_sources(("usage", "events", errorlog.KIND, "quota"))
    result = catch_up(store, settings.ledgers, known=known.get("usage", {}))
    for paths, kind in ((event_paths(settings.ledgers), "events"), ([settings.error_log], errorlog.KIND),
                        (event_paths(settings.ledgers, "quota.jsonl"), "quota")):
        got = catch_up(store, paths, kind=kind, known=known.get(kind, {}))
        if kind == "quota":
            result.quota += got.rows
            got.rows = 0
        result.events += got.rows
        result.rejected += got.rejected
        result.files += got.files
        result.errors += got.errors
    for log in enabled(settings) if with_agent_logs else []:
        result += catch_up_log(store, log, progress)
    return result
