"""The report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no network.

Someone without packwatch opens it in any browser (or prints it). The charts are drawn here as
plain SVG rectangles and lines: a few dozen lines, where a charting library would pull in
JavaScript or a network fetch.
"""

from __future__ import annotations

import math
from html import escape

from ..text import printable
from .model import Report
from .queries import GROUP_COLUMNS

CHART_WIDTH = 960
PALETTE = ["#4f7cff", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]

CSS = """
:root { --fg: #1d2330; --muted: #5f6b7a; --line: #e3e7ee; --bg: #ffffff; --card: #f6f8fb;
        --accent: #4f7cff; --warn: #b25e00; --warn-bg: #fff4e5; --bad: #c62828; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ef; --muted: #9aa4b2; --line: #2c3340; --bg: #14181f; --card: #1c222c;
          --warn: #ffb74d; --warn-bg: #33270f; --bad: #ef5350; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 24px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { background: var(--card); border-radius: 10px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.warn { background: var(--warn-bg); color: var(--warn); border-radius: 8px; padding: 10px 14px; margin: 16px 0; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 6px 10px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
tbody tr:nth-child(even) { background: var(--card); }
tfoot td { font-weight: 700; border-top: 2px solid var(--line); }
.badge { display: inline-block; font-size: 11px; font-weight: 700; color: var(--bad); border: 1px solid var(--bad);
         border-radius: 4px; padding: 0 4px; margin-left: 6px; vertical-align: 1px; }
.scroll { overflow-x: auto; }
svg { display: block; width: 100%; height: auto; }
svg text { fill: var(--muted); font: 12px system-ui, sans-serif; }
svg .grid { stroke: var(--line); }
svg .budget { stroke: var(--bad); stroke-dasharray: 6 4; stroke-width: 1.5; }
svg text.budget-label { fill: var(--bad); font-weight: 600; paint-order: stroke; stroke: var(--bg); stroke-width: 4px; }
footer { color: var(--muted); font-size: 13px; margin-top: 40px; }
code { font-size: 13px; }
@media print { main { padding: 0; } h2 { break-after: avoid; } }
"""


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^n) so about ``ticks`` gridlines cover ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def daily_chart(days: list[dict], budget: float | None) -> str:
    """Cost per day as bars, with the daily budget as a dashed line."""
    height, left, right, top, bottom = 260, 56, 12, 16, 34
    plot_w, plot_h = CHART_WIDTH - left - right, height - top - bottom
    peak = max([d["cost_usd"] for d in days] + [budget or 0, 0.01])
    step = _nice_step(peak)
    ceiling = step * math.ceil(peak / step)
    parts = [f'<svg viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="Cost per day">']
    for i in range(int(round(ceiling / step)) + 1):
        y = top + plot_h - plot_h * (i * step) / ceiling
        parts.append(f'<line class="grid" x1="{left}" x2="{CHART_WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">${i * step:,.0f}</text>')
    n = max(len(days), 1)
    slot = plot_w / n
    bar = max(slot * 0.72, 1)
    label_every = max(1, math.ceil(n / 12))
    for i, d in enumerate(days):
        h = plot_h * d["cost_usd"] / ceiling
        x = left + i * slot + (slot - bar) / 2
        colour = "var(--bad)" if budget and d["cost_usd"] > budget else "var(--accent)"
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="2" '
            f'fill="{colour}"><title>{escape(d["date"])}: {_money(d["cost_usd"])}, '
            f'{d["requests"]:,} requests</title></rect>'
        )
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 12}" text-anchor="middle">'
                         f'{escape(d["date"][5:])}</text>')
    if budget:
        y = top + plot_h - plot_h * budget / ceiling
        parts.append(f'<line class="budget" x1="{left}" x2="{CHART_WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="budget-label" x="{left + 6}" y="{y - 6:.1f}">daily budget {_money(budget)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def share_chart(rows: list[tuple[str, float]], title: str) -> str:
    """Horizontal bars: each row's cost, labelled, longest first."""
    rows = [r for r in rows if r[1] > 0][:10]
    if not rows:
        return '<p class="sub">Nothing priced in this range.</p>'
    row_h, label_w, value_w = 26, 260, 110
    height = row_h * len(rows) + 8
    peak = max(cost for _, cost in rows)
    bar_w = CHART_WIDTH - label_w - value_w
    parts = [f'<svg viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(title)}">']
    for i, (label, cost) in enumerate(rows):
        y = 4 + i * row_h
        w = max(bar_w * cost / peak, 1)
        parts.append(f'<text x="{label_w - 10}" y="{y + 17}" text-anchor="end">{escape(label[:40])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="3" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {_money(cost)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 8:.1f}" y="{y + 17}">{_money(cost)}</text>')
    parts.append("</svg>")
    return "".join(parts)


TEXT_KEYS = {"date", "model", "provider", "agent", "subagent", "session", "first_seen", "last_seen", "start", "end"}


def _compact(n: int) -> str:
    for limit, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if n >= limit:
            return f"{n / limit:.2f}{suffix}"
    return f"{n:,}"


def _table(rows: list[dict], columns: list[tuple[str, str]], total: dict | None = None,
           flag: set[tuple] | None = None) -> str:
    """``columns``: (key, heading). Text columns align left, numbers right; ``flag`` marks rows
    (by provider, model) as unpriced."""
    def cell(key: str, value: object) -> str:
        if value is None:
            return '<td class="text">–</td>'
        if key == "cost_usd":
            return f"<td>{_money(float(value))}</td>"
        if key.startswith("latency"):
            return f"<td>{float(value):,.0f} ms</td>"
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in TEXT_KEYS:
            return f"<td>{value:,}</td>"
        return f'<td class="text">{escape(printable(str(value)))}</td>'

    head = "".join(f'<th class="{"text" if k in TEXT_KEYS else ""}">{escape(h)}</th>' for k, h in columns)
    body = []
    for row in rows:
        cells = [cell(k, row.get(k)) for k, _ in columns]
        if flag and (row.get("provider"), row.get("model")) in flag:
            cells[0] = cells[0].replace("</td>", '<span class="badge">UNPRICED</span></td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    foot = ""
    if total is not None:
        cells = ["<td>total</td>"] + [cell(k, total[k]) if k in total else "<td></td>" for k, _ in columns[1:]]
        foot = "<tfoot><tr>" + "".join(cells) + "</tr></tfoot>"
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f"{foot}</table></div>")


DAY_HEADINGS = [("date", "Date"), ("requests", "Requests"), ("errors", "Errors"), ("input_tokens", "Input"),
                ("output_tokens", "Output"), ("reasoning_tokens", "Reasoning"), ("cache_read_tokens", "Cache read"),
                ("cache_write_tokens", "Cache write"), ("cost_usd", "Cost"), ("unpriced_requests", "Unpriced")]
MODEL_HEADINGS = [("model", "Model"), ("provider", "Provider"), ("requests", "Requests"), ("errors", "Errors"),
                  ("input_tokens", "Input"), ("output_tokens", "Output"), ("reasoning_tokens", "Reasoning"),
                  ("cost_usd", "Cost"), ("latency_p50_ms", "p50"), ("latency_p95_ms", "p95")]
BLOCK_HEADINGS = [("agent", "Agent"), ("start", "Start"), ("end", "End"), ("requests", "Requests"),
                  ("tokens", "Tokens"), ("cost_usd", "Cost")]
SESSION_HEADINGS = [("session", "Session"), ("agent", "Agent"), ("requests", "Requests"),
                    ("input_tokens", "Input"), ("output_tokens", "Output"), ("cost_usd", "Cost"),
                    ("first_seen", "First request"), ("last_seen", "Last request")]


def _group_headings(*keys: str) -> list[tuple[str, str]]:
    labels = {"requests": "Requests", "errors": "Errors", "input_tokens": "Input", "output_tokens": "Output",
              "cache_read_tokens": "Cache read", "cache_write_tokens": "Cache write",
              "reasoning_tokens": "Reasoning", "cost_usd": "Cost", "unpriced_requests": "Unpriced"}
    return [*((k, k.capitalize()) for k in keys), *((c, labels[c]) for c in GROUP_COLUMNS)]


def _short_times(rows: list[dict]) -> list[dict]:
    return [{**r, **{k: r[k][:16].replace("T", " ") for k in ("first_seen", "last_seen") if r.get(k)}} for r in rows]


def _block_rows(blocks: list[dict]) -> list[dict]:
    now = " (now)"
    return [{**b, "start": b["start"][:16].replace("T", " "), "end": b["end"][11:16] + (now if b["active"] else "")}
            for b in blocks]


def _head(data: dict) -> list[str]:
    t = data["totals"]
    tokens = t["input_tokens"] + t["output_tokens"] + t["cache_read_tokens"] + t["cache_write_tokens"]
    cards = [("Total cost", _money(t["cost_usd"])), ("Requests", f"{t['requests']:,}"),
             ("Tokens", _compact(tokens)), ("Errors", f"{t['errors']:,}"),
             ("Unpriced requests", f"{t['unpriced_requests']:,}")]
    span = f"{data.get('since') or '…'} – {data.get('until') or '…'}"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>packwatch report {escape(span)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<h1>AI agent spend report</h1>",
        f'<p class="sub">{escape(span)} · local days in {escape(data["timezone"])} · '
        f"generated {escape(str(data.get('generated_at', '')))} by packwatch</p>",
        '<div class="cards">' + "".join(
            f'<div class="card"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div></div>'
            for label, value in cards) + "</div>",
    ]
    if data.get("unpriced_models"):
        names = ", ".join(f"<code>{escape(u['provider'])}/{escape(u['model'])}</code> ({u['requests']:,} requests)"
                          for u in data["unpriced_models"])
        out.append(f'<div class="warn"><strong>Unpriced models:</strong> {names}. Their requests count as $0 here: '
                   "the totals are a lower bound until a price override is added.</div>")
    return out


def _prices(prices: dict) -> list[str]:
    out = ["<h2>Prices used</h2>",
           f"<p>Model prices from <strong>genai-prices {escape(prices['genai_prices_version'])}</strong> "
           "(its offline snapshot, including long-context tiers and prompt-cache prices). "
           "A cost the agent wrote itself wins over both.</p>"]
    if prices["overrides"]:
        rows = [{"model": k, **v} for k, v in prices["overrides"].items()]
        out.append("<p>Overrides from the packwatch settings, USD per million tokens:</p>")
        out.append(_table(rows, [("model", "Model"), ("input_mtok", "Input"), ("output_mtok", "Output"),
                                 ("cache_read_mtok", "Cache read"), ("cache_write_mtok", "Cache write")]))
    else:
        out.append("<p>No price overrides.</p>")
    return out


def to_html(report: Report) -> str:
    data = report.plain()
    budget = (data.get("budget") or {}).get("daily_usd")
    unpriced = {(u["provider"], u["model"]) for u in data.get("unpriced_models", [])}
    out = _head(data)
    out += [
        "<h2>Cost per day</h2>", daily_chart(data["days"], budget),
        "<h2>Cost by model</h2>",
        share_chart([(f"{m['provider']}/{m['model']}", m["cost_usd"]) for m in data["models"]], "Cost by model"),
    ]
    if data.get("agents"):
        out += ["<h2>Cost by agent</h2>",
                share_chart([(a["agent"], a["cost_usd"]) for a in data["agents"]], "Cost by agent")]
    out += ["<h2>Per day</h2>", _table(data["days"], DAY_HEADINGS, data["totals"]),
            "<h2>Per model</h2>", _table(data["models"], MODEL_HEADINGS, flag=unpriced)]
    if data.get("providers"):
        out += ["<h2>Per provider</h2>", _table(data["providers"], _group_headings("provider"))]
    if data.get("agents"):
        out += ["<h2>Per agent</h2>", _table(data["agents"], _group_headings("agent")),
                "<h2>Per subagent</h2>", _table(data["subagents"], _group_headings("agent", "subagent"))]
    if data.get("top_sessions"):
        out += ["<h2>Most expensive sessions</h2>", _table(_short_times(data["top_sessions"]), SESSION_HEADINGS)]
    if data.get("blocks"):
        out += ["<h2>Cost per 5-hour block</h2>",
                "<p>Subscription agents, blocks estimated as ccusage's <code>blocks</code> (from the first request, "
                "floored to the hour); the current one is marked.</p>",
                _table(_block_rows(data["blocks"]), BLOCK_HEADINGS)]
    out += _prices(data["prices"])
    out.append(f"<footer>{escape(report.summary_line())}<br>Prices: {escape(report.prices_line())}.</footer>")
    out.append("</main></body></html>\n")
    return "\n".join(out)
