"""Following the files: a ``watchfiles`` async worker per kind of root (the ledgers, agents' log folders,
agents' single database files), each asking the app for a refresh, and the slow tick that re-plans the
watches when a folder appeared and polls what a file watch misses."""

from __future__ import annotations

from pathlib import Path

from textual import work
from watchfiles import awatch

from collectors.watch import AgentLogChanges, LedgerChanges, agent_log_changes, ledger_changes

WATCH_STEP_MS = 20  # how long a burst of writes may settle: most of append -> screen is this wait
AGENT_WATCH_STEP_MS = 250


class FileWatching:
    """Mixed into the app (which has ``settings``, ``request_refresh`` and ``_agent_logs_due``)."""

    def _plan_watches(self) -> None:
        self._changes, self._agent_changes = ledger_changes(self.settings), agent_log_changes(self.settings)

    def _slow_tick(self) -> None:
        agents = agent_log_changes(self.settings)
        if self._changes.stale() or agents != self._agent_changes:
            self._changes, self._agent_changes = ledger_changes(self.settings), agents
            self._watch_files()
        self._agent_logs_due = True  # the poll that catches what a file watch misses
        self.request_refresh()

    def _rewatch_if_stale(self) -> None:
        """A missing ledger's folder appeared: watch it now, not at the next slow tick a minute later."""
        if self.live and self._changes.stale():
            self._changes = ledger_changes(self.settings)
            self._watch_files()

    def _watch_files(self) -> None:
        self._watch_ledgers(self._changes)
        if self._agent_changes.roots:
            self._watch_agent_logs(self._agent_changes)
        if self._agent_changes.file_roots:
            self._watch_agent_files(self._agent_changes)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _watch_ledgers(self, changes: LedgerChanges) -> None:
        async for _batch in awatch(*changes.roots, watch_filter=changes, recursive=changes.recursive,
                                   debounce=1000, step=WATCH_STEP_MS):
            self.request_refresh()

    # Each watcher polls every ``step`` ms in a thread of its own and takes the GIL each time: the
    # agents' logs (recursive, often thousands of files) wait longer, so two watchers idle cheaply.
    def _watch_agent_logs(self, changes: AgentLogChanges) -> None:
        self.run_worker(self._follow_agents(changes.roots, changes, recursive=True), group="watch-agents",
                        exclusive=True, exit_on_error=False)

    def _watch_agent_files(self, changes: AgentLogChanges) -> None:
        """Agents' single files (OpenCode's database): their folders alone, never recursively."""
        self.run_worker(self._follow_agents(changes.file_roots, changes, recursive=False),
                        group="watch-agent-files", exclusive=True, exit_on_error=False)

    async def _follow_agents(self, roots: list[Path], changes: AgentLogChanges, *, recursive: bool) -> None:
        async for _batch in awatch(*roots, watch_filter=changes, recursive=recursive, debounce=1000,
                                   step=AGENT_WATCH_STEP_MS):
            self._agent_logs_due = True
            self.request_refresh()
