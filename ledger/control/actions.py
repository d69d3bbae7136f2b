"""A recommendation's one-key action as the control change it stands for."""

from __future__ import annotations

from .channel import ControlChannel
from .model import Action, ControlChange, ControlError


def apply_action(channel: ControlChannel, action: Action) -> ControlChange:
    """Make the change ``action`` describes. A failover names its target when the store knew one
    (the best-ranked model the same workloads used); without one the user picks it with ``f``."""
    if action.kind == "review_only":
        return channel.set_review_only(str(action.value).lower() not in ("off", "false", "0"))
    if action.kind == "compact":
        return channel.request_compaction(action.target)
    if action.kind == "failover":
        if not action.value:
            raise ControlError(f"no other model seen to fail over to from {action.target}; press f to pick one")
        return channel.set_failover(action.target or "", str(action.value))
    if action.kind == "budget":
        return channel.set_budget(action.target or "all", daily_usd=float(action.value or 0))
    raise ControlError(f"unknown action {action.kind}")
