"""Force a failover: pick what to move away from (a provider or a model) and the model to use."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from ledger.views.failover import best_alternative


@dataclass(frozen=True)
class FailoverChoice:
    source: str
    target: str | None
    """None clears the forced failover of ``source``."""


class FailoverModal(ModalScreen[FailoverChoice | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", tooltip="Force nothing", id="failover-cancel"),
        Binding("ctrl+s", "save", "Force", tooltip="Send the failover to the agent", id="failover-save"),
    ]

    def __init__(self, chains: dict[str, list[str]], providers: dict[str, str], active: dict[str, str]) -> None:
        """``chains``: workload -> models, best ranked first; ``providers``: model -> provider;
        ``active``: failovers in force (source -> target)."""
        super().__init__(id="failover")
        self._chains = chains
        self._providers = providers
        self._active = active
        models = list(dict.fromkeys(m for chain in chains.values() for m in chain))
        self._sources = list(dict.fromkeys([*models, *sorted(set(providers.values())), *active]))
        self._models = models

    def compose(self) -> ComposeResult:
        with Vertical(id="failover-box"):
            yield Label("move away from (model or provider)")
            yield Select([(s, s) for s in self._sources], value=self._sources[0], allow_blank=False,
                         id="failover-source")
            yield Label("to model")
            yield Select([(m, m) for m in self._models], value=self._models[-1], allow_blank=False,
                         id="failover-target")
            yield Static("", id="failover-hint")
            with Horizontal(id="failover-buttons"):
                yield Button("Force (ctrl+s)", id="save", variant="primary")
                yield Button("Clear", id="clear", disabled=True)
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#failover-box").border_title = "Force a failover"
        self._suggest(str(self.query_one("#failover-source", Select).value))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "failover-source":
            self._suggest(str(event.value))

    def _suggest(self, source: str) -> None:
        """The best-ranked model its workloads also used, as the recommendation would pick."""
        target = best_alternative(source, self._chains, self._providers)
        if target:
            self.query_one("#failover-target", Select).value = target
        active = self._active.get(source)
        self.query_one("#clear", Button).disabled = active is None
        hint = f"forced now: {source} → {active}; Clear stops it" if active else f"{source} is not forced"
        self.query_one("#failover-hint", Static).update(hint)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        source = str(self.query_one("#failover-source", Select).value)
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "clear":
            self.dismiss(FailoverChoice(source, None))
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        source = str(self.query_one("#failover-source", Select).value)
        target = str(self.query_one("#failover-target", Select).value)
        if target == source:
            self.query_one("#failover-hint", Static).update("pick a different model to move to")
            return
        self.dismiss(FailoverChoice(source, target))
