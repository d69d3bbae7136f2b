"""Every key binding with an id is also a command-palette entry (ctrl+p), from one list."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


class BindingCommands(Provider):
    """The calling screen's active bindings, offered by their description and tooltip."""

    def _commands(self) -> Iterator[tuple[str, str, DOMNode, str]]:
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.id or not binding.description or not active.enabled or binding.id in seen:
                continue
            seen.add(binding.id)
            yield binding.description, binding.tooltip, active.node, binding.action

    async def discover(self) -> Hits:
        for title, tooltip, node, action in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action, node), help=tooltip)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, tooltip, node, action in self._commands():
            score = matcher.match(f"{title} {tooltip}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action, node), help=tooltip)
