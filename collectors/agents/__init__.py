"""Other agents' own logs, one adapter module per agent: discovery (the agent's own environment
variables and default paths), parsing, its de-duplication rules, and what it knows of its own cost.
Each module has ``AGENT`` (the agent program, also the rows' ``agent`` and its files' source kind)
and ``log(settings)`` (its ``AgentLog``, None when switched off); adding an agent is one module here,
one line in ``ADAPTERS``, its ``[sources]`` switch, and one test file."""

from __future__ import annotations

from ledger.settings import Settings

from . import claude_code, codex, copilot_cli, gemini_cli, opencode, qwen_code
from .base import AgentLog

ADAPTERS = (claude_code, codex, gemini_cli, opencode, qwen_code, copilot_cli)
AGENTS = tuple(a.AGENT for a in ADAPTERS)


def enabled(settings: Settings) -> list[AgentLog]:
    """The agents' logs the settings switch on (``auto``: read when present)."""
    return [log for adapter in ADAPTERS if (log := adapter.log(settings)) is not None]
