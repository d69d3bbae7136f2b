"""The control keys (b f c r x): each opens a modal or asks to confirm, then changes control.json in a
thread worker and asks for a refresh so the change shows as pending at once."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.binding import Binding

from ledger.control.actions import apply_action
from ledger.control.channel import ControlChannel
from ledger.control.model import ControlError, with_controls
from ledger.views.limits import ShortSpend, has_short_limits, short_spend
from ledger.views.overview import Overview

from .screens.budget import BudgetEdit, BudgetModal, ScopeUse
from .screens.confirm import ConfirmModal
from .screens.failover import FailoverChoice, FailoverModal

CONTROL_BINDINGS = [
    Binding("b", "edit_budgets", "Budgets", tooltip="Edit budgets: USD per day, month, hour and task; tokens per day "
            "and task", id="budgets"),
    Binding("f", "force_failover", "Failover", tooltip="Force a provider or model onto another model, or clear it",
            id="failover"),
    Binding("c", "request_compaction", "Compact", tooltip="Ask the agent to compact its context", id="compact"),
    Binding("r", "toggle_review_only", "Review-only",
            tooltip="Stop (or allow again) the agent's file edits and shell commands", id="review-only"),
    Binding("x", "apply_recommendation", "Apply", show=False,
            tooltip="Apply the top recommendation's action", id="apply-recommendation"),
]


class ControlKeys:
    """Mixed into the app (which has ``refresher``, ``overview``, ``control_state`` and
    ``request_refresh``): the actions behind ``CONTROL_BINDINGS``."""

    def _channel(self) -> ControlChannel:
        return self.refresher.channel

    def action_toggle_review_only(self) -> None:
        on = not self.control_state.controls.review_only

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_control(lambda ch: ch.set_review_only(on))

        verb = "Turn ON review-only: the agent may read and plan but not edit files or run commands?" if on \
            else "Turn review-only OFF: the agent may edit files and run commands again?"
        self.push_screen(ConfirmModal("Review-only", verb), answered)

    def action_request_compaction(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.change_control(lambda ch: ch.request_compaction())

        self.push_screen(ConfirmModal("Compaction", "Ask the agent to compact its context at its next step?"),
                         answered)

    def action_edit_budgets(self) -> None:
        self.push_screen(BudgetModal(self._scope_uses()), self._budget_chosen)

    def _budget_chosen(self, edit: BudgetEdit | None) -> None:
        if edit is None:
            return
        if edit.is_empty():
            self.change_control(lambda ch: ch.set_budget(edit.scope, clear=True))
            return
        self.change_control(lambda ch: ch.set_budget(
            edit.scope, daily_usd=edit.daily_usd, monthly_usd=edit.monthly_usd, daily_tokens=edit.daily_tokens,
            hourly_usd=edit.hourly_usd, task_usd=edit.task_usd, task_tokens=edit.task_tokens))

    def _scope_uses(self) -> list[ScopeUse]:
        overview = self.overview
        controls = self.control_state.controls
        spend = {s.scope: s for s in overview.spend} if overview else {}
        tokens = {p.provider: p.tokens_today for p in overview.burn.providers} if overview else {}
        scopes = list(dict.fromkeys(["all", *spend, *tokens, *controls.budgets]))
        measured = with_controls(self.settings, controls)  # the config's budgets under the controls'
        short = self._short_spend(overview, measured)
        uses = []
        for scope in scopes:
            line = spend.get(scope)
            budget = measured.budgets.get(scope)
            task = _costliest_task(short, scope)
            uses.append(ScopeUse(
                scope=scope, cost_today=line.cost_today if line else 0.0, cost_month=line.cost_month if line else 0.0,
                tokens_today=sum(tokens.values()) if scope == "all" else tokens.get(scope, 0),
                daily_usd=budget.daily_usd if budget else None,
                monthly_usd=budget.monthly_usd if budget else None,
                daily_tokens=measured.daily_token_limits.get(scope),
                hourly_usd=budget.hourly_usd if budget else None, task_usd=budget.task_usd if budget else None,
                task_tokens=budget.task_tokens if budget else None,
                cost_hour=short.hour_of(scope), task_cost=task[0],
                task_tokens_used=task[1]))
        return uses

    def _short_spend(self, overview: Overview | None, measured: Any) -> ShortSpend:
        """The last hour and the recent tasks: the overview measures them only while a short limit is set,
        so for a modal about to set the first one they are measured now."""
        if overview is None or has_short_limits(measured):
            return overview.short if overview else ShortSpend()
        with self.reader.cursor() as cur:
            return short_spend(cur, overview.now) if cur is not None else ShortSpend()

    def action_force_failover(self) -> None:
        chains, providers = self._chains()
        if not chains:
            self.notify("no models seen yet: nothing to fail over to", severity="warning", timeout=4)
            return
        self.push_screen(FailoverModal(chains, providers, dict(self.control_state.controls.failovers)),
                         self._failover_chosen)

    def _chains(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Per workload, the models the store saw it use, best ranked first; and each model's provider."""
        if self.overview is None or not self.overview.chains:
            return {}, {}
        return self.overview.chains, self.overview.model_providers

    def _failover_chosen(self, choice: FailoverChoice | None) -> None:
        if choice is not None:
            self.change_control(lambda ch: ch.set_failover(choice.source, choice.target))

    def action_apply_recommendation(self) -> None:
        recs = [r for r in (self.overview.recommendations if self.overview else []) if r.action is not None]
        if not recs:
            self.notify("no recommendation with an action right now", timeout=3)
            return
        rec = recs[0]
        action = rec.action
        assert action is not None

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_control(lambda ch: apply_action(ch, action))

        self.push_screen(ConfirmModal("Apply recommendation", f"{rec.message}\n\n→ {action.label}?"), answered)

    @work(thread=True, group="control", exit_on_error=False)
    def change_control(self, change: Any) -> None:
        try:
            done = change(self._channel())
        except ControlError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=8)
            return
        self.call_from_thread(self.notify, f"{done.action} sent (id {done.id}); pending until the agent "
                                           "acknowledges it", timeout=4)
        self.call_from_thread(self.request_refresh, force=True)


def _costliest_task(short: ShortSpend, scope: str) -> tuple[float, int]:
    """(USD, tokens) of the recent task that spent most in ``scope``."""
    spent = [(t.cost_usd, t.tokens) if scope == "all" else t.providers.get(scope, (0.0, 0))
             for t in short.tasks]
    return max(spent, default=(0.0, 0))
