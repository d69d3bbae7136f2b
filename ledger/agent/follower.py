"""The agent's side of the control channel: read the controls cheaply, enforce the budgets, and
acknowledge every change with a ``control_ack`` event.

Any agent uses it the same way (the Code Puppy plugin and the demo pack do):

    follower = ControlFollower(folder, agent="husky")
    for change in follower.new_changes():      # once per request: one os.stat while nothing changed
        ...apply it..., then follower.acknowledge(change, "applied")  # or "refused", reason
    model = follower.forced_target(model, provider) or model
    allowed, why = follower.may_request()       # budget policy "block"
    if follower.review_only(): ...              # set by hand or by the budget policy
    follower.record_usage(record)               # writes usage.jsonl and counts today's use
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ..control.model import Controls, Policy
from ..control.reader import ControlReader
from ..pricing import priced_provider, rate_rows
from ..settings import Settings
from .writer import LedgerWriter, event_record, usage_record

AckResult = Literal["applied", "refused"]
HOUR_SECONDS = 3600.0


@dataclass(frozen=True)
class PendingChange:
    """A change the agent has not acknowledged yet."""

    key: str
    """``review_only``, ``budget:<scope>``, ``failover:<source>``, ``compaction``, ``enforcement``..."""
    id: str

    @property
    def action(self) -> str:
        kind = self.key.partition(":")[0]
        return {"review_only": "review-only", "compaction": "compact", "enforcement": "enforce",
                "alert_levels": "alert-levels"}.get(kind, kind)

    @property
    def subject(self) -> str:
        return self.key.partition(":")[2]


@dataclass
class DailyUse:
    """Tokens and USD per priced provider today and this month, counted as the agent writes them; the
    last hour's spend (rolling) and each task's (a task: a session or run id)."""

    day: dt.date
    tokens: dict[str, int] = field(default_factory=dict)
    usd_today: dict[str, float] = field(default_factory=dict)
    usd_month: dict[str, float] = field(default_factory=dict)
    recent: list[tuple[float, str, float]] = field(default_factory=list)
    """(epoch seconds, provider, USD) of the requests of the last hour, oldest first."""
    tasks: dict[str, dict[str, tuple[float, int]]] = field(default_factory=dict)
    """Task -> provider -> (USD, tokens), for the tasks of this month's lines."""

    def add(self, provider: str, tokens: int, usd: float) -> None:
        self.tokens[provider] = self.tokens.get(provider, 0) + tokens
        self.usd_today[provider] = self.usd_today.get(provider, 0.0) + usd
        self.usd_month[provider] = self.usd_month.get(provider, 0.0) + usd

    def add_task(self, task: str, provider: str, tokens: int, usd: float) -> None:
        per = self.tasks.setdefault(task, {})
        spent, used = per.get(provider, (0.0, 0))
        per[provider] = (spent + usd, used + tokens)

    def add_recent(self, at: float, provider: str, usd: float, now: float) -> None:
        if at > now - HOUR_SECONDS:
            self.recent.append((at, provider, usd))
            self.recent.sort()

    def hour_usd(self, now: float) -> dict[str, float]:
        """USD per provider over the rolling 60 minutes before ``now``."""
        self.recent = [r for r in self.recent if r[0] > now - HOUR_SECONDS]
        spent: dict[str, float] = {}
        for _, provider, usd in self.recent:
            spent[provider] = spent.get(provider, 0.0) + usd
        return spent


class Pricing:
    """Prices one ledger record as the store does: ``rate_rows`` with the settings' overrides and
    aliases, and the settings' time zone for "today"."""

    def __init__(self, settings: Settings | None = None):
        self.prices = settings.prices if settings else {}
        self.model_aliases = settings.model_aliases if settings else {}
        self.provider_aliases = {k.lower(): v for k, v in settings.provider_aliases.items()} if settings else {}
        self.zone = ZoneInfo(settings.timezone) if settings else None
        self._rates: dict[tuple[str, str], list] = {}

    def provider(self, raw: str) -> str:
        return priced_provider(raw, self.provider_aliases)

    def today(self) -> dt.date:
        return dt.datetime.now(self.zone).date() if self.zone else dt.datetime.now().astimezone().date()

    def local_time(self, ts: str) -> dt.datetime | None:
        """A ledger ``ts`` as an aware local time (a naive one is already local time)."""
        try:
            at = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            return None
        if at.tzinfo is None:
            return at.replace(tzinfo=self.zone) if self.zone else at.astimezone()
        return at.astimezone(self.zone) if self.zone else at

    def local_date(self, ts: str) -> dt.date | None:
        """The local day of a ledger ``ts``."""
        at = self.local_time(ts)
        return at.date() if at else None

    def cost(self, record: dict[str, Any]) -> float:
        """USD for one ledger record; a writer's own ``cost_usd`` wins, as in the store."""
        if record.get("cost_usd") is not None:
            return float(record["cost_usd"])
        rows = self._rows(self.provider(str(record.get("provider") or "")), str(record.get("model") or ""))
        return _priced(record, rows)

    def _rows(self, provider: str, model: str) -> list:
        key = (provider, model)
        if key not in self._rates:
            try:
                self._rates[key] = rate_rows(provider, model, self.prices, self.model_aliases)
            except Exception:  # an unknown price must never stop the agent
                self._rates[key] = []
        return self._rates[key]


def _priced(record: dict[str, Any], rows: list) -> float:
    if not rows:
        return 0.0
    cache_read, cache_write = int(record.get("cache_read") or 0), int(record.get("cache_write") or 0)
    total_in = int(record.get("in") or 0) + cache_read + cache_write
    row = next((r for r in rows if r.min_input < total_in <= r.max_input), rows[0])
    return (int(record.get("in") or 0) * row.input_rate + int(record.get("out") or 0) * row.output_rate
            + cache_read * row.cache_read_rate + cache_write * row.cache_write_rate)


UNITS = {"daily_usd": "USD today", "monthly_usd": "USD this month", "daily_tokens": "tokens today",
         "hourly_usd": "USD in the last hour", "task_usd": "USD in task {task}", "task_tokens": "tokens in task {task}"}


def _measure(key: str, amount: float, limit: float, task: str | None) -> tuple[float, str]:
    """(percent used, what) of one limit; a zero budget is spent before the first request."""
    percent = 100.0 * amount / limit if limit else 100.0
    unit = UNITS[key].format(task=task)
    if key.endswith("_usd"):
        return percent, f"{amount:,.2f} of {limit:,.2f} {unit}"
    return percent, f"{int(amount):,} of {int(limit):,} {unit}"


def _tokens(record: dict[str, Any]) -> int:
    return sum(int(record.get(k) or 0) for k in ("in", "out", "cache_read", "cache_write"))


class ControlFollower:
    """One agent process's view of ``control.json`` and of its own use today."""

    def __init__(self, folder: Path | str, *, agent: str | None = None, session: str | None = None,
                 ledger: Path | str | None = None, settings: Settings | None = None):
        self.folder = Path(folder).expanduser()
        self.agent = agent
        self.session = session
        self.reader = ControlReader(self.folder)
        self.usage = LedgerWriter(Path(ledger) if ledger else self.folder / "usage.jsonl")
        self.events = LedgerWriter(self.folder / "events.jsonl")
        self.acknowledged: set[str] = set()
        self.pricing = Pricing(settings)
        self.use: DailyUse | None = None
        """Today's and this month's use; read from the ledger at the first budget check, so an
        agent with no budget never reads its ledger."""
        self._review_only_reason: str | None = None
        self.config_budgets = dict(settings.budgets) if settings else {}
        self.task: str | None = None
        """The task (session or run id) the agent works on now; the plugin sets it at each run's start."""
        self.last_task: str | None = None

    # -- controls ------------------------------------------------------------------------------

    def controls(self) -> Controls:
        return self.reader.current()

    def new_changes(self) -> list[PendingChange]:
        """Changes in ``control.json`` this agent has not acknowledged, oldest key first."""
        return [PendingChange(key, cid) for key, cid in self.controls().change_ids.items()
                if cid not in self.acknowledged]

    def acknowledge(self, change: PendingChange, result: AckResult, reason: str | None = None, **extra: Any) -> None:
        self.acknowledged.add(change.id)
        detail: dict[str, Any] = {"control_id": change.id, "action": change.action, "result": result, **extra}
        if reason:
            detail["reason"] = reason
        self.record_event("control_ack", **detail)

    def settle_changes(self, knows: Callable[[str], bool], compact: Callable[[PendingChange], None],
                       known_as: str = "the agent's models") -> None:
        """Acknowledge every new change: a forced failover to a model ``knows`` rejects is refused,
        a compaction request goes to ``compact`` (which acknowledges it once done), the rest apply."""
        for change in self.new_changes():
            if change.action == "compact":
                compact(change)
                continue
            if change.action == "failover":
                target = self.controls().failovers.get(change.subject)
                if target is not None and not knows(target):
                    self.acknowledge(change, "refused", f"{target} is not in {known_as}")
                    continue
            self.acknowledge(change, "applied")

    def forced_target(self, model: str | None, provider: str | None = None) -> str | None:
        """The model a forced failover sends ``model`` (or its provider) to, if any."""
        failovers = self.controls().failovers
        for key in (model, provider, priced_provider(provider) if provider else None):
            if key and key in failovers and failovers[key] != model:
                return failovers[key]
        return None

    # -- budgets -------------------------------------------------------------------------------

    def budgets(self) -> dict[str, dict[str, float]]:
        """The limits in force per scope: the config file's ``[budgets]`` with control.json's laid over."""
        limits: dict[str, dict[str, float]] = {}
        for scope, budget in self.config_budgets.items():
            limits[scope] = {k: v for k, v in budget.model_dump().items() if v is not None}
        for scope, scoped in self.controls().budgets.items():
            limits[scope] = {**limits.get(scope, {}),
                             **{k: v for k, v in scoped.model_dump().items() if v is not None}}
        return {k: v for k, v in limits.items() if v}

    def budget_use(self) -> list[tuple[str, float, str]]:
        """(scope, percent used, what) for every budget in force; the task limits measure the
        current task (``task``, else the follower's session, else the last task written)."""
        budgets = self.budgets()
        if not budgets:
            return []
        counted = self._daily_use()
        hour = counted.hour_usd(time.time())
        task = self.task or self.session or self.last_task
        per_task = counted.tasks.get(task or "", {})
        use = []
        for scope, limits in budgets.items():
            def pick(values: dict[str, Any], scope: str = scope) -> Any:
                return sum(values.values()) if scope == "all" else values.get(scope, 0)
            amounts = {"daily_usd": pick(counted.usd_today), "monthly_usd": pick(counted.usd_month),
                       "daily_tokens": pick(counted.tokens), "hourly_usd": pick(hour),
                       "task_usd": pick({p: v[0] for p, v in per_task.items()}),
                       "task_tokens": pick({p: v[1] for p, v in per_task.items()})}
            for key, limit in limits.items():
                if key.startswith("task_") and task is None:
                    continue
                use.append((scope, *_measure(key, amounts[key], limit, task)))
        return use

    def budget_policy(self) -> tuple[Policy | None, str]:
        """The strongest enforcement policy the budgets have reached, and why."""
        controls = self.controls()
        worst: tuple[Policy | None, str] = (None, "")
        rank = {None: -1, "warn": 0, "review-only": 1, "block": 2}
        for scope, percent, what in self.budget_use():
            policy = controls.policy_at(percent)
            if rank[policy] > rank[worst[0]]:
                worst = (policy, f"{scope} budget at {percent:.0f}% ({what})")
        return worst

    def review_only(self) -> tuple[bool, str]:
        """Whether mutating work is off, and why (set by hand, or by the budget policy)."""
        if self.controls().review_only:
            return True, "review-only mode is on (set from packwatch)"
        policy, why = self.budget_policy()
        if policy in ("review-only", "block"):
            return True, f"review-only because the {why}"
        return False, ""

    def may_request(self) -> tuple[bool, str]:
        """False while a budget with the ``block`` policy is reached."""
        policy, why = self.budget_policy()
        if policy == "block":
            return False, f"blocked by packwatch: the {why}"
        return True, ""

    # -- writing -------------------------------------------------------------------------------

    def record_usage(self, record: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Append one usage line (a ``usage_record`` or its keyword arguments) and count it."""
        if record is None:
            fields.setdefault("agent", self.agent)
            fields.setdefault("session", self.session)
            record = usage_record(**fields)
        self.usage.append(record)
        self.last_task = str(record.get("session") or "") or self.last_task
        self._count(record)
        return record

    def record_event(self, kind: str, **detail: Any) -> dict[str, Any]:
        detail.setdefault("agent", self.agent)
        detail.setdefault("session", self.session)
        head = {k: detail.pop(k) for k in ("ts", "agent", "session", "provider", "model") if k in detail}
        record = event_record(kind, **head, **detail)
        self.events.append(record)
        return record

    # -- counting today's use ------------------------------------------------------------------

    def _daily_use(self) -> DailyUse:
        if self.use is None:
            self._count_existing(self.pricing.today())
        self._roll_day()
        assert self.use is not None
        return self.use

    def _count(self, record: dict[str, Any]) -> None:
        task = str(record.get("session") or "") or None
        if self.use is None:
            return  # not counting yet: the first budget check reads this line from the ledger
        self._roll_day()
        at = self.pricing.local_time(str(record.get("ts", "")))
        if at is None or at.date().replace(day=1) != self.use.day.replace(day=1):
            return
        provider = self.pricing.provider(str(record.get("provider") or ""))
        usd, tokens = self.pricing.cost(record), _tokens(record)
        self.use.add_recent(at.timestamp(), provider, usd, time.time())
        if task:
            self.use.add_task(task, provider, tokens, usd)
        if at.date() == self.use.day:
            self.use.add(provider, tokens, usd)
        else:
            self.use.usd_month[provider] = self.use.usd_month.get(provider, 0.0) + usd

    def _roll_day(self) -> None:
        today = self.pricing.today()
        if self.use is not None and today != self.use.day:
            month = self.use.usd_month if today.month == self.use.day.month else {}
            self.use = DailyUse(day=today, usd_month=dict(month), recent=self.use.recent, tasks=self.use.tasks)

    def _count_existing(self, today: dt.date) -> None:
        """This month's use from the ledger already on disk, read once."""
        self.use = DailyUse(day=today)
        # A cheap skip (ts is the first field agents write), but a UTC stamp of this local month
        # may carry the month before or after: those lines are let through and _count decides.
        first = today.replace(day=1)
        months = [d.strftime("%Y-%m").encode()
                  for d in (first - dt.timedelta(days=1), first, first + dt.timedelta(days=31))]
        try:
            fh = open(self.usage.path, "rb")
        except OSError:
            return
        with fh:
            for raw in fh:
                if not any(m in raw[:64] for m in months):
                    continue
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("ts"), str):
                    self._count(record)
