"""What the agent made of each change: pending until it acknowledges it with a ``control_ack``
event, then applied or refused; superseded when a newer change to the same control came first."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

from .channel import ControlChannel
from .model import ControlChange

AckState = Literal["pending", "applied", "refused", "superseded"]


class ChangeStatus(BaseModel):
    """One change and what the agent made of it."""

    change: ControlChange
    state: AckState
    reason: str | None = None
    agent: str | None = None
    acked_at: dt.datetime | None = None


def acknowledgements(cur: Any, ids: list[str]) -> dict[str, tuple[str, str | None, str | None, dt.datetime]]:
    """control id -> (result, reason, who, when) of the agent's latest ``control_ack`` for it (who: the
    subagent that acknowledged it, else the agent program)."""
    if not ids:
        return {}
    rows = cur.execute("""
        SELECT detail->>'control_id', arg_max(detail->>'result', ts), arg_max(detail->>'reason', ts),
               arg_max(coalesce(subagent, agent), ts), max(ts)
        FROM events WHERE kind = 'control_ack' AND detail->>'control_id' IN (SELECT unnest($ids))
        GROUP BY 1""", {"ids": ids}).fetchall()
    return {cid: (result, reason, agent, when) for cid, result, reason, agent, when in rows}


def change_statuses(cur: Any, channel: ControlChannel, limit: int = 20) -> list[ChangeStatus]:
    """The last ``limit`` changes, newest first: pending until an agent acknowledges them, then
    applied or refused; a change replaced by a newer one to the same control before any agent
    saw it is superseded (the agent only ever acknowledges what it read)."""
    changes = channel.history(limit)
    acks = acknowledgements(cur, [c.id for c in changes])
    latest_for_key: dict[str, str] = {}
    for c in changes:
        latest_for_key[c.key] = c.id
    statuses = []
    for c in reversed(changes):
        if c.id in acks:
            result, reason, agent, when = acks[c.id]
            state: AckState = "refused" if result == "refused" else "applied"
            statuses.append(ChangeStatus(change=c, state=state, reason=reason, agent=agent, acked_at=when))
        else:
            state = "pending" if latest_for_key[c.key] == c.id else "superseded"
            statuses.append(ChangeStatus(change=c, state=state))
    return statuses
