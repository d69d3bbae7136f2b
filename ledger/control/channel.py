"""The control channel's writers (the dashboard, ``packwatch control``): one control at a time, with
a read-modify-write under ``control.lock``, so two dashboards changing controls at once lose nothing.

The new file is written to a temporary file in the same folder, fsynced and ``os.replace``d, so a
reader sees the old state or the new one, never half of either. A corrupt ``control.json`` reads as
the safe defaults with a warning, and is moved aside (``control.json.corrupt-<time>``) before the
next write replaces it. Every change is appended to ``controls.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import ValidationError

from ..atomic import replacing
from ..clock import now_iso
from .model import (
    AUDIT_FILE,
    CONTROL_FILE,
    LOCK_FILE,
    ActionName,
    CompactionRequest,
    ControlBusy,
    ControlChange,
    ControlError,
    Controls,
    ControlState,
    Policy,
    ScopeBudget,
    new_id,
    parse_controls,
    why,
)

LOCK_TIMEOUT_S = 10.0  # a writer that holds the lock longer than this has died mid-change


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
            return ControlState(controls=Controls(), warning=f"{self.path} is corrupt ({why(exc)}); showing "
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
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._lock:
                current = self._read_for_change()
                old = _value_of(current, key)
                updated = current.model_copy(deep=True)
                mutate(updated)
                try:
                    updated = Controls.model_validate(updated.model_dump())
                except ValidationError as exc:
                    raise ControlError(why(exc)) from None
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
            raise ControlBusy(f"{self.folder / LOCK_FILE} is held by another writer; try again") from None
        except OSError as exc:
            raise ControlBusy(f"cannot write the controls in {self.folder}: {exc.strerror}") from None

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
            if os.fstat(fd).st_size == 0:  # new: 0644 whatever the umask (the store lowers it to 077)
                os.fchmod(fd, 0o644)
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
                   daily_tokens: int | None = None, hourly_usd: float | None = None, task_usd: float | None = None,
                   task_tokens: int | None = None, clear: bool = False) -> ControlChange:
        """Set the given limits of ``scope`` (others unchanged); ``clear`` removes the scope's limits.
        A value of 0 is a real limit (nothing may be spent); pass ``clear`` to lift one."""
        scope = scope.strip().lower()
        if not scope:
            raise ControlError("a budget needs a scope: all or a provider name")
        given = {"daily_usd": daily_usd, "monthly_usd": monthly_usd, "daily_tokens": daily_tokens,
                 "hourly_usd": hourly_usd, "task_usd": task_usd, "task_tokens": task_tokens}
        if not clear and all(v is None for v in given.values()):
            raise ControlError("give at least one of --daily-usd, --monthly-usd, --daily-tokens, --hourly-usd, "
                               "--task-usd, --task-tokens")
        try:
            ScopeBudget(**{k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise ControlError(why(exc)) from None

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
