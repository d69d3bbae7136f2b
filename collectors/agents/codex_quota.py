"""Codex's quota windows: the ``rate_limits`` object of its ``token_count`` events.

Codex 0.171.0 fills it from the response headers ``x-codex-{primary,secondary}-{used-percent,
window-minutes,reset-at}`` (``codex-rs/codex-api/src/rate_limits.rs``; checked in real runs, see the
README): ``{"limit_id", "primary": {"used_percent", "window_minutes", "resets_at"}, "secondary": {...},
"credits", "plan_type", ...}``, also on a 429's event whose ``info`` is null. A window is named by its
length, not its slot: 300 minutes is ``five_hour``, 10080 ``seven_day``; any other keeps its slot's name
(``primary``, ``secondary``). A snapshot equal to the file's previous one is not stored again.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from ledger.store.line_formats import FIRST_DAY, LAST_DAY, MAX_PERCENT, MAX_WINDOW_MINUTES

from .base import Reject, reject

WINDOW_NAMES = {300: "five_hour", 10080: "seven_day"}
FIRST, LAST = (dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC) for d in (FIRST_DAY, LAST_DAY))
"""The store's ranges (``ledger.store.line_formats``, the quota lines' own): outside them a line is
rejected, never stored."""
Snapshot = tuple
"""(source_id, ts, agent, session, model, window, window_minutes, used_percent, resets_at ISO, source,
session cost, limit_id): a ``quota_snapshots`` row."""


class _Window(msgspec.Struct):
    used_percent: float | None = None
    window_minutes: int | None = None
    resets_at: int | None = None


class _Limits(msgspec.Struct):
    limit_id: str | None = None
    primary: _Window | None = None
    secondary: _Window | None = None


class _Payload(msgspec.Struct):
    rate_limits: _Limits | None = None


class _Line(msgspec.Struct):
    timestamp: str | None = None
    payload: _Payload | None = None


_DECODER = msgspec.json.Decoder(_Line)


def _iso(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    try:
        at = dt.datetime.fromtimestamp(epoch, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return at.isoformat() if FIRST <= at < LAST else None


def _problem(ts: str, windows: list[_Window]) -> str | None:
    """Why a line's rate limits cannot be stored (the same ranges as a status line's snapshot), or None."""
    try:
        at = dt.datetime.fromisoformat(ts)
    except ValueError:
        return "rate_limits with an unparseable timestamp"
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    if not FIRST <= at < LAST:
        return "rate_limits with a timestamp out of range (years 2000 to 2099)"
    for w in windows:
        if w.used_percent is not None and not 0 <= w.used_percent <= MAX_PERCENT:
            return f"rate_limits used_percent is not a percentage (0 to {MAX_PERCENT:g})"
        if w.window_minutes is not None and not 0 < w.window_minutes <= MAX_WINDOW_MINUTES:
            return f"rate_limits window_minutes out of range (1 to {MAX_WINDOW_MINUTES:,})"
    return None


def snapshots(offset: int, raw: bytes, st: dict, source_id: int, rejects: list[Reject]) -> list[Snapshot]:
    """The windows in one token_count line, unless they repeat the file's last ones (``st["quota"]``)."""
    try:
        line = _DECODER.decode(raw)
    except msgspec.ValidationError:
        rejects.append(reject(offset, raw, "rate_limits with fields of an unexpected type"))
        return []
    limits = line.payload.rate_limits if line.payload else None
    if limits is None or line.timestamp is None:
        return []
    problem = _problem(line.timestamp, [w for w in (limits.primary, limits.secondary) if w is not None])
    if problem:
        rejects.append(reject(offset, raw, problem))
        return []
    rows = []
    for slot, window in (("primary", limits.primary), ("secondary", limits.secondary)):
        if window is None or window.used_percent is None:
            continue
        name = WINDOW_NAMES.get(window.window_minutes or 0, slot)
        rows.append((source_id, line.timestamp, "codex", st.get("session"), st.get("model"), name,
                     window.window_minutes, float(window.used_percent), _iso(window.resets_at), "agent", None,
                     limits.limit_id))
    key = [r[5:9] for r in rows]
    if not rows or st.get("quota") == key:
        return []
    st["quota"] = key
    return rows
