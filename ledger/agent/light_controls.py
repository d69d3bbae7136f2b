"""``control.json`` read once with plain ``json``, for the hooks and the status line.

Only what those need is read (review-only, budgets, enforcement, change ids), with the same
meanings as ``ledger.control.model.Controls`` (which needs pydantic, too heavy for a hook that runs
on every tool call). A file that is not valid JSON or holds a field of the wrong type is
*unreadable*: the caller decides what that means (review-only fails closed).
"""

from __future__ import annotations

import json
from pathlib import Path

from .where import CONTROL_FILE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

POLICY_RANK = {"warn": 0, "review-only": 1, "block": 2}
DEFAULT_ENFORCEMENT = {90: "warn", 100: "review-only"}
LIMITS = ("daily_usd", "monthly_usd", "daily_tokens", "hourly_usd", "task_usd", "task_tokens")


class Unreadable(Exception):
    """control.json exists but cannot be used; the message says why."""


class LightControls:
    """A plain class, not a dataclass: ``dataclasses`` imports ``inspect`` (~15 ms)."""

    __slots__ = ("review_only", "budgets", "enforcement", "change_ids")

    def __init__(self, review_only: bool = False, budgets: dict[str, dict[str, float]] | None = None,
                 enforcement: dict[int, str] | None = None, change_ids: dict[str, str] | None = None) -> None:
        self.review_only = review_only
        self.budgets = budgets or {}
        """Scope (``all`` or a provider) -> its limits (``daily_usd``, ``monthly_usd``, ``daily_tokens``,
        ``hourly_usd``, ``task_usd``, ``task_tokens``)."""
        self.enforcement = dict(DEFAULT_ENFORCEMENT) if enforcement is None else enforcement
        self.change_ids = change_ids or {}

    def policy_at(self, percent: float | None) -> str | None:
        """The strongest policy whose level ``percent`` has reached (as ``Controls.policy_at``)."""
        if percent is None:
            return None
        reached = [p for level, p in self.enforcement.items() if percent >= level]
        return max(reached, key=POLICY_RANK.__getitem__, default=None)

    def to_json(self) -> dict[str, Any]:
        return {"review_only": self.review_only, "budgets": self.budgets,
                "enforcement": {str(k): v for k, v in self.enforcement.items()}, "change_ids": self.change_ids}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Unreadable(f"{where} is not a number >= 0")
    return value


def parse(data: Any) -> LightControls:
    """The controls in a decoded control.json; ``Unreadable`` when a field has the wrong type."""
    if not isinstance(data, dict):
        raise Unreadable("not a JSON object")
    review_only = data.get("review_only", False)
    if not isinstance(review_only, bool):
        raise Unreadable("review_only is not true or false")
    budgets: dict[str, dict[str, float]] = {}
    raw_budgets = data.get("budgets") or {}
    if not isinstance(raw_budgets, dict):
        raise Unreadable("budgets is not an object")
    for scope, limits in raw_budgets.items():
        if not isinstance(limits, dict):
            raise Unreadable(f"budgets.{scope} is not an object")
        budgets[scope] = {k: _number(v, f"budgets.{scope}.{k}") for k, v in limits.items()
                          if k in LIMITS and v is not None}
    enforcement = dict(DEFAULT_ENFORCEMENT)
    if "enforcement" in data:
        raw = data["enforcement"]
        if not isinstance(raw, dict):
            raise Unreadable("enforcement is not an object")
        try:
            enforcement = {int(level): policy for level, policy in raw.items()}
        except ValueError:
            raise Unreadable("enforcement levels are not whole numbers") from None
        if any(p not in POLICY_RANK for p in enforcement.values()):
            raise Unreadable("enforcement policies are warn, review-only or block")
    change_ids = data.get("change_ids") or {}
    if not isinstance(change_ids, dict):
        raise Unreadable("change_ids is not an object")
    return LightControls(review_only, {k: v for k, v in budgets.items() if v}, enforcement,
                         {str(k): str(v) for k, v in change_ids.items()})


def read_controls(folder: Path) -> LightControls:
    """The controls in ``folder``: the defaults when there is no control.json, ``Unreadable`` when there
    is one that cannot be used (not readable, not JSON, wrong types)."""
    path = folder / CONTROL_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LightControls()
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise Unreadable(f"{path} is not valid JSON") from None
    try:
        return parse(data)
    except Unreadable as exc:
        raise Unreadable(f"{path}: {exc}") from None
