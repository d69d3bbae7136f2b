"""Probe latency over time for one provider; failed probes are marked at the bottom."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from ledger.views.providers import ProviderHealth, ProvidersView


class LatencyChart(PlotextPlot):
    def show(self, view: ProvidersView, provider: ProviderHealth) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title("probe latency ms")
        ok = [(p.ts, p.latency_ms) for p in provider.probes if p.error_class is None and p.latency_ms is not None]
        failed = [p.ts for p in provider.probes if p.error_class is not None]

        def minutes(at) -> float:  # noqa: ANN001 - a datetime
            return (at - view.start).total_seconds() / 60

        if ok:
            plt.plot([minutes(t) for t, _ in ok], [v for _, v in ok], color="cyan", marker="braille")
            top = max(v for _, v in ok)
            plt.yticks([0, top], ["0", f"{top:,.0f}"])
        if failed:
            plt.scatter([minutes(t) for t in failed], [0] * len(failed), color="red", marker="x", label="failed")
        if not provider.probes:
            plt.title("probe latency: not probed (no key or endpoint)")
        plt.xlim(0, (view.now - view.start).total_seconds() / 60)
        plt.xticks([0, 30, 60], ["-60m", "-30m", "now"])
        self.refresh()
