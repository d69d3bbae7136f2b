"""Rendering the report (``queries.report``) as JSON, CSV or Markdown text."""

from __future__ import annotations

import csv
import io
import json

from .queries import DAY_COLUMNS, MODEL_COLUMNS

FORMATS = ("table", "json", "csv", "md")


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2) + "\n"


def _cell(value: object, money: bool = False) -> str:
    if value is None:
        return ""
    if money:
        return f"{float(value):.4f}"
    if isinstance(value, float):
        return f"{value:.0f}"
    return str(value)


def to_csv(report: dict, by: str = "day") -> str:
    """One table: per day (default) or per model."""
    rows, columns = (report["days"], DAY_COLUMNS) if by == "day" else (report["models"], MODEL_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] if row[c] is not None else "" for c in columns])
    return out.getvalue()


def _md_table(rows: list[dict], columns: list[str]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[c], c == "cost_usd") for c in columns) + " |")
    return lines


def totals(report: dict) -> dict:
    keys = [c for c in DAY_COLUMNS if c != "date"]
    return {k: sum(d[k] for d in report["days"]) for k in keys}


def to_markdown(report: dict) -> str:
    t = totals(report)
    lines = [
        "# packwatch report",
        "",
        f"Days are local days in {report['timezone']}. "
        f"Total: {t['requests']} requests, ${t['cost_usd']:.2f}, "
        f"{t['unpriced_requests']} unpriced, {report['rejected_lines']} rejected ledger lines.",
        "",
        "## Per day",
        "",
        *_md_table(report["days"], DAY_COLUMNS),
        "",
        "## Per model",
        "",
        *_md_table(report["models"], MODEL_COLUMNS),
        "",
    ]
    return "\n".join(lines)


def render(report: dict, fmt: str, by: str = "day") -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report, by)
    if fmt == "md":
        return to_markdown(report)
    raise ValueError(f"unknown format {fmt!r}")
