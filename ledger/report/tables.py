"""The report's terminal table (``--format table``), with Rich: its own module, so the other formats start
without importing Rich."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..text import one_line
from .model import Counts, Report


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _days_table(report: Report) -> Table:
    days = Table(title=f"Per day ({report.timezone})", title_justify="left")
    for col in ("date", "requests", "errors", "input", "output", "reasoning", "cache read", "cache write",
                "cost USD", "unpriced"):
        days.add_column(col, justify="left" if col == "date" else "right")

    def day_row(label: str, d: Counts, **style: str) -> None:
        days.add_row(label, f"{d.requests:,}", f"{d.errors:,}", f"{d.input_tokens:,}", f"{d.output_tokens:,}",
                     f"{d.reasoning_tokens:,}", f"{d.cache_read_tokens:,}", f"{d.cache_write_tokens:,}",
                     f"{d.cost_usd:,.2f}", f"{d.unpriced_requests:,}", **style)

    for d in report.days:
        day_row(one_line(d.date), d)
    if report.days:
        days.add_section()
        day_row("total", report.totals, style="bold")
    return days


TABLE_MODELS = 50
"""The terminal table lists the costliest models only (a ledger may name thousands: ``--by model`` has all)."""


def _models_table(report: Report) -> Table:
    models = Table(title="Per model", title_justify="left")
    for col in ("model", "provider", "requests", "errors", "input", "output", "reasoning", "cost USD", "p50 ms",
                "p95 ms"):
        models.add_column(col, justify="left" if col in ("model", "provider") else "right")
    unpriced = report.unpriced_by_model()
    for m in report.models[:TABLE_MODELS]:
        money = "unpriced" if unpriced.get((m.provider, m.model)) == m.requests else f"{m.cost_usd:,.2f}"
        models.add_row(Text(one_line(m.model)), Text(one_line(m.provider)), f"{m.requests:,}", f"{m.errors:,}",
                       f"{m.input_tokens:,}", f"{m.output_tokens:,}", f"{m.reasoning_tokens:,}", money,
                       _ms(m.latency_p50_ms), _ms(m.latency_p95_ms))
    if len(report.models) > TABLE_MODELS:
        models.caption = (f"the {TABLE_MODELS} costliest of {len(report.models):,} models; "
                          "`--format csv --by model` lists them all")
    return models


def _agents_table(report: Report) -> Table:
    """Per agent program, and under each its subagents (a pack member, a Claude Code subagent)."""
    agents = Table(title="Per agent", title_justify="left")
    for col in ("agent", "subagent", "requests", "errors", "input", "output", "reasoning", "cost USD"):
        agents.add_column(col, justify="left" if col in ("agent", "subagent") else "right")
    for a in report.agents:
        agents.add_row(Text(one_line(a.agent)), "", f"{a.requests:,}", f"{a.errors:,}", f"{a.input_tokens:,}",
                       f"{a.output_tokens:,}", f"{a.reasoning_tokens:,}", f"{a.cost_usd:,.2f}", style="bold")
        for s in (s for s in report.subagents if s.agent == a.agent and s.subagent is not None):
            agents.add_row("", Text(one_line(s.subagent)), f"{s.requests:,}", f"{s.errors:,}", f"{s.input_tokens:,}",
                           f"{s.output_tokens:,}", f"{s.reasoning_tokens:,}", f"{s.cost_usd:,.2f}")
    return agents


def _team_table(report: Report, by: str) -> Table:
    """Per machine or per user, on a team cache."""
    table = Table(title=f"Per {by}", title_justify="left")
    for col in (by, "requests", "errors", "input", "output", "cost USD"):
        table.add_column(col, justify="left" if col == by else "right")
    for r in getattr(report, f"{by}s") or []:
        table.add_row(Text(one_line(getattr(r, by))), f"{r.requests:,}", f"{r.errors:,}", f"{r.input_tokens:,}",
                      f"{r.output_tokens:,}", f"{r.cost_usd:,.2f}")
    return table


def _blocks_table(report: Report) -> Table:
    table = Table(title="Cost per 5-hour block", title_justify="left")
    for col in ("agent", "start", "requests", "tokens", "cost USD", ""):
        table.add_column(col, justify="left" if col in ("agent", "start", "") else "right")
    for b in report.blocks:
        table.add_row(Text(one_line(b.agent)), b.start[:16].replace("T", " "), f"{b.requests:,}", f"{b.tokens:,}",
                      f"{b.cost_usd:,.2f}", "active" if b.active else "")
    return table


def table_renderables(report: Report) -> list[RenderableType]:
    """The terminal table (``--format table``), as Rich renderables."""
    notes = [f"{report.rejected_lines:,} rejected ledger lines"]
    if report.totals.unpriced_requests:
        notes.append(f"{report.totals.unpriced_requests:,} unpriced requests: add a [prices] override "
                     "to the config file for their models")
    footer = Text("; ".join(notes) + ".", style="dim")
    footer.append(f"\nPrices: {one_line(report.prices_line())}.", style="dim")
    blocks = [_blocks_table(report)] if report.blocks else []
    team = [_team_table(report, by) for by in ("machine", "user") if getattr(report, f"{by}s")]
    return [_days_table(report), _models_table(report), _agents_table(report), *team, *blocks, footer]


def to_table(report: Report, width: int = 120) -> str:
    """The terminal table as plain text (for ``--output`` and golden files)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      legacy_windows=False)
    console.print(Group(*table_renderables(report)))
    return console.file.getvalue()  # type: ignore[attr-defined]


