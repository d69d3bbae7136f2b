"""What to watch for new lines, and which file-system changes mean "the ledgers may have new lines":
shared by the headless follow loop and the dashboard's watchers."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

from watchfiles import Change

from ledger.settings import Settings

from .agents import enabled
from .tail import GLOBS


def watch_roots(paths: list[Path]) -> list[Path]:
    """Folders to watch: a ledger's folder (so creation and rotation are seen), or the folder; for a
    missing one, its nearest existing parent."""
    roots = []
    for p in paths:
        root = p if p.is_dir() else p.parent
        while not root.exists() and root != root.parent:
            root = root.parent
        roots.append(root)
    return list(dict.fromkeys(roots))


class LedgerChanges:
    """A ``watchfiles`` filter plus the folders to watch for a set of configured ledgers (and the
    event logs beside them).

    The filter matters: the store (and its WAL) may sit in the ledger's folder, and reacting to
    our own writes would make every refresh trigger the next one.
    """

    def __init__(self, ledgers: list[Path]) -> None:
        self.ledgers = [p.absolute() for p in ledgers]
        self.roots = watch_roots(self.ledgers)
        # A folder ledger is searched recursively, so it is watched recursively; a file's folder,
        # or the nearest existing parent of a missing ledger, only needs its own entries.
        self.recursive = any(p.is_dir() for p in self.ledgers)

    def __call__(self, _change: Change, path: str) -> bool:
        changed = Path(path)
        if any(fnmatch(changed.name, glob) or fnmatch(changed.name, glob + ".*") for glob in GLOBS.values()):
            return True  # a ledger or an event log, or one of them rotated
        if changed.name == "control.json":
            return True  # another dashboard or `packwatch control` changed the controls
        for ledger in self.ledgers:
            if changed == ledger or changed in ledger.parents:  # a ledger, or a folder on its way
                return True
            if changed.parent == ledger.parent and changed.name.startswith(ledger.name):  # rotated
                return True
        return False

    def stale(self) -> bool:
        """The folders to watch changed (a missing ledger's folder appeared): restart the watch."""
        return watch_roots(self.ledgers) != self.roots or any(p.is_dir() for p in self.ledgers) != self.recursive


AGENT_LOG_SUFFIXES = (".jsonl", ".json")


class AgentLogChanges:
    """A ``watchfiles`` filter for other agents' logs: any ``.jsonl`` or ``.json`` under their
    folders, which are watched recursively (one file per session, in dated or per-project folders),
    and the single files (a database and its ``-wal``, a named export), whose folders are watched
    on their own, not recursively (OpenCode's data folder also holds whole git snapshots)."""

    def __init__(self, roots: list[Path], files: list[Path] | None = None) -> None:
        self.roots = [r for r in dict.fromkeys(roots) if r.is_dir()]
        self.files = list(dict.fromkeys(files or []))
        self.file_roots = [p for p in dict.fromkeys(f.parent for f in self.files) if p.is_dir()]
        self._names = {str(f) for f in self.files} | {f"{f}-wal" for f in self.files}

    def __call__(self, _change: Change, path: str) -> bool:
        return path.endswith(AGENT_LOG_SUFFIXES) or path in self._names

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AgentLogChanges) and (self.roots, self.file_roots) == (other.roots, other.file_roots)


def ledger_changes(settings: Settings) -> LedgerChanges:
    """The ledgers (their event logs sit beside them) and Code Puppy's errors.log."""
    return LedgerChanges([*settings.ledgers, settings.error_log])


def agent_log_changes(settings: Settings) -> AgentLogChanges:
    logs = enabled(settings)
    return AgentLogChanges([r for log in logs for r in log.folders], [f for log in logs for f in log.single_files])
