"""The report: built once (``build_report``) and rendered as a table, JSON, CSV, Markdown, HTML or
Parquet. The CLI (``packwatch report``) and the dashboard's export modal share every step, so a
report says the same thing wherever it was made.

The JSON shape of DESIGN.md is a contract (``timezone``, ``days``, ``models``, ``rejected_lines``);
the other keys are additions: the range, totals, the prices used, unpriced models, and spend per
provider, agent and session. Every renderer prints ``totals`` from the same dict, so all formats
agree with the JSON to the cent and the token.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from collections.abc import Callable

import duckdb
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from . import queries
from .pricing import genai_prices_version
from .queries import DAY_COLUMNS, GROUP_COLUMNS, MODEL_COLUMNS, SESSION_COLUMNS
from .settings import Settings

FORMATS = ("table", "json", "csv", "md", "html", "parquet")
GROUPINGS = ("day", "model", "provider", "agent", "session")
TOTAL_KEYS = [c for c in DAY_COLUMNS if c != "date"]
COST_DECIMALS = 6  # micro-dollars: stable across runs (float sums may differ in the 15th digit)
TOP_SESSIONS = 10

Progress = Callable[[int, int, str], None]
"""(steps done, steps in all, what is happening now)."""


class ReportCancelled(Exception):
    """The user cancelled; nothing was written."""


def _cost(value: object) -> float:
    return round(float(value or 0), COST_DECIMALS)


def _rows(frame, dates: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for row in frame.to_dicts():
        if "cost_usd" in row:
            row["cost_usd"] = _cost(row["cost_usd"])
        for key in dates:
            if row.get(key) is not None:
                row[key] = row[key].isoformat()
        rows.append(row)
    return rows


def prices_used(settings: Settings) -> dict:
    """What priced this report: the genai-prices snapshot and the user's overrides and aliases."""
    return {
        "genai_prices_version": genai_prices_version(),
        "overrides": {k: v.model_dump(exclude_none=True) for k, v in sorted(settings.prices.items())},
        "model_aliases": dict(sorted(settings.model_aliases.items())),
        "provider_aliases": dict(sorted(settings.provider_aliases.items())),
    }


def prices_line(report: dict) -> str:
    """One line, without commas (it is also a CSV column): what priced the report."""
    prices = report["prices"]
    text = f"genai-prices {prices['genai_prices_version']}"
    if prices["overrides"]:
        text += "; overrides: " + " ".join(prices["overrides"])
    if report["unpriced_models"]:
        text += "; unpriced: " + " ".join(f"{u['provider']}/{u['model']}" for u in report["unpriced_models"])
    return text


def build_report(cur: duckdb.DuckDBPyConnection, settings: Settings, since: dt.date | None = None,
                 until: dt.date | None = None, *, by: str = "day", now: dt.datetime | None = None,
                 progress: Progress | None = None, cancel: threading.Event | None = None) -> dict:
    """The report for local days [since, until] (open ends: everything), as plain Python data."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}: use one of {', '.join(GROUPINGS)}")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("days", lambda: _rows(queries.daily(cur, since, until), ("date",))),
        ("models", lambda: _rows(queries.by_model(cur, since, until))),
        ("providers", lambda: _rows(queries.grouped(cur, "provider", since, until))),
        ("agents", lambda: _rows(queries.grouped(cur, "agent", since, until))),
        ("sessions", lambda: _rows(queries.grouped(cur, "session", since, until,
                                                   limit=None if by == "session" else TOP_SESSIONS),
                                   ("first_seen", "last_seen"))),
        ("unpriced", lambda: queries.unpriced_models(cur, since, until).to_dicts()),
        ("rejected", lambda: queries.rejected_count(cur)),
    ]
    got: dict[str, object] = {}
    for done, (name, step) in enumerate(steps):
        if cancel is not None and cancel.is_set():
            raise ReportCancelled()
        if progress:
            progress(done, len(steps), f"reading {name}")
        try:
            got[name] = step()
        except duckdb.InterruptException:
            raise ReportCancelled() from None
    days: list[dict] = got["days"]  # type: ignore[assignment]
    totals = {k: sum(d[k] for d in days) for k in TOTAL_KEYS}
    totals["cost_usd"] = round(totals["cost_usd"], COST_DECIMALS)
    sessions: list[dict] = got["sessions"]  # type: ignore[assignment]
    report = {
        "timezone": settings.timezone,
        "days": days,
        "models": got["models"],
        "rejected_lines": got["rejected"],
        "since": since.isoformat() if since else (days[0]["date"] if days else None),
        "until": until.isoformat() if until else (days[-1]["date"] if days else None),
        "generated_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "by": by,
        "totals": totals,
        "prices": prices_used(settings),
        "budget": (settings.budgets["all"].model_dump() if "all" in settings.budgets
                   else {"daily_usd": None, "monthly_usd": None}),
        "unpriced_models": got["unpriced"],
        "providers": got["providers"],
        "agents": got["agents"],
        "top_sessions": sessions[:TOP_SESSIONS],
    }
    if by == "session":
        report["sessions"] = sessions
    if progress:
        progress(len(steps), len(steps), "read")
    return report


# -- one table, for CSV and Parquet -----------------------------------------------------------

def table_rows(report: dict, by: str | None = None) -> tuple[list[str], list[dict]]:
    """The columns and rows of the one table CSV and Parquet hold, chosen by ``by``; every row
    also names the prices used, and model rows count their unpriced requests."""
    by = by or report.get("by", "day")
    price = prices_line(report)
    if by == "day":
        columns, rows = list(DAY_COLUMNS), report["days"]
    elif by == "model":
        unpriced = {(u["provider"], u["model"]): u["requests"] for u in report["unpriced_models"]}
        columns = [*MODEL_COLUMNS, "unpriced_requests"]
        rows = [{**m, "unpriced_requests": unpriced.get((m["provider"], m["model"]), 0)} for m in report["models"]]
    elif by == "session":
        columns, rows = list(SESSION_COLUMNS), report.get("sessions", report["top_sessions"])
    elif by in ("provider", "agent"):
        columns, rows = [by, *GROUP_COLUMNS], report[f"{by}s"]
    else:
        raise ValueError(f"cannot group by {by!r}")
    return [*columns, "prices"], [{**{c: r.get(c) for c in columns}, "prices": price} for r in rows]


# -- text formats ------------------------------------------------------------------------------

def to_json(report: dict) -> str:
    return json.dumps(report, indent=2) + "\n"


def to_csv(report: dict, by: str | None = None) -> str:
    columns, rows = table_rows(report, by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return out.getvalue()


def _cell(value: object, money: bool = False) -> str:
    if value is None:
        return ""
    if money:
        return f"{float(value):.4f}"
    if isinstance(value, float):
        return f"{value:.0f}"
    return str(value)


def _md_table(rows: list[dict], columns: list[str], total: dict | None = None) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c), c == "cost_usd") for c in columns) + " |")
    if total is not None:
        cells = [f"**{_cell(total.get(c), c == 'cost_usd')}**" if c in total else "" for c in columns]
        cells[0] = "**total**"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def totals(report: dict) -> dict:
    return report.get("totals") or {k: sum(d[k] for d in report["days"]) for k in TOTAL_KEYS}


def summary_line(report: dict) -> str:
    t = totals(report)
    span = f"{report.get('since') or '…'} to {report.get('until') or '…'}"
    return (f"{span}, local days in {report['timezone']}: {t['requests']:,} requests, "
            f"{t['input_tokens'] + t['output_tokens'] + t['cache_read_tokens'] + t['cache_write_tokens']:,} tokens, "
            f"${t['cost_usd']:,.2f}; {t['unpriced_requests']:,} unpriced requests, "
            f"{report['rejected_lines']:,} rejected ledger lines.")


def to_markdown(report: dict) -> str:
    t = totals(report)
    lines = [
        "# packwatch report",
        "",
        summary_line(report),
        "",
        f"Total: {t['requests']} requests, ${t['cost_usd']:.2f}.",
        "",
        f"Prices: {prices_line(report)}.",
        "",
    ]
    if report.get("unpriced_models"):
        lines += ["**Unpriced models** (counted as $0 until a `[prices]` override prices them): "
                  + ", ".join(f"`{u['provider']}/{u['model']}` ({u['requests']} requests)"
                              for u in report["unpriced_models"]), ""]
    lines += ["## Per day", "", *_md_table(report["days"], DAY_COLUMNS, t), "",
              "## Per model", "", *_md_table(report["models"], MODEL_COLUMNS), ""]
    for title, key, column in (("Per provider", "providers", "provider"), ("Per agent", "agents", "agent")):
        if report.get(key):
            lines += [f"## {title}", "", *_md_table(report[key], [column, *GROUP_COLUMNS]), ""]
    if report.get("top_sessions"):
        lines += ["## Most expensive sessions", "", *_md_table(report["top_sessions"], SESSION_COLUMNS), ""]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def table_renderables(report: dict) -> list[RenderableType]:
    """The terminal table (``--format table``), as Rich renderables."""
    days = Table(title=f"Per day ({report['timezone']})", title_justify="left")
    for col in ("date", "requests", "errors", "input", "output", "cache read", "cache write",
                "cost USD", "unpriced"):
        days.add_column(col, justify="left" if col == "date" else "right")

    def day_row(label: str, d: dict, **style: str) -> None:
        days.add_row(label, f"{d['requests']:,}", f"{d['errors']:,}", f"{d['input_tokens']:,}",
                     f"{d['output_tokens']:,}", f"{d['cache_read_tokens']:,}",
                     f"{d['cache_write_tokens']:,}", f"{d['cost_usd']:,.2f}", f"{d['unpriced_requests']:,}",
                     **style)

    for d in report["days"]:
        day_row(d["date"], d)
    t = totals(report)
    if report["days"]:
        days.add_section()
        day_row("total", t, style="bold")
    models = Table(title="Per model", title_justify="left")
    for col in ("model", "provider", "requests", "errors", "input", "output", "cost USD", "p50 ms", "p95 ms"):
        models.add_column(col, justify="left" if col in ("model", "provider") else "right")
    unpriced = {(u["provider"], u["model"]): u["requests"] for u in report.get("unpriced_models", [])}
    for m in report["models"]:
        cost = "unpriced" if unpriced.get((m["provider"], m["model"])) == m["requests"] else f"{m['cost_usd']:,.2f}"
        models.add_row(m["model"], m["provider"], f"{m['requests']:,}", f"{m['errors']:,}",
                       f"{m['input_tokens']:,}", f"{m['output_tokens']:,}", cost,
                       _ms(m["latency_p50_ms"]), _ms(m["latency_p95_ms"]))
    notes = [f"{report['rejected_lines']:,} rejected ledger lines"]
    if t.get("unpriced_requests"):
        notes.append(f"{t['unpriced_requests']:,} unpriced requests: add a [prices] override "
                     "to the config file for their models")
    footer = Text("; ".join(notes) + ".", style="dim")
    footer.append(f"\nPrices: {prices_line(report)}.", style="dim")
    return [days, models, footer]


def to_table(report: dict, width: int = 120) -> str:
    """The terminal table as plain text (for ``--output`` and golden files)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      legacy_windows=False)
    console.print(Group(*table_renderables(report)))
    return console.file.getvalue()  # type: ignore[attr-defined]


def render(report: dict, fmt: str, by: str | None = None) -> str:
    """Every text format (parquet is binary: see ``ledger.export``)."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report, by)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "table":
        return to_table(report)
    if fmt == "html":
        from .report_html import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}")
