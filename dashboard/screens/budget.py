"""Edit one scope's budgets: USD per day, month and rolling hour, tokens per day, USD and tokens per task;
validated, shown against today's use."""

from __future__ import annotations

import math
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static


@dataclass(frozen=True)
class ScopeUse:
    """Today's use of one scope and the limits in force, for the modal to compare against."""

    scope: str
    cost_today: float
    cost_month: float
    tokens_today: int
    daily_usd: float | None = None
    monthly_usd: float | None = None
    daily_tokens: int | None = None
    hourly_usd: float | None = None
    task_usd: float | None = None
    task_tokens: int | None = None
    cost_hour: float = 0.0
    """USD in the last 60 minutes."""
    task_cost: float = 0.0
    """The most expensive recent task's USD (and its tokens below), to compare the task limits against."""
    task_tokens_used: int = 0


@dataclass(frozen=True)
class BudgetEdit:
    scope: str
    daily_usd: float | None
    monthly_usd: float | None
    daily_tokens: int | None
    hourly_usd: float | None = None
    task_usd: float | None = None
    task_tokens: int | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in (self.daily_usd, self.monthly_usd, self.daily_tokens, self.hourly_usd,
                                       self.task_usd, self.task_tokens))


FIELDS = (("daily-usd", float, "USD per day"), ("monthly-usd", float, "USD per month"),
          ("daily-tokens", int, "tokens per day"), ("hourly-usd", float, "USD per hour"),
          ("task-usd", float, "USD per task"), ("task-tokens", int, "tokens per task"))


def _number(text: str, kind: type) -> float | int | None:
    text = text.strip().replace(",", "").replace("_", "").lstrip("$")
    if not text:
        return None
    value = kind(text)
    if value < 0 or not math.isfinite(value):  # inf or nan would read as "no budget" downstream
        raise ValueError("not a finite, non-negative number")
    return value


class BudgetModal(ModalScreen[BudgetEdit | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", tooltip="Leave the budgets as they are", id="budget-cancel"),
        Binding("ctrl+s", "save", "Save", tooltip="Send the new budgets to the agent", id="budget-save"),
    ]

    def __init__(self, uses: list[ScopeUse]) -> None:
        super().__init__(id="budget")
        self._uses = {u.scope: u for u in uses} or {"all": ScopeUse("all", 0.0, 0.0, 0)}

    def compose(self) -> ComposeResult:
        with Vertical(id="budget-box"):
            yield Select([(s, s) for s in self._uses], value=next(iter(self._uses)), allow_blank=False,
                         id="budget-scope")
            with Grid(id="budget-fields"):
                for field, _, name in FIELDS:
                    yield Label(name)
                    yield Input(id=field, placeholder="no limit")
            yield Static("", id="budget-use")
            yield Static("", id="budget-error")
            with Horizontal(id="budget-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#budget-box").border_title = "Budgets"
        self._fill(next(iter(self._uses)))

    def _fill(self, scope: str) -> None:
        use = self._uses[scope]
        for field, _, _ in FIELDS:
            value = getattr(use, field.replace("-", "_"))
            self.query_one(f"#{field}", Input).value = "" if value is None else f"{value:g}"
        self._compare()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._fill(str(event.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._compare()

    def _read(self) -> BudgetEdit:
        scope = str(self.query_one("#budget-scope", Select).value)
        values = []
        for field, kind, name in FIELDS:
            try:
                values.append(_number(self.query_one(f"#{field}", Input).value, kind))
            except ValueError:
                whole = " whole" if kind is int else ""
                raise ValueError(f"{name}: a{whole} number of 0 or more, or empty for no limit") from None
        return BudgetEdit(scope, *values)

    def _compare(self) -> None:
        error = self.query_one("#budget-error", Static)
        try:
            edit = self._read()
        except ValueError as exc:
            error.update(str(exc))
            return
        error.update("")
        use = self._uses[edit.scope]
        rows = [f"today ${use.cost_today:,.2f}" + _of(use.cost_today, edit.daily_usd, money=True),
                f"this month ${use.cost_month:,.2f}" + _of(use.cost_month, edit.monthly_usd, money=True),
                f"tokens today {use.tokens_today:,}" + _of(use.tokens_today, edit.daily_tokens, money=False),
                f"last hour ${use.cost_hour:,.2f}" + _of(use.cost_hour, edit.hourly_usd, money=True),
                f"costliest task ${use.task_cost:,.2f}" + _of(use.task_cost, edit.task_usd, money=True)
                + f", {use.task_tokens_used:,} tokens" + _of(use.task_tokens_used, edit.task_tokens, money=False)]
        self.query_one("#budget-use", Static).update("\n".join(rows))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        try:
            self.dismiss(self._read())
        except ValueError as exc:
            self.query_one("#budget-error", Static).update(str(exc))


def _of(used: float, limit: float | None, *, money: bool) -> str:
    if limit is None:
        return " (no limit)"
    shown = f"${limit:,.2f}" if money else f"{int(limit):,}"
    percent = f"{100 * used / limit:.0f}%" if limit else "over"
    return f" of {shown} — {percent}"
