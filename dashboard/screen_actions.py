"""The app's own actions behind ``bindings.BINDINGS``: moving between screens, pause, refresh, the
agent filter and the help."""

from __future__ import annotations

from ledger.scope import EVERY_AGENT, AgentScope

from .screens.help import HelpModal


class ScreenActions:
    """Mixed into the app (which has ``overview``, ``reader``, ``scope``, ``paused`` and
    ``request_refresh``)."""

    SCREENS_IN_ORDER = ("overview", "providers", "events", "pack")
    """What ]/[ step through."""

    def action_cycle_screen(self, step: int) -> None:
        order = self.SCREENS_IN_ORDER
        current = order.index(self.current_mode) if self.current_mode in order else 0
        self.action_show_mode(order[(current + step) % len(order)])

    def action_show_mode(self, mode: str) -> None:
        if self.current_mode == "empty" and self.overview is None:
            self.notify("nothing to show yet: no ledger", severity="warning", timeout=3)
            return
        if self.current_mode != mode:
            self.switch_mode(mode)  # each screen brings itself up to date when it resumes

    def watch_paused(self, paused: bool) -> None:
        if not paused:
            self.request_refresh(force=True)  # catch up on whatever arrived meanwhile

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.notify("paused: press p to resume" if self.paused else "resumed", timeout=2)

    def action_refresh_now(self) -> None:
        if self.paused:
            self.notify("paused: press p to resume", severity="warning", timeout=2)
            return
        self.store_problem = None
        self.request_refresh(force=True)

    def agent_filters(self) -> list[AgentScope]:
        """What ``a`` cycles through: all agents, then each agent program the store has rows of."""
        found = self.overview.agents if self.overview is not None else []
        return [EVERY_AGENT, *(AgentScope.of(a) for a in found)]

    def action_cycle_agent(self) -> None:
        filters = self.agent_filters()
        index = filters.index(self.scope) if self.scope in filters else 0
        self.scope = filters[(index + 1) % len(filters)]
        self.notify(f"showing {self.scope.label() or 'all agents'}", timeout=2)

    def watch_scope(self, scope: AgentScope) -> None:
        self.reader.scope = scope  # every screen reads through it
        self.request_refresh(force=True)

    def action_help(self) -> None:
        keys = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id and binding.description:
                keys.append((binding.key_display or self.get_key_display(binding), binding.description,
                             binding.tooltip))
        self.push_screen(HelpModal(keys))
