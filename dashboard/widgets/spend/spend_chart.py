"""Cost per day as bars, with the daily budget as a line (plotext, in the terminal)."""

from __future__ import annotations

from textual import events
from textual_plotext import PlotextPlot

from dashboard import numbers
from ledger.views.spend import SpendReview


class SpendChart(PlotextPlot):
    COMPONENT_CLASSES = {"spend-chart--bar", "spend-chart--selected", "spend-chart--budget"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: tuple | None = None
        self._review: SpendReview | None = None
        self._selected: str | None = None

    def on_resize(self, _event: events.Resize) -> None:
        if self._review is not None:
            self.show(self._review, self._selected)

    def _rgb(self, component: str, fallback: str) -> tuple[int, int, int] | str:
        colour = self.get_component_rich_style(component, partial=True).color
        rgb = colour.get_truecolor() if colour else None
        return tuple(rgb) if rgb else fallback

    def show(self, review: SpendReview, selected: str | None) -> None:
        self._review, self._selected = review, selected
        key = (tuple((d.date, d.cost_usd) for d in review.days), review.budget_daily, selected, self.size.width)
        if key == self._drawn:  # plotting is the costly part: only on change
            return
        self._drawn = key
        plt = self.plt
        plt.clear_figure()
        plt.title("cost per day" + (f" · budget {numbers.usd(review.budget_daily)}/day" if review.budget_daily else ""))
        xs = list(range(len(review.days)))
        ys = [d.cost_usd for d in review.days]
        # Days without spend get no bar (plotext draws a zero bar as a block on the axis).
        spent = [(i, y) for i, y in enumerate(ys) if y > 0 and review.days[i].date.isoformat() != selected]
        if spent:
            plt.bar([i for i, _ in spent], [y for _, y in spent], color=self._rgb("spend-chart--bar", "cyan"),
                    marker="hd", width=0.6)
        chosen = [i for i, d in enumerate(review.days) if d.date.isoformat() == selected and ys[i] > 0]
        if chosen:
            plt.bar(chosen, [ys[chosen[0]]], color=self._rgb("spend-chart--selected", "white"), marker="hd",
                    width=0.6)
        plt.xlim(-0.5, len(xs) - 0.5)
        if review.budget_daily:
            plt.hline(review.budget_daily, self._rgb("spend-chart--budget", "red"))
        # As many date labels as fit without touching (plotext drops colliding ones unpredictably).
        labels = max(2, min(6, (self.size.width - 12) // 10))
        step = max(1, -(-len(xs) // labels))
        ticks = xs[::-1][::step][::-1]  # always label today
        plt.xticks(ticks, [review.days[i].date.strftime("%d %b") for i in ticks])
        top = max([*ys, review.budget_daily or 0, 0.01])
        plt.yticks([0, top / 2, top], ["$0", numbers.usd(top / 2), numbers.usd(top)])
        plt.ylim(0, top * 1.05)
        self.refresh()
