"""The Spend screen's headline: month to date and its forecast, and the previous period."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from dashboard import numbers
from ledger.text import one_line
from ledger.views.spend import SpendReview


class SpendSummary(Static):
    COMPONENT_CLASSES = {"spend-summary--label", "spend-summary--up", "spend-summary--down",
                         "spend-summary--over", "spend-summary--unpriced"}

    def show(self, review: SpendReview) -> None:
        def style(name: str):
            return self.get_component_rich_style(f"spend-summary--{name}", partial=True)

        label = style("label")
        text = Text("month to date ", style=label)
        over = review.budget_monthly and review.forecast_month > review.budget_monthly
        text.append(numbers.usd(review.month_to_date), style="bold")
        if review.budget_monthly:
            text.append(f" of {numbers.usd(review.budget_monthly)}", style=label)
        text.append("  forecast ", style=label)
        text.append(numbers.usd(review.forecast_month), style=style("over") if over else "bold")
        text.append(f" by month end ({numbers.usd(review.forecast_daily_mean)}/day, the last 7 days' mean, "
                    f"× {review.forecast_days_left:.1f} days left)", style=label)
        comparison = review.comparison
        days = len(review.days)
        text.append(f"\nlast {days} days ", style=label)
        text.append(numbers.usd(comparison.current.cost_usd), style="bold")
        text.append(f" vs {numbers.usd(comparison.previous.cost_usd)} the {days} days before", style=label)
        change = comparison.cost_change
        if change is not None:
            text.append(f" {'▲' if change >= 0 else '▼'} {abs(change) * 100:.0f}%",
                        style=style("up") if change >= 0 else style("down"))
        text.append(f" · {numbers.count(comparison.current.requests)} req vs "
                    f"{numbers.count(comparison.previous.requests)}", style=label)
        if review.unpriced_models:
            text.append(f"\nunpriced (counted as $0): {one_line(', '.join(review.unpriced_models))}",
                        style=style("unpriced"))
        self.update(text)
