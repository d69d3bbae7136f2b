"""The report's text formats: a terminal table, JSON, CSV and Markdown (HTML is ``html``, Parquet is
``export``). Every renderer prints ``totals`` from the same model, so all formats agree with the JSON
to the cent and the token."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..text import csv_cell, md_cell, one_line, printable
from .model import Counts, Report
from .queries import DAY_COLUMNS, GROUP_COLUMNS, MODEL_COLUMNS, SESSION_COLUMNS

BLOCK_COLUMNS = ["agent", "start", "end", "requests", "tokens", "cost_usd", "active"]

# -- one table, for CSV and Parquet -----------------------------------------------------------

def table_rows(report: Report, by: str | None = None) -> tuple[list[str], list[dict]]:
    """The columns and rows of the one table CSV and Parquet hold, chosen by ``by``; every row
    also names the prices used, and model rows count their unpriced requests."""
    by = by or report.by
    price = report.prices_line()
    if by == "day":
        columns, rows = list(DAY_COLUMNS), [r.model_dump() for r in report.days]
    elif by == "model":
        unpriced = report.unpriced_by_model()
        columns = [*MODEL_COLUMNS, "unpriced_requests"]
        rows = [{**m.model_dump(), "unpriced_requests": unpriced.get((m.provider, m.model), 0)} for m in report.models]
    elif by == "session":
        columns, rows = list(SESSION_COLUMNS), [r.model_dump() for r in report.all_sessions]
    elif by in ("provider", "agent", "machine", "user"):
        columns, rows = [by, *GROUP_COLUMNS], [r.model_dump() for r in getattr(report, f"{by}s") or []]
    elif by == "subagent":
        columns, rows = ["agent", "subagent", *GROUP_COLUMNS], [r.model_dump() for r in report.subagents]
    else:
        raise ValueError(f"cannot group by {by!r}")
    return [*columns, "prices"], [{**{c: r.get(c) for c in columns}, "prices": price} for r in rows]


def to_json(report: Report) -> str:
    return json.dumps(report.plain(), indent=2) + "\n"


def to_csv(report: Report, by: str | None = None) -> str:
    columns, rows = table_rows(report, by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else csv_cell(row[c]) for c in columns])
    return out.getvalue()


# -- Markdown ----------------------------------------------------------------------------------

def _cell(value: object, money: bool = False) -> str:
    if value is None:
        return ""
    if money:
        return f"{float(value):.4f}"
    if isinstance(value, float):
        return f"{value:.0f}"
    return md_cell(str(value))


def _md_table(rows: list, columns: list[str], total: Counts | None = None) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(getattr(row, c, None), c == "cost_usd") for c in columns) + " |")
    if total is not None:
        cells = [f"**{_cell(getattr(total, c), c == 'cost_usd')}**" if c in Counts.model_fields else ""
                 for c in columns]
        cells[0] = "**total**"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def to_markdown(report: Report) -> str:
    t = report.totals
    lines = ["# packwatch report", "", report.summary_line(), "", f"Total: {t.requests} requests, ${t.cost_usd:.2f}.",
             "", f"Prices: {report.prices_line()}.", ""]
    if report.unpriced_models:
        lines += ["**Unpriced models** (counted as $0 until a `[prices]` override prices them): "
                  + ", ".join(f"`{md_cell(u.provider)}/{md_cell(u.model)}` ({u.requests} requests)"
                              for u in report.unpriced_models), ""]
    lines += ["## Per day", "", *_md_table(report.days, DAY_COLUMNS, t), "",
              "## Per model", "", *_md_table(report.models, MODEL_COLUMNS), ""]
    for title, rows, columns in (("Per provider", report.providers, ["provider"]),
                                 ("Per agent", report.agents, ["agent"]),
                                 ("Per subagent", report.subagents, ["agent", "subagent"])):
        if rows:
            lines += [f"## {title}", "", *_md_table(rows, [*columns, *GROUP_COLUMNS]), ""]
    if report.top_sessions:
        lines += ["## Most expensive sessions", "", *_md_table(report.top_sessions, SESSION_COLUMNS), ""]
    if report.blocks:
        lines += ["## Cost per 5-hour block (subscription agents, estimated as ccusage's blocks)", "",
                  *_md_table(report.blocks, BLOCK_COLUMNS), ""]
    return printable("\n".join(lines))


# -- the terminal table ------------------------------------------------------------------------

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


def render(report: Report, fmt: str, by: str | None = None) -> str:
    """Every text format (parquet is binary: see ``export``)."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report, by)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "table":
        return to_table(report)
    if fmt == "html":
        from .html import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}")
