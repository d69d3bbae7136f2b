"""packwatch's Code Puppy plugin: usage rows, forced failover, review-only, compaction, budgets.

Code Puppy imports this module through the ``code_puppy.plugins`` entry point (pyproject.toml);
importing it registers the callbacks. Every hook signature below was read from the installed
``code_puppy/callbacks.py`` (0.0.946):

- ``message_history_processor_start(agent_name, session_id, message_history, incoming_messages)``
  fires before every model request of a run: the responses that arrived since the last one are
  written as usage rows (pydantic-ai's per-response ``RequestUsage`` carries real input, output and
  cache tokens; latency is the response's receive time minus its request's send time). It is also
  where a compaction request is handed to ``get_pause_controller().request_compaction()``: Code
  Puppy drains stale requests at run start, so a request must be made inside a run.
- ``agent_run_result(result, agent_name, model_name)``: the run's last responses.
- ``agent_run_start(agent_name, model_name, session_id)`` (``session_id`` is the run's group id):
  the run is the task the per-task budgets measure, and an ``agent_run`` event (phase ``start``)
  for the Pack view.
- ``agent_run_end(agent_name, model_name, session_id, success, error, response_text, metadata)``:
  an ``agent_run`` event (phase ``end``); a failed run becomes an error row (DESIGN.md names
  ``stream_event`` for usage too, but its events carry text deltas, not token counts, so it is not used).
- ``model_select(*, agent_name, current_model, prompt, messages, session_id)``: the forced model.
- ``pre_tool_call(tool_name, tool_args, context)``: ``{"blocked": True, "error_message": ...}`` for
  mutating tools while review-only is on, registered ``fail_closed=True`` so a crash blocks.
- ``agent_run_context(agent, pydantic_agent, group_id, mcp_servers)``: the budget policy
  ``block`` refuses the model attempt (its context manager raises before the request).
- ``pre_compact(agent_name, strategy, message_count, token_count)`` gives the tokens before;
  ``message_history_processor_end(..., message_history, ...)`` right after gives the history the
  tokens after are counted from (``code_puppy.context_accounting.context_tokens``).

Everything but the review-only block is wrapped: a failure is logged and the agent goes on.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..pack import workload_of
from .follower import ControlFollower, PendingChange

logger = logging.getLogger("packwatch.code_puppy")

# Code Puppy's tools that change files or run commands (code_puppy/tools/__init__.py TOOL_REGISTRY,
# with the legacy aliases it still accepts).
MUTATING_TOOLS = frozenset({
    "edit_file", "create_file", "replace_in_file", "delete_snippet", "delete_file", "apply_patch", "edit",
    "shell", "agent_run_shell_command", "run_shell_command", "run_shell_commmand",
})


def _follower() -> ControlFollower:
    """Controls from ``PACKWATCH_CONTROL_DIR``, else beside packwatch's first ledger; usage priced
    and dated with packwatch's settings (overrides, aliases, time zone), as the dashboard does."""
    from ..settings import Settings, load_settings

    try:
        settings = load_settings()
    except Exception as exc:  # a broken config file must not stop the agent: say so, use the defaults
        logger.error("packwatch: the config file cannot be read (%s); using the default ledger folder", exc)
        settings = Settings.model_construct(**{n: f.get_default(call_default_factory=True)
                                               for n, f in Settings.model_fields.items()})
    folder = os.environ.get("PACKWATCH_CONTROL_DIR")
    return ControlFollower(Path(folder).expanduser() if folder else settings.control_dir, agent="code-puppy",
                           settings=settings)


def _guarded(default: Any = None) -> Callable:
    """Log and swallow any failure: the plugin must never break the agent."""
    def wrap(func: Callable) -> Callable:
        if _is_async(func):
            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await func(*args, **kwargs)
                except Exception:
                    logger.exception("packwatch plugin: %s failed; the agent goes on", func.__name__)
                    return default
            return run_async

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                logger.exception("packwatch plugin: %s failed; the agent goes on", func.__name__)
                return default
        return run
    return wrap


def _is_async(func: Callable) -> bool:
    import inspect

    return inspect.iscoroutinefunction(func)


class BudgetBlocked(RuntimeError):
    """Raised before a model attempt while a budget with the ``block`` policy is reached."""


class PackwatchPlugin:
    """The plugin's state for one Code Puppy process."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self._follower: ControlFollower | None = None
        self._recorded: set[tuple[str, str]] = set()
        self._compaction: PendingChange | None = None  # requested from Code Puppy, not yet seen compacting
        self._compacting: dict[str, Any] | None = None  # pre_compact seen, waiting for the history after
        self._warned: str | None = None
        self._requested = False
        self._models: dict[str, Any] = {}

    def models(self, model: str | None = None) -> dict[str, Any]:
        """Code Puppy's model config, read again only for a model not in it yet: each read is
        ~0.5 ms (several files and three plugin callbacks), and this runs per model response."""
        if not self._models or (model and model not in self._models):
            self._models = _models_config()
        return self._models

    @property
    def follower(self) -> ControlFollower:
        if self._follower is None:
            self._follower = (ControlFollower(self.folder, agent="code-puppy") if self.folder else _follower())
        return self._follower

    # -- controls ------------------------------------------------------------------------------

    def settle(self, in_run: bool = False) -> None:
        """Acknowledge every new change; hand a new compaction request to Code Puppy (in a run)."""
        def knows(target: str) -> bool:
            known = self.models(target)
            return not known or target in known  # no config to check against: trust the user

        def compact(change: PendingChange) -> None:
            if self._compaction is None or self._compaction.id != change.id:
                self._compaction = change
                self._requested = False
            if in_run and not self._requested:
                from code_puppy.messaging.pause_controller import get_pause_controller

                get_pause_controller().request_compaction()
                self._requested = True

        self.follower.settle_changes(knows, compact, "Code Puppy's models config")
        self._warn_budget()

    def _warn_budget(self) -> None:
        """Say once per new budget state what the policy does (the blocks themselves are events)."""
        policy, why = self.follower.budget_policy()
        if policy is not None and why != self._warned:
            self._warned = why
            try:
                from code_puppy.messaging import emit_warning

                emit_warning(f"packwatch: {why} ({policy})")
            except Exception:
                logger.warning("packwatch: %s (%s)", why, policy)

    # -- usage rows ----------------------------------------------------------------------------

    def record_responses(self, messages: list[Any], agent_name: str | None, session_id: str | None) -> int:
        """One usage row per model response not written yet."""
        from pydantic_ai.messages import ModelRequest, ModelResponse

        written = 0
        sent_at: dt.datetime | None = None
        for message in messages:
            if isinstance(message, ModelRequest):
                sent_at = message.timestamp
                continue
            if not isinstance(message, ModelResponse):
                continue
            key = (str(message.run_id or message.provider_response_id or ""), message.timestamp.isoformat())
            if key in self._recorded:
                continue
            self._recorded.add(key)
            usage = message.usage
            cache_read, cache_write = usage.cache_read_tokens or 0, usage.cache_write_tokens or 0
            latency = 0
            if sent_at is not None and message.timestamp >= sent_at:
                latency = int((message.timestamp - sent_at).total_seconds() * 1000)
            model = message.model_name or "unknown"
            self.follower.record_usage(
                ts=message.timestamp.isoformat(timespec="milliseconds"), provider=_provider_of(model, message),
                model=model, input_tokens=max(0, (usage.input_tokens or 0) - cache_read - cache_write),
                output_tokens=usage.output_tokens or 0, cache_read=cache_read, cache_write=cache_write,
                latency_ms=latency, agent=agent_name or "code-puppy", session=session_id,
                kind="request", request_id=message.provider_response_id)
            written += 1
        return written

    def record_failed_run(self, agent_name: str, model_name: str, session_id: str | None, error: BaseException,
                          metadata: dict | None) -> None:
        meta = metadata or {}
        status = getattr(error, "status_code", None)
        self.follower.record_usage(
            provider=_provider_of(model_name, None), model=model_name or "unknown",
            input_tokens=int(meta.get("usage_input_tokens") or 0),
            output_tokens=int(meta.get("usage_output_tokens") or 0),
            agent=agent_name or "code-puppy", session=session_id, kind="request",
            error=f"{type(error).__name__}: {error}"[:300], status=status if isinstance(status, int) else None)

    # -- compaction ----------------------------------------------------------------------------

    def compaction_starting(self, agent_name: str, strategy: str, message_count: int, token_count: int) -> None:
        self._compacting = {"agent": agent_name, "strategy": strategy, "before_tokens": int(token_count),
                            "before_messages": int(message_count)}

    def compaction_done(self, message_history: list[Any], session_id: str | None) -> None:
        if self._compacting is None:
            return
        started, self._compacting = self._compacting, None
        after = _count_tokens(message_history)
        request, self._compaction = self._compaction, None
        detail = {"strategy": started["strategy"], "before_tokens": started["before_tokens"],
                  "after_tokens": after, "after_messages": len(message_history)}
        if request is not None:
            detail["control_id"] = request.id
        self.follower.record_event("compaction", agent=started["agent"], session=session_id, **detail)
        if request is not None:
            self.follower.acknowledge(request, "applied", before_tokens=started["before_tokens"], after_tokens=after)


def _provider_of(model: str, response: Any) -> str:
    config = PLUGIN.models(model).get(model) or {}
    return str(config.get("type") or getattr(response, "provider_name", None) or "unknown")


def _models_config() -> dict[str, Any]:
    try:
        from code_puppy.model_factory import ModelFactory

        return ModelFactory.load_config() or {}
    except Exception:
        return {}


def _count_tokens(messages: list[Any]) -> int:
    try:
        from code_puppy.context_accounting import context_tokens

        return int(context_tokens(messages, None))
    except Exception:
        return sum(len(str(m)) for m in messages) * 2 // 5  # Code Puppy's own 2.5 chars/token fallback


PLUGIN = PackwatchPlugin()


# -- the callbacks, as Code Puppy calls them -----------------------------------------------------

@_guarded()
def on_history_start(agent_name: str, session_id: str | None, message_history: list[Any],
                     incoming_messages: list[Any]) -> None:
    if session_id:
        PLUGIN.follower.task = session_id  # the rows carry this id: the task they count toward
    PLUGIN.settle(in_run=True)
    PLUGIN.record_responses(list(message_history) + list(incoming_messages or []), agent_name, session_id)


@_guarded()
def on_history_end(agent_name: str, session_id: str | None, message_history: list[Any], messages_added: int,
                   messages_filtered: int) -> None:
    PLUGIN.compaction_done(list(message_history), session_id)


@_guarded()
async def on_run_result(result: Any, agent_name: str, model_name: str) -> None:
    PLUGIN.record_responses(list(result.all_messages()), agent_name, None)


@_guarded()
async def on_run_start(agent_name: str, model_name: str, session_id: str | None = None) -> None:
    """The run is the task its per-task budgets measure; its start is an ``agent_run`` event (the Pack view)."""
    follower = PLUGIN.follower
    if session_id:
        follower.task = session_id
    follower.record_event("agent_run", agent=agent_name, session=session_id, model=model_name, phase="start",
                          workload=workload_of(agent_name))


@_guarded()
async def on_run_end(agent_name: str, model_name: str, session_id: str | None = None, success: bool = True,
                     error: Exception | None = None, response_text: str | None = None,
                     metadata: dict | None = None) -> None:
    if not success and error is not None:
        PLUGIN.record_failed_run(agent_name, model_name, session_id, error, metadata)
    PLUGIN.follower.record_event("agent_run", agent=agent_name, session=session_id, model=model_name, phase="end",
                                 workload=workload_of(agent_name), success=bool(success))


@_guarded()
def on_model_select(*, agent_name: str | None, current_model: str | None, prompt: str, messages: list[Any],
                    session_id: str | None = None) -> str | None:
    PLUGIN.settle()
    if not current_model:
        return None
    target = PLUGIN.follower.forced_target(current_model, _provider_of(current_model, None))
    if target:
        PLUGIN.follower.record_event("failover", model=current_model, to=target, reason="forced from packwatch")
    return target


def on_pre_tool_call(tool_name: str, tool_args: dict, context: Any = None) -> dict | None:
    """Not guarded: registered fail-closed, so an exception here blocks the tool (Code Puppy turns it into
    a block result) instead of letting a mutating tool through while review-only may be on."""
    if tool_name not in MUTATING_TOOLS:
        return None
    follower = PLUGIN.follower
    on, reason = follower.review_only()  # also on while a ``block`` budget policy is reached
    if not on:
        return None
    follower.record_event("blocked", tool=tool_name, reason=reason)
    return {"blocked": True, "reason": reason,
            "error_message": f"[BLOCKED] {tool_name} is not allowed: {reason}. Read, search and plan only; "
                             "say what you would change instead."}


class _BudgetGate:
    async def __aenter__(self) -> None:
        allowed, why = PLUGIN.follower.may_request()
        if not allowed:
            PLUGIN.follower.record_event("blocked", tool="model_request", reason=why)
            raise BudgetBlocked(why)

    async def __aexit__(self, *exc: object) -> None:
        return None


@_guarded()
def on_run_context(agent: Any, pydantic_agent: Any, group_id: Any, mcp_servers: Any) -> _BudgetGate:
    PLUGIN.settle()
    return _BudgetGate()


@_guarded()
async def on_pre_compact(agent_name: str, strategy: str, message_count: int, token_count: int) -> None:
    PLUGIN.compaction_starting(agent_name, strategy, message_count, token_count)


def register() -> None:
    from code_puppy.callbacks import register_callback

    register_callback("message_history_processor_start", on_history_start)
    register_callback("message_history_processor_end", on_history_end)
    register_callback("agent_run_result", on_run_result)
    register_callback("agent_run_start", on_run_start)
    register_callback("agent_run_end", on_run_end)
    register_callback("model_select", on_model_select)
    register_callback("pre_tool_call", on_pre_tool_call, fail_closed=True)
    register_callback("agent_run_context", on_run_context)
    register_callback("pre_compact", on_pre_compact)


try:
    register()
except ImportError:  # imported without Code Puppy (e.g. by a linter): nothing to hook into
    pass
