"""The control channel (DESIGN.md): ``control.json`` is the state the agent must honour, and
``controls.jsonl`` the audit trail of every change to it. Both live beside the first ledger.

Writers (the dashboard, ``packwatch control``) change one control at a time with a
read-modify-write under ``control.lock``, so two dashboards changing controls at once lose nothing;
the new file is written to a temporary file in the same folder, fsynced and ``os.replace``d, so a
reader sees the old state or the new one, never half of either. A corrupt ``control.json`` reads as
the safe defaults with a warning, and is moved aside (``control.json.corrupt-<time>``) before the
next write replaces it.

Agents read with ``ControlReader``: one ``os.stat`` per call while nothing changed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from .agent import now_iso
from .atomic import replacing
from .settings import Budget, Settings

CONTROL_FILE = "control.json"
AUDIT_FILE = "controls.jsonl"
LOCK_FILE = "control.lock"
LOCK_TIMEOUT_S = 10.0  # a writer that holds the lock longer than this has died mid-change

Policy = Literal["warn", "review-only", "block"]
ActionName = Literal["review-only", "budget", "failover", "compact", "enforce", "alert-levels"]


class ControlError(Exception):
    """A control change that cannot be made (bad value, lock held, unwritable folder)."""


class ScopeBudget(BaseModel):
    """Limits for one scope: ``all`` or one provider (as priced: ``anthropic``, ``cerebras``...)."""

    model_config = {"use_attribute_docstrings": True, "extra": "forbid"}

    daily_usd: float | None = Field(default=None, ge=0)
    """USD per local day."""
    monthly_usd: float | None = Field(default=None, ge=0)
    """USD per calendar month."""
    daily_tokens: int | None = Field(default=None, ge=0)
    """Tokens per local day (input + output + cache)."""

    def is_empty(self) -> bool:
        return self.daily_usd is None and self.monthly_usd is None and self.daily_tokens is None


class CompactionRequest(BaseModel):
    model_config = {"extra": "forbid"}

    id: str
    requested_at: str
    """ISO-8601 UTC."""
    session: str | None = None
    """The session a recommendation asked about, when it named one; None = the agent's current one."""


class Controls(BaseModel):
    """``control.json``: the desired state. Empty budgets mean the config file's budgets apply."""

    model_config = {"use_attribute_docstrings": True, "extra": "forbid"}

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


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc']) or 'file'}: {err['msg']}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno})"
    return str(exc)


class ControlChannel:
    """Reads and changes ``control.json`` in ``folder``; appends every change to ``controls.jsonl``."""

    def __init__(self, folder: Path | str, *, who: str | None = None):
        self.folder = Path(folder).expanduser()
        self.path = self.folder / CONTROL_FILE
        self.audit_path = self.folder / AUDIT_FILE
        # filelock rather than a bare fcntl.flock: a timeout (a dead writer must not hang the
        # dashboard forever), Windows support, and it is already how pip/virtualenv lock files.
        self._lock = FileLock(self.folder / LOCK_FILE, timeout=LOCK_TIMEOUT_S)
        self.who = who or default_who()

    # -- reading -------------------------------------------------------------------------------

    def read(self) -> ControlState:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return ControlState(controls=Controls())
        except OSError as exc:
            return ControlState(controls=Controls(), warning=f"cannot read {self.path}: {exc.strerror}; "
                                                            "showing default controls")
        try:
            return ControlState(controls=parse_controls(raw))
        except ValueError as exc:
            return ControlState(controls=Controls(), warning=f"{self.path} is corrupt ({_why(exc)}); showing "
                                                            "default controls until the next change keeps a copy")

    def history(self, limit: int = 50) -> list[ControlChange]:
        """The last ``limit`` changes, oldest first; unreadable lines are skipped (the file is an audit
        trail for people: a bad line must not hide the good ones)."""
        try:
            lines = self.audit_path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        changes = []
        for line in lines[-limit:]:
            try:
                changes.append(ControlChange.model_validate_json(line))
            except ValueError:
                continue
        return changes

    # -- changing ------------------------------------------------------------------------------

    def change(self, action: ActionName, key: str, mutate: Callable[[Controls], Any]) -> ControlChange:
        """Read, apply ``mutate`` (which changes the controls in place and returns the new value of
        ``key``), write, and record the change, all under the lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                current = self._read_for_change()
                old = _value_of(current, key)
                updated = current.model_copy(deep=True)
                mutate(updated)
                try:
                    updated = Controls.model_validate(updated.model_dump())
                except ValidationError as exc:
                    raise ControlError(_why(exc)) from None
                change = ControlChange(ts=now_iso(), id=new_id(), who=self.who, action=action, key=key,
                                       old=old, new=_value_of(updated, key), revision=current.revision + 1)
                updated.revision = change.revision
                updated.change_ids[key] = change.id
                if action == "compact" and updated.compaction is not None:
                    updated.compaction.id = change.id
                    change.new = updated.compaction.model_dump()
                self._write(updated)
                self._audit(change)
                return change
        except Timeout:
            raise ControlError(f"{self.folder / LOCK_FILE} is held by another writer; try again") from None
        except OSError as exc:
            raise ControlError(f"cannot write the controls in {self.folder}: {exc.strerror}") from None

    def _read_for_change(self) -> Controls:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Controls()
        try:
            return parse_controls(raw)
        except ValueError:
            # Keep what was there: the user may want to see what went wrong with it.
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            os.replace(self.path, self.path.with_name(f"{CONTROL_FILE}.corrupt-{stamp}"))
            return Controls()

    def _write(self, controls: Controls) -> None:
        # 0644: agents of other users read it too.
        with replacing(self.path, 0o644) as fh:
            fh.write(controls.model_dump_json(indent=2).encode() + b"\n")

    def _audit(self, change: ControlChange) -> None:
        line = change.model_dump_json().encode() + b"\n"
        fd = os.open(self.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- the controls, one method each ---------------------------------------------------------

    def set_review_only(self, on: bool) -> ControlChange:
        def mutate(c: Controls) -> None:
            c.review_only = on
        return self.change("review-only", "review_only", mutate)

    def set_budget(self, scope: str = "all", *, daily_usd: float | None = None, monthly_usd: float | None = None,
                   daily_tokens: int | None = None, clear: bool = False) -> ControlChange:
        """Set the given limits of ``scope`` (others unchanged); ``clear`` removes the scope's limits.
        A value of 0 is a real limit (nothing may be spent); pass ``clear`` to lift one."""
        scope = scope.strip().lower()
        if not scope:
            raise ControlError("a budget needs a scope: all or a provider name")
        given = {"daily_usd": daily_usd, "monthly_usd": monthly_usd, "daily_tokens": daily_tokens}
        if not clear and all(v is None for v in given.values()):
            raise ControlError("give at least one of --daily-usd, --monthly-usd, --daily-tokens")
        try:
            ScopeBudget(**{k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise ControlError(_why(exc)) from None

        def mutate(c: Controls) -> None:
            if clear:
                c.budgets.pop(scope, None)
                return
            budget = c.budgets.get(scope) or ScopeBudget()
            c.budgets[scope] = budget.model_copy(update={k: v for k, v in given.items() if v is not None})
        return self.change("budget", f"budget:{scope}", mutate)

    def set_failover(self, source: str, target: str | None) -> ControlChange:
        """Force ``source`` (a provider or a model) onto model ``target``; None clears it."""
        source = source.strip()
        if not source:
            raise ControlError("name the provider or model to fail over from")
        if target is not None and not target.strip():
            raise ControlError("name the model to fail over to (--to MODEL), or pass --clear")

        def mutate(c: Controls) -> None:
            if target is None:
                if source not in c.failovers:
                    raise ControlError(f"no failover is forced for {source}")
                del c.failovers[source]
            else:
                c.failovers[source] = target.strip()
        return self.change("failover", f"failover:{source}", mutate)

    def request_compaction(self, session: str | None = None) -> ControlChange:
        def mutate(c: Controls) -> None:
            c.compaction = CompactionRequest(id="", requested_at=now_iso(), session=session)
        return self.change("compact", "compaction", mutate)

    def set_enforcement(self, level: int, policy: Policy | None) -> ControlChange:
        """At ``level`` percent of a budget, do ``policy``; None removes the level's policy."""
        def mutate(c: Controls) -> None:
            if policy is None:
                c.enforcement.pop(level, None)
            else:
                c.enforcement[level] = policy
        return self.change("enforce", "enforcement", mutate)

    def set_alert_levels(self, levels: list[int] | None) -> ControlChange:
        def mutate(c: Controls) -> None:
            c.alert_levels = levels
        return self.change("alert-levels", "alert_levels", mutate)


def _value_of(controls: Controls, key: str) -> Any:
    """The JSON value one change is about, for the audit trail."""
    data = controls.model_dump(mode="json")
    kind, _, name = key.partition(":")
    if kind == "budget":
        return data["budgets"].get(name)
    if kind == "failover":
        return data["failovers"].get(name)
    return data.get(key)


def default_who() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no user name in a bare container: still say which machine
        user = "unknown"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


class ControlReader:
    """The agent's cheap read: re-parses ``control.json`` only when its stat changes.

    A file that turns corrupt keeps the last good controls in force (an agent in review-only mode
    must not leave it because someone broke the file) and says so in ``warning``.
    """

    def __init__(self, folder: Path | str):
        self.path = Path(folder).expanduser() / CONTROL_FILE
        self._stamp: tuple[int, int, int] | None = None
        self._controls = Controls()
        self.warning: str | None = None

    def current(self) -> Controls:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._stamp is not None:
                self._stamp = None
                self.warning = None
                self._controls = Controls()
            return self._controls
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return self._controls
        try:
            controls = parse_controls(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            self.warning = f"{self.path} unusable ({_why(exc)}); keeping the last good controls"
        else:
            self._controls = controls
            self.warning = None
        self._stamp = stamp
        return self._controls


def with_controls(settings: Settings, controls: Controls) -> Settings:
    """``settings`` with the controls' budgets, token limits and alert levels laid over the config's,
    so every pane and ``packwatch status`` measures against what the agent is told."""
    budgets = dict(settings.budgets)
    tokens = dict(settings.daily_token_limits)
    for scope, b in controls.budgets.items():
        usd = {k: v for k, v in (("daily_usd", b.daily_usd), ("monthly_usd", b.monthly_usd)) if v is not None}
        if usd:
            budgets[scope] = (budgets.get(scope) or Budget()).model_copy(update=usd)
        if b.daily_tokens is not None:
            tokens[scope] = b.daily_tokens
    update: dict[str, Any] = {"budgets": budgets, "daily_token_limits": tokens}
    if controls.alert_levels is not None:
        update["alert_levels"] = controls.alert_levels
    return settings.model_copy(update=update)


AckState = Literal["pending", "applied", "refused", "superseded"]


class ChangeStatus(BaseModel):
    """One change and what the agent made of it."""

    change: ControlChange
    state: AckState
    reason: str | None = None
    agent: str | None = None
    acked_at: dt.datetime | None = None


def acknowledgements(cur: Any, ids: list[str]) -> dict[str, tuple[str, str | None, str | None, dt.datetime]]:
    """control id -> (result, reason, agent, when) of the agent's latest ``control_ack`` for it."""
    if not ids:
        return {}
    rows = cur.execute("""
        SELECT detail->>'control_id', arg_max(detail->>'result', ts), arg_max(detail->>'reason', ts),
               arg_max(agent, ts), max(ts)
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
