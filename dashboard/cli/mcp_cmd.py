"""``packwatch mcp``: an MCP server over stdio (the official ``mcp`` SDK, 2.3.0) with read-only tools,
so any MCP-capable agent can check before it spends: today's spend and budgets, the quota windows,
the burn rate, open circuits, the top recommendations, and whether review-only is on.

Each call catches up on the ledgers and computes the overview as ``packwatch status`` does (the same
numbers, checked against ``status --json`` in the tests), then lets the store go: a long-lived server
must not hold DuckDB's single-writer lock that the dashboard and ``packwatch collect`` need. While one
of them holds it, the answer comes from an in-memory index of the ledgers, as for ``status``.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from collectors.refresh import Refresher
from ledger.settings import Settings
from ledger.views.overview import Overview

SERVER_NAME = "packwatch"
INSTRUCTIONS = ("packwatch watches this machine's AI coding agents: spend against budgets, subscription quota "
                "windows, burn rate, provider circuits and recommendations. Ask before a large piece of work; "
                "every tool is read-only.")


class Snapshots:
    """One overview per call, one call at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()

    def take(self) -> tuple[Overview, bool]:
        """(the overview, review-only) right now."""
        with self.lock:
            refresher = Refresher(self.settings, who="packwatch mcp")
            refresher.open()
            try:
                view = refresher.run(force=True).overview
            finally:
                refresher.store.close()
            return view, refresher.controls.controls.review_only


def tools(snapshots: Snapshots) -> dict[str, Any]:
    """The tools, by name: each returns plain JSON (the fields of ``packwatch status --json``)."""

    def spend_today() -> dict[str, Any]:
        """Today's and this month's spend in USD, overall (scope "all") and per provider, against the
        daily and monthly budgets, with the alert level each has reached."""
        view, _ = snapshots.take()
        return {"date": view.now.date().isoformat(), "spend": [s.model_dump(mode="json") for s in view.spend],
                "status": _status(view)}

    def quota_windows() -> dict[str, Any]:
        """Subscription quota windows (Claude Code's 5-hour and weekly, Codex's primary and secondary, or an
        estimated 5-hour block): used percent, when each resets, and whether the agent reported it."""
        view, _ = snapshots.take()
        return {"quota": [q.model_dump(mode="json") for q in view.quota], "status": _status(view)}

    def burn_rate() -> dict[str, Any]:
        """Tokens per minute and USD per hour over the last 5, 15 and 60 minutes, and each provider's tokens
        today against its daily limit."""
        view, _ = snapshots.take()
        return view.burn.model_dump(mode="json", include={"windows", "providers"})

    def open_circuits() -> dict[str, Any]:
        """Providers whose circuit is not CLOSED (OPEN: failing, HALF_OPEN: recovering), with the last error."""
        view, _ = snapshots.take()
        return {"circuits": [c.model_dump(mode="json") for c in view.circuits if c.state != "CLOSED"]}

    def recommendations(limit: int = 5) -> dict[str, Any]:
        """The most urgent recommendations first: what to change, the evidence, and the control that does it."""
        view, _ = snapshots.take()
        return {"recommendations": [r.model_dump(mode="json") for r in view.recommendations[:max(0, limit)]]}

    def review_only() -> dict[str, Any]:
        """Whether review-only mode is on: then file edits and shell commands are refused."""
        view, on = snapshots.take()
        return {"review_only": on, "modes": view.modes}

    return {f.__name__: f for f in (spend_today, quota_windows, burn_rate, open_circuits, recommendations,
                                    review_only)}


def _status(view: Overview) -> dict[str, Any]:
    return {"health": view.health, "reasons": view.health_reasons, "exit_code": view.status_code}


def build_server(settings: Settings):
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)
    for name, tool in tools(Snapshots(settings)).items():
        server.add_tool(tool, name=name, annotations=read_only)
    return server


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    build_server(settings).run("stdio")
    return 0
