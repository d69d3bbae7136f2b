"""Other agents' own logs, one adapter module per agent: discovery (the agent's own environment
variables and default paths), parsing, and its de-duplication rules. Each module has ``AGENT`` (its
name, also the store's source kind) and ``log(settings)`` (its ``AgentLog``, None when switched off);
adding an agent is one module here and one line in ``ADAPTERS``."""

from __future__ import annotations

from ledger.settings import Settings

from . import claude_code, codex
from .base import AgentLog

ADAPTERS = (claude_code, codex)
AGENTS = tuple(a.AGENT for a in ADAPTERS)


def enabled(settings: Settings) -> list[AgentLog]:
    """The agents' logs the settings switch on (``auto``: read when present)."""
    return [log for adapter in ADAPTERS if (log := adapter.log(settings)) is not None]
