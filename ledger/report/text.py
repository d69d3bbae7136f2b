"""The report's text formats: a terminal table, JSON, CSV and Markdown (HTML is ``html``, Parquet is
``export``). Every renderer prints ``totals`` from the same model, so all formats agree with the JSON
to the cent and the token."""

from __future__ import annotations

import csv
import io
import json

from ..text import csv_cell, md_cell, printable
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


def render(report: Report, fmt: str, by: str | None = None) -> str:
    """Every text format (parquet is binary: see ``export``)."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report, by)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "table":
        from .tables import to_table  # (Rich: only for the terminal table)

        return to_table(report)
    if fmt == "html":
        from .html import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}")
