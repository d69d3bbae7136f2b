"""Burn rate: tokens/min and USD/h over 5/15/60 minutes, daily limits, and a chart."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static
from textual_plotext import PlotextPlot

from dashboard import numbers
from ledger.text import one_line
from ledger.views.burn import BurnRate
from ledger.views.overview import Overview

from ..pane import Pane


class BurnRatePane(Pane):
    PANE_TITLE = "Burn rate"
    COMPONENT_CLASSES = {"burn--heading", "burn--limit-soon", "burn--limit-ok", "burn--bar"}
    DEFAULT_CSS = """
    BurnRatePane > Horizontal { height: 1fr; }
    BurnRatePane #burn-numbers { width: 38; height: auto; }
    BurnRatePane #burn-chart { width: 1fr; height: 1fr; min-width: 20; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: list[tuple[dt.datetime, int]] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("—", id="burn-numbers")
            yield PlotextPlot(id="burn-chart")

    def show(self, overview: Overview) -> None:
        self.query_one("#burn-numbers", Static).update(self._numbers(overview.burn, overview.now))
        if overview.burn.series != self._series:  # plotting is the costly part: only on change
            self._series = list(overview.burn.series)
            self._plot(self._series, overview.now)

    def _numbers(self, burn: BurnRate, now: dt.datetime) -> Text:
        heading = self.style_of("burn--heading")
        text = Text(f"{'window':<7}{'tok/min':>9}{'$/h':>9}{'req':>7}\n", style=heading)
        for window in burn.windows:
            text.append(
                f"{str(window.minutes) + ' m':>5}  {numbers.tokens(window.tokens_per_min):>9}"
                f"{numbers.usd(window.usd_per_hour):>9}{window.requests:>7,}\n"
            )
        text.append(f"{'today':<10}{'tokens':>10}{'limit':>6} {'exhausts':>10}\n", style=heading)
        for provider in burn.providers:
            used = numbers.tokens(provider.tokens_today)
            if provider.daily_limit:
                used += "/" + numbers.tokens(provider.daily_limit)
            name = one_line(provider.provider)[:10]
            text.append(f"{name:<10}{used:>10}{numbers.percent(provider.usage_percent):>6} ")
            if provider.daily_limit is None:
                text.append(f"{'':>10}\n")
            elif provider.projected_exhaustion is None:
                text.append(f"{'not today':>10}\n", style=self.style_of("burn--limit-ok"))
            else:
                at = numbers.clock(provider.projected_exhaustion, now)
                text.append(f"{at:>10}\n", style=self.style_of("burn--limit-soon"))
        text.rstrip()
        return text

    def _plot(self, series: list[tuple[dt.datetime, int]], now: dt.datetime) -> None:
        chart = self.query_one("#burn-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_figure()
        plt.title("tokens per 10 min")
        if series:
            xs = list(range(len(series)))
            ys = [tokens for _, tokens in series]
            colour = self.style_of("burn--bar").color
            rgb = colour.get_truecolor() if colour else None
            plt.bar(xs, ys, color=tuple(rgb) if rgb else "cyan", marker="sd")
            step = max(1, len(xs) // 4)
            plt.xticks(xs[::step], [at.astimezone(now.tzinfo).strftime("%H:%M") for at, _ in series[::step]])
            top = max(ys) or 1
            plt.yticks([0, top / 2, top], ["0", numbers.tokens(top / 2), numbers.tokens(top)])
        chart.refresh()
