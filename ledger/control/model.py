"""What ``control.json`` holds (DESIGN.md) and how a change is recorded in ``controls.jsonl``: the
models every reader and writer of the control channel shares, and the controls laid over the
settings so every pane measures against what the agent is told."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_serializer, model_validator

from ..settings import Budget, Settings

CONTROL_FILE = "control.json"
AUDIT_FILE = "controls.jsonl"
LOCK_FILE = "control.lock"

Policy = Literal["warn", "review-only", "block"]
LIMIT_NAMES = ("daily_usd", "monthly_usd", "daily_tokens", "hourly_usd", "task_usd", "task_tokens")
SHORT_LIMITS = ("hourly_usd", "task_usd", "task_tokens")
USD_LIMITS = ("daily_usd", "monthly_usd", "hourly_usd", "task_usd")
"""The limits a config file's ``[budgets.<scope>]`` can set too (daily tokens: ``daily_token_limits``)."""
ActionName = Literal["review-only", "budget", "failover", "compact", "enforce", "alert-levels"]


class ControlError(Exception):
    """A control change that cannot be made: a bad value (``ControlBusy`` for the rest)."""


class ControlBusy(ControlError):
    """A change that could not be written now (the lock held by another writer, an unwritable folder):
    not bad input, so a script's exit code says so (1, not 2)."""


class Action(BaseModel):
    """A control the user can apply with one key (a recommendation's action)."""

    kind: Literal["review_only", "failover", "compact", "budget"]
    target: str | None = None
    value: str | float | None = None
    label: str


class ScopeBudget(BaseModel):
    """Limits for one scope: ``all`` or one provider (as priced: ``anthropic``, ``cerebras``...)."""

    model_config = {"extra": "forbid"}

    daily_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """USD per local day."""
    monthly_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """USD per calendar month."""
    daily_tokens: int | None = Field(default=None, ge=0)
    """Tokens per local day (input + output + cache)."""
    hourly_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """USD per rolling 60 minutes."""
    task_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """USD per task (a session or run id)."""
    task_tokens: int | None = Field(default=None, ge=0)
    """Tokens per task (input + output + cache)."""

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in LIMIT_NAMES)

    @model_serializer(mode="wrap")
    def _without_unset_short_limits(self, handler: Any) -> dict[str, Any]:
        """The hourly and task limits are written only when set, so a budget without them keeps the
        shape control.json had before they existed (readers that compare it whole still match)."""
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None or k not in SHORT_LIMITS}


class CompactionRequest(BaseModel):
    model_config = {"extra": "forbid"}

    id: str
    requested_at: str
    """ISO-8601 UTC."""
    session: str | None = None
    """The session a recommendation asked about, when it named one; None = the agent's current one."""


class Controls(BaseModel):
    """``control.json``: the desired state. Empty budgets mean the config file's budgets apply."""

    model_config = {"extra": "forbid"}

    revision: int = 0
    """Counts the changes ever made; a reader that sees a new revision re-reads everything."""
    review_only: bool = False
    """The agent may read and plan but not edit files or run shell commands."""
    budgets: dict[str, ScopeBudget] = Field(default_factory=dict)
    """Keyed ``all`` or a provider."""
    failovers: dict[str, str] = Field(default_factory=dict)
    """Provider or model -> the model to use instead, while forced."""
    compaction: CompactionRequest | None = None
    """The latest compaction request (the agent compacts once per id)."""
    alert_levels: list[int] | None = None
    """Budget use (percent) at which spend turns info, warning, critical, exceeded; None = the config's."""
    enforcement: dict[int, Policy] = Field(default_factory=lambda: {90: "warn", 100: "review-only"})
    """What the agent does once budget use reaches a level: warn, switch to review-only, or block
    model requests."""
    change_ids: dict[str, str] = Field(default_factory=dict)
    """Control key (``review_only``, ``budget:all``, ``failover:cerebras``...) -> id of its last
    change; the agent acknowledges each id once."""

    @field_validator("alert_levels")
    @classmethod
    def _levels(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value or any(not 0 < v <= 1000 for v in value):
            raise ValueError("alert levels are percentages between 1 and 1000")
        return sorted(set(value))

    @field_validator("enforcement")
    @classmethod
    def _enforcement_levels(cls, value: dict[int, Policy]) -> dict[int, Policy]:
        if any(not 0 < level <= 1000 for level in value):
            raise ValueError("enforcement levels are percentages between 1 and 1000")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _no_empty_budgets(self) -> Controls:
        self.budgets = {k: v for k, v in self.budgets.items() if not v.is_empty()}
        return self

    def policy_at(self, percent: float | None) -> Policy | None:
        """The strongest policy whose level ``percent`` has reached."""
        rank = {"warn": 0, "review-only": 1, "block": 2}
        reached = [p for level, p in self.enforcement.items() if percent is not None and percent >= level]
        return max(reached, key=rank.__getitem__, default=None)


class ControlChange(BaseModel):
    """One line of ``controls.jsonl``."""

    ts: str
    id: str
    who: str
    action: ActionName
    key: str
    old: Any = None
    new: Any = None
    revision: int


class ControlState(BaseModel):
    """What a reader got: the controls and, when the file was unusable, why defaults are shown."""

    controls: Controls
    warning: str | None = None


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def parse_controls(raw: bytes) -> Controls:
    """Raises ValueError (JSON or validation) for anything that is not a valid control file."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return Controls.model_validate(data)


def why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc']) or 'file'}: {err['msg']}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno})"
    return str(exc)




def with_controls(settings: Settings, controls: Controls) -> Settings:
    """``settings`` with the controls' budgets, token limits and alert levels laid over the config's,
    so every pane and ``packwatch status`` measures against what the agent is told."""
    budgets = dict(settings.budgets)
    tokens = dict(settings.daily_token_limits)
    for scope, b in controls.budgets.items():
        usd = {k: getattr(b, k) for k in (*USD_LIMITS, "task_tokens") if getattr(b, k) is not None}
        if usd:
            budgets[scope] = (budgets.get(scope) or Budget()).model_copy(update=usd)
        if b.daily_tokens is not None:
            tokens[scope] = b.daily_tokens
    update: dict[str, Any] = {"budgets": budgets, "daily_token_limits": tokens}
    if controls.alert_levels is not None:
        update["alert_levels"] = controls.alert_levels
    return settings.model_copy(update=update)
