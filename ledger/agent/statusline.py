"""``packwatch statusline``: Claude Code's ``statusLine`` command, on the light path.

Claude Code (2.1.332, its bundled ``h9r`` builder) pipes one JSON object per update: ``session_id``,
``model {id, display_name}``, ``cost {total_cost_usd, ...}``, ``context_window``, and, for a
subscriber after the session's first response, ``rate_limits {five_hour, seven_day}``, each
``{used_percentage, resets_at}`` (epoch seconds; a window is left out once its reset has passed).

Each run records what changed since the last one as lines of ``quota.jsonl`` beside the ledger
(one per window, or one with ``window: null`` for the session's cost alone), which the collectors
ingest exactly once, like events; it never touches the store. Then it prints one line: model, the
5-hour and weekly windows with time to reset, today's spend against the budget (from the summary
the collector and the dashboard keep fresh), REVIEW-ONLY when on, coloured by alert level and cut
to the terminal's width. It always exits 0: a bad payload prints a plain line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re

from ..clock import now_iso
from ..text import one_line
from .light_controls import Unreadable, read_controls
from .small_files import read_json, state_path, summary_path, write_json
from .steering import WINDOW_MINUTES, parse_time, warn
from .where import QUOTA_FILE, control_dir
from .writer import LedgerWriter

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at import
    from typing import Any

AGENT = "claude-code"
WINDOWS = (("five_hour", "5h"), ("seven_day", "7d"))
COLOURS = {"ok": "32", "info": "36", "warning": "33", "critical": "31", "exceeded": "1;31"}
DEFAULT_LEVELS = (50, 75, 90, 100)
DEFAULT_WIDTH = 100
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def epoch_iso(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        at = dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return at.isoformat().replace("+00:00", "Z")


def windows_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The payload's quota windows as ``{window: {used_percent, resets_at (ISO)}}``."""
    limits = payload.get("rate_limits")
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(limits, dict):
        return out
    for name, _ in WINDOWS:
        w = limits.get(name)
        if not isinstance(w, dict):
            continue
        used, resets = w.get("used_percentage"), epoch_iso(w.get("resets_at"))
        if isinstance(used, int | float) and not isinstance(used, bool):
            out[name] = {"used_percent": float(used), "resets_at": resets}
    return out


def session_cost(payload: dict[str, Any]) -> float | None:
    cost = payload.get("cost")
    total = cost.get("total_cost_usd") if isinstance(cost, dict) else None
    return total if isinstance(total, int | float) and not isinstance(total, bool) else None


def snapshot_lines(payload: dict[str, Any], windows: dict[str, dict[str, Any]], ts: str) -> list[dict[str, Any]]:
    """The quota.jsonl lines of one snapshot taken at ``ts``: one per window, or one with ``window: null``
    for the session's cost alone."""
    model = payload.get("model", {}).get("id") if isinstance(payload.get("model"), dict) else None
    base = {"ts": ts, "agent": AGENT, "session": payload.get("session_id"), "model": model, "source": "agent",
            "session_cost_usd": session_cost(payload)}
    lines = [{**base, "window": name, "window_minutes": WINDOW_MINUTES[name], **w} for name, w in windows.items()]
    return lines or [{**base, "window": None}]


def record(folder, payload: dict[str, Any], windows: dict[str, dict[str, Any]]) -> None:
    """Append the snapshot to quota.jsonl when it differs from the last one written."""
    key = json.dumps([payload.get("session_id"), session_cost(payload), windows], sort_keys=True)
    state_file = state_path(folder, f"{AGENT}.statusline")
    state = read_json(state_file) or {}
    if state.get("last") == key:
        return
    ts = now_iso()
    writer = LedgerWriter(folder / QUOTA_FILE)
    for line in snapshot_lines(payload, windows, ts):
        writer.append(line)
    seen = dict(state.get("rate_limits") or {})
    seen.update({name: {**w, "seen_at": ts} for name, w in windows.items()})
    write_json(state_file, {"last": key, "rate_limits": seen})


def level_of(percent: float | None, levels: tuple[int, ...] | list[int]) -> str:
    names = ("info", "warning", "critical", "exceeded")
    level = "ok"
    for threshold, name in zip(sorted(levels), names, strict=False):
        if percent is not None and percent >= threshold:
            level = name
    return level


def until(at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((at - now).total_seconds() // 60))
    if minutes >= 24 * 60:
        return f"{minutes // 1440}d{minutes % 1440 // 60}h"
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def paint(text: str, level: str, colour: bool) -> str:
    return f"\x1b[{COLOURS[level]}m{text}\x1b[0m" if colour else text


def segments(payload: dict[str, Any], windows: dict[str, dict[str, Any]], summary: dict[str, Any],
             review_only: bool, now: dt.datetime, colour: bool = True, daily_usd: float | None = None) -> list[str]:
    """The line's parts, most important first."""
    levels = summary.get("alert_levels") or DEFAULT_LEVELS
    parts: list[str] = []
    if review_only:
        parts.append(paint("REVIEW-ONLY", "exceeded", colour))
    model = payload.get("model") if isinstance(payload.get("model"), dict) else {}
    if model.get("display_name") or model.get("id"):  # from the payload: never an escape in the status line
        parts.append(one_line(str(model.get("display_name") or model.get("id")), 40))
    shown = dict(windows)
    if not shown:  # an API-key login reports none: the estimated 5-hour block, when the collector made one
        for q in summary.get("quota") or []:
            if isinstance(q, dict) and q.get("agent") == AGENT and q.get("window") == "block":
                shown["block"] = q
    for name, label in (*WINDOWS, ("block", "5h~")):
        w = shown.get(name)
        if not w:
            continue
        resets = parse_time(w.get("resets_at"))
        if resets is not None and resets <= now:
            parts.append(paint(f"{label} reset", "ok", colour))
            continue
        used = float(w.get("used_percent") or 0)
        text = f"{label} {used:.0f}%" + (f" ↻{until(resets, now)}" if resets and name != "seven_day" else "")
        parts.append(paint(text, level_of(used, levels), colour))
    parts.extend(spend_segment(payload, summary, now, levels, colour, daily_usd))
    return parts


def spend_segment(payload: dict[str, Any], summary: dict[str, Any], now: dt.datetime, levels: Any,
                  colour: bool, daily_usd: float | None = None) -> list[str]:
    """Today's spend against the daily budget (control.json's over the config's), else the session's cost."""
    total = (summary.get("spend") or {}).get("all") if summary.get("date") == now.date().isoformat() else None
    if isinstance(total, dict):
        budget = daily_usd if daily_usd is not None else ((summary.get("budgets") or {}).get("all") or {}).get(
            "daily_usd")
        spent = float(total.get("cost_today") or 0)
        if budget:
            percent = 100 * spent / budget
            return [paint(f"${spent:,.2f}/${budget:,.0f} today", level_of(percent, levels), colour)]
        return [f"${spent:,.2f} today"]
    cost = session_cost(payload)
    return [f"${cost:,.2f} session"] if cost is not None else []


def fit(parts: list[str], width: int) -> str:
    """Parts joined with `` · `` and dropped from the end until the line fits ``width`` columns."""
    while parts:
        line = " · ".join(parts)
        if len(ANSI.sub("", line)) <= width or len(parts) == 1:
            return line if len(ANSI.sub("", line)) <= width else ANSI.sub("", line)[: max(width - 1, 1)] + "…"
        parts = parts[:-1]
    return ""


def width() -> int:
    for name in ("PACKWATCH_STATUSLINE_WIDTH", "COLUMNS"):
        try:
            return max(20, int(os.environ[name]))
        except (KeyError, ValueError):
            continue
    return DEFAULT_WIDTH


def run(stdin: str) -> tuple[str, int]:
    """(the line to print, exit code 0)."""
    try:
        payload = json.loads(stdin) if stdin.strip() else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        warn("the status line's input was not one JSON object")
        return "packwatch: no status from Claude Code", 0
    folder = control_dir()
    windows = windows_of(payload)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        record(folder, payload, windows)
    except OSError as exc:
        warn(f"cannot record the quota in {folder}: {exc.strerror or exc}")
    daily_usd = None
    try:
        controls = read_controls(folder)
        review_only, daily_usd = controls.review_only, controls.budgets.get("all", {}).get("daily_usd")
    except Unreadable:
        review_only = bool((read_json(state_path(folder, AGENT)) or {}).get("review_only"))
    now = dt.datetime.now().astimezone()
    summary = read_json(summary_path(folder)) or {}
    colour = not os.environ.get("NO_COLOR")
    return fit(segments(payload, windows, summary, review_only, now, colour, daily_usd), width()), 0
