"""How the panes print numbers: short, fixed-width friendly, the same everywhere."""

from __future__ import annotations

import datetime as dt


def tokens(n: float | None) -> str:
    """1234 -> ``1.2k``, 24_000_000 -> ``24M``: token counts read at a glance."""
    if n is None:
        return "—"
    n = float(n)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            value = n / limit
            return f"{value:.0f}{suffix}" if value >= 100 or value == int(value) else f"{value:.1f}{suffix}"
    return f"{n:.0f}"


def usd(x: float | None) -> str:
    if x is None:
        return "—"
    if x and abs(x) < 0.01:
        return f"${x:.4f}"
    if abs(x) >= 10_000:
        return f"${x:,.0f}"
    return f"${x:,.2f}"


def count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def percent(p: float | None, *, digits: int = 0) -> str:
    """``p`` is already in percent (0..100+)."""
    return "—" if p is None else f"{p:.{digits}f}%"


def fraction(f: float | None, *, digits: int = 0) -> str:
    """``f`` is a ratio (0..1), printed as a percentage."""
    return "—" if f is None else f"{f * 100:.{digits}f}%"


def millis(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.0f}ms" if ms < 1000 else f"{ms / 1000:.1f}s"


def ago(seconds: float) -> str:
    """Age of the newest line: ``<5s``, ``15s``, ``4m``, ``2h``, ``3d``. Seconds go in steps of 5,
    so the header repaints every 5 s rather than every second (idle CPU)."""
    seconds = max(0, int(seconds))
    if seconds < 5:
        return "<5s"
    if seconds < 60:
        return f"{seconds // 5 * 5}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def clock(moment: dt.datetime | None, now: dt.datetime) -> str:
    """A time of day, with the date when it is not today (both in ``now``'s zone)."""
    if moment is None:
        return "—"
    local = moment.astimezone(now.tzinfo)
    return local.strftime("%H:%M") if local.date() == now.date() else local.strftime("%d %b %H:%M")
