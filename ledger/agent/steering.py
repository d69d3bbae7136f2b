"""What an agent's hook decides, on the light path: the controls read once, the budgets and quota
windows measured against the summary the collector keeps fresh, and every new control change
acknowledged. One ``Steering`` per hook run (a process of its own, on every prompt or tool call).

Budgets: the config's USD budgets (carried in the summary) with control.json's laid over them, for
the scope ``all`` and the agent's own provider; spend is the summary's (today's only while the summary
is today's). Quota windows: the summary's and, for Claude Code, the fresher ones its status line
last saw (kept in the hook state); a window past its reset counts as 0 %. Each reaches a policy
through control.json's ``enforcement`` levels, as budgets do for the Code Puppy plugin.

Fail closed for review-only only: an unreadable control.json while review-only was last seen on
keeps it on. Anything else that cannot be read lets the agent go on (with a line on stderr).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from ..clock import now_iso
from .light_controls import POLICY_RANK, LightControls, Unreadable, parse, read_controls
from .small_files import read_json, state_path, summary_path, write_json
from .where import EVENTS_FILE, control_dir
from .writer import LedgerWriter, event_record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at import
    from typing import Any

AGENT_PROVIDERS = {"claude-code": ("anthropic",), "codex": ("openai",)}
ACKED_KEPT = 200  # change ids remembered as acknowledged (a change id is never reused)
ACTIONS = {"review_only": "review-only", "compaction": "compact", "enforcement": "enforce",
           "alert_levels": "alert-levels"}
UNITS = {"daily_usd": "today", "monthly_usd": "this month", "daily_tokens": "tokens today",
         "hourly_usd": "in the last hour", "task_usd": "in task {task}", "task_tokens": "tokens in task {task}"}
WINDOW_MINUTES = {"five_hour": 300, "seven_day": 10080, "block": 300}


def warn(message: str) -> None:
    print(f"packwatch: {message}", file=sys.stderr)


def parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.astimezone()


def _task_amounts(task: Any, scope: str) -> dict[str, float]:
    """A task's USD and tokens in ``scope`` from the summary's ``tasks`` entry (none: no task limit applies)."""
    if not isinstance(task, dict):
        return {}
    if scope == "all":
        return {"task_usd": float(task.get("cost_usd") or 0), "task_tokens": int(task.get("tokens") or 0)}
    got = (task.get("providers") or {}).get(scope)
    if not isinstance(got, list) or len(got) != 2:
        return {"task_usd": 0.0, "task_tokens": 0}
    return {"task_usd": float(got[0] or 0), "task_tokens": int(got[1] or 0)}


class Steering:
    """One hook run's view of the controls, the summary and the agent's state."""

    def __init__(self, agent: str, folder: Path | None = None, *, now: dt.datetime | None = None,
                 session: str | None = None) -> None:
        self.agent = agent
        self.folder = folder or control_dir()
        self.now = now or dt.datetime.now().astimezone()
        self.session = session
        self.state_file = state_path(self.folder, agent)
        self.state: dict[str, Any] = read_json(self.state_file) or {}
        self._state_before = repr(self.state)
        self.problem: str | None = None
        """Why control.json could not be used, when it could not."""
        self.controls = self._controls()
        self._summary: dict[str, Any] | None = None
        self.events = LedgerWriter(self.folder / EVENTS_FILE)

    def _controls(self) -> LightControls:
        try:
            controls = read_controls(self.folder)
        except Unreadable as exc:
            self.problem = str(exc)
            last = self.state.get("controls")
            try:
                kept = parse(last) if isinstance(last, dict) else LightControls()
            except Unreadable:
                kept = LightControls()
            # Review-only fails closed; budgets fail open (no change ids: nothing to acknowledge).
            return LightControls(review_only=bool(self.state.get("review_only")) or kept.review_only,
                                 enforcement=kept.enforcement)
        self.state["review_only"] = controls.review_only
        self.state["controls"] = controls.to_json()
        return controls

    @property
    def summary(self) -> dict[str, Any]:
        if self._summary is None:
            self._summary = read_json(summary_path(self.folder)) or {}
        return self._summary

    # -- budgets and quota ---------------------------------------------------------------------

    def budget_use(self) -> list[tuple[str, float, str]]:
        """(scope, percent, what) for each limit in force on this agent; the task limits measure this
        session (the hook's ``session_id``) as the summary last counted it."""
        summary = self.summary
        today = self.now.date().isoformat()
        same_day = summary.get("date") == today
        same_month = str(summary.get("date", ""))[:7] == today[:7]
        written = parse_time(summary.get("written_at"))
        fresh_hour = written is not None and (self.now - written).total_seconds() < 3600
        limits: dict[str, dict[str, float]] = {}
        for scope, given in (summary.get("budgets") or {}).items():
            if isinstance(given, dict):
                limits[scope] = {k: v for k, v in given.items() if isinstance(v, int | float) and v is not None}
        for scope, given in self.controls.budgets.items():
            limits[scope] = {**limits.get(scope, {}), **given}
        spend = summary.get("spend") or {}
        task = (summary.get("tasks") or {}).get(self.session or "") if self.session else None
        use = []
        for scope, scope_limits in limits.items():
            if scope != "all" and scope not in AGENT_PROVIDERS.get(self.agent, ()):
                continue
            spent = spend.get(scope) if isinstance(spend.get(scope), dict) else {}
            amounts = {"daily_usd": float(spent.get("cost_today") or 0) if same_day else 0.0,
                       "monthly_usd": float(spent.get("cost_month") or 0) if same_month else 0.0,
                       "daily_tokens": int(spent.get("tokens_today") or 0) if same_day else 0,
                       "hourly_usd": float(spent.get("cost_hour") or 0) if fresh_hour else 0.0,
                       **_task_amounts(task, scope)}
            for key, limit in scope_limits.items():
                amount = amounts.get(key)
                if amount is None:
                    continue
                percent = 100.0 * amount / limit if limit else 100.0  # a zero budget is spent at once
                unit = UNITS[key].format(task=self.session)
                what = f"${amount:,.2f} of ${limit:,.2f} {unit}" if key.endswith("_usd") else \
                    f"{int(amount):,} of {int(limit):,} {unit}"
                use.append((f"{scope} budget", percent, what))
        return use

    def quota_use(self) -> list[tuple[str, float, str]]:
        """(window, percent, what) for this agent's quota windows; a window past its reset is 0 %."""
        windows: dict[str, dict[str, Any]] = {}
        for q in self.summary.get("quota") or []:
            if isinstance(q, dict) and q.get("agent") == self.agent and q.get("window"):
                windows[q["window"]] = q
        seen = (read_json(state_path(self.folder, f"{self.agent}.statusline")) or {}).get("rate_limits") or {}
        for name, q in seen.items():  # the status line's, fresher than the summary
            if isinstance(q, dict):
                windows[name] = {**q, "window": name}
        use = []
        for name, q in windows.items():
            percent = q.get("used_percent")
            resets = parse_time(q.get("resets_at"))
            if not isinstance(percent, int | float):
                continue
            if resets is not None and resets <= self.now:
                percent = 0.0
            when = f", resets {resets.astimezone():%H:%M}" if resets else ""
            use.append((f"{name} quota", float(percent), f"{percent:.0f}% used{when}"))
        return use

    def policy(self) -> tuple[str | None, str]:
        """The strongest enforcement policy a budget or quota window has reached, and why."""
        worst: tuple[str | None, str] = (None, "")
        for what, percent, detail in [*self.budget_use(), *self.quota_use()]:
            policy = self.controls.policy_at(percent)
            if policy is not None and (worst[0] is None or POLICY_RANK[policy] > POLICY_RANK[worst[0]]):
                worst = (policy, f"the {what} is at {percent:.0f}% ({detail})")
        return worst

    def review_only(self) -> tuple[bool, str]:
        """Whether mutating tools are refused now, and the reason the model reads."""
        if self.controls.review_only:
            if self.problem:
                return True, ("review-only mode was on when control.json was last read, and it cannot be "
                              f"read now ({self.problem}); refusing until it is fixed")
            return True, "review-only mode is on (set from packwatch): read, search and plan, but change nothing"
        policy, why = self.policy()
        if policy in ("review-only", "block"):
            return True, f"review-only because {why}"
        return False, ""

    # -- writing -------------------------------------------------------------------------------

    def event(self, kind: str, **detail: Any) -> None:
        detail = {k: v for k, v in detail.items() if v is not None}
        self.events.append(event_record(kind, ts=now_iso(), agent=self.agent, session=self.session, **detail))

    def acknowledge(self, outcome: dict[str, tuple[str, str | None]]) -> int:
        """A ``control_ack`` for every change not acknowledged yet: ``outcome`` maps a control kind
        (``review_only``, ``budget``, ``failover``...) to (result, reason); unknown kinds are refused."""
        acked = list(self.state.get("acked") or [])
        done = set(acked)
        count = 0
        for key, change_id in self.controls.change_ids.items():
            if change_id in done:
                continue
            kind = key.partition(":")[0]
            result, reason = outcome.get(kind, ("refused", f"{self.agent} has no way to apply {kind}"))
            detail: dict[str, Any] = {"control_id": change_id, "action": ACTIONS.get(kind, kind), "result": result}
            if reason:
                detail["reason"] = reason
            self.event("control_ack", **detail)
            acked.append(change_id)
            count += 1
        if count:
            self.state["acked"] = acked[-ACKED_KEPT:]
        return count

    def save(self) -> None:
        """Write the state back when it changed (most runs: it did not)."""
        if repr(self.state) == self._state_before:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json(self.state_file, self.state)
        except OSError as exc:
            warn(f"cannot write {self.state_file}: {exc.strerror or exc}")
