"""The headless follow loop behind ``packwatch collect``: catch up, then wait for file changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import watch

from ledger.settings import Settings
from ledger.store import Store

from .sources import agent_logs, catch_up_all
from .tail import CatchUp


def watch_roots(paths: list[Path]) -> list[Path]:
    """Folders to watch: a ledger's folder (so creation and rotation are seen), or the folder."""
    roots = []
    for p in paths:
        root = p if p.is_dir() else p.parent
        while not root.exists() and root != root.parent:
            root = root.parent
        roots.append(root)
    return list(dict.fromkeys(roots))


def follow(
    store: Store,
    settings: Settings,
    on_batch: Callable[[CatchUp], None],
    *,
    poll: float = 1.0,
    stop: threading.Event | None = None,
) -> None:
    """Catch up whenever a watched folder changes, and every ``poll`` seconds regardless
    (file events do not cross network mounts). Each file range commits with its offset, so a
    kill at any moment loses nothing."""
    on_batch(catch_up_all(store, settings))
    logs = [root for log in agent_logs(settings) for root in log.roots if root.is_dir()]
    for _changes in watch(
        *watch_roots([*settings.ledgers, *logs]), debounce=50, step=50, rust_timeout=int(poll * 1000),
        yield_on_timeout=True, raise_interrupt=False, stop_event=stop,
    ):
        result = catch_up_all(store, settings)
        if result.changed or result.errors:
            on_batch(result)
