"""Failures and 429s per time bucket for one provider (requests and probes together)."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from ledger.views.providers import ProviderHealth, ProvidersView


class OutcomeChart(PlotextPlot):
    def show(self, view: ProvidersView, provider: ProviderHealth) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(f"failures and 429s per {view.bucket_minutes} min")
        buckets = provider.buckets
        if buckets:
            offsets = [(b.start - view.start).total_seconds() / 60 for b in buckets]
            plt.bar(offsets, [b.failures for b in buckets], label="failures", color="red", width=1.5)
            plt.bar(offsets, [b.rate_limited for b in buckets], label="429", color="orange", width=0.8)
            top = max(max(b.failures for b in buckets), 1)
            plt.yticks([0, top], ["0", str(top)])
        plt.xlim(0, (view.now - view.start).total_seconds() / 60)
        plt.xticks([0, 30, 60], ["-60m", "-30m", "now"])
        self.refresh()
