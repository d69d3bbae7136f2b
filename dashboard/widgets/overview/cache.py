"""Cache: response-cache hit rate with its trend, prompt-cache share, what caching saved."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from dashboard import numbers
from ledger.views.cache import CacheStats
from ledger.views.overview import Overview

from ..pane import Pane

TREND_DEADBAND = 0.01  # a change under one point is noise, not a trend


class CachePane(Pane):
    PANE_TITLE = "Cache"
    COMPONENT_CLASSES = {"cache--label", "cache--up", "cache--down"}
    DEFAULT_CSS = """
    CachePane > Static { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("—", id="cache-numbers")

    def show(self, overview: Overview) -> None:
        self.query_one("#cache-numbers", Static).update(self._numbers(overview.cache))

    def _numbers(self, cache: CacheStats) -> Text:
        label = self.style_of("cache--label")
        text = Text()
        text.append(f"{'hit rate today':<15}", style=label)
        text.append(f"{numbers.fraction(cache.hit_rate_today):>4}")
        text.append(f"\n{'hit rate 60m':<15}", style=label)
        text.append(f"{numbers.fraction(cache.hit_rate_60m):>4} ")
        text.append_text(self._trend(cache.hit_rate_60m, cache.hit_rate_prev_60m))
        text.append(f"\n{'prompt cache':<15}", style=label)
        text.append(f"{numbers.fraction(cache.prompt_cache_share_today):>4}")
        text.append(f"\n{'saved today':<15}", style=label)
        text.append(f"{numbers.tokens(cache.tokens_saved_today):>4} tok, {numbers.usd(cache.usd_saved_today)}")
        return text

    def _trend(self, now: float | None, before: float | None) -> Text:
        if now is None or before is None:
            return Text("")
        if now - before > TREND_DEADBAND:
            return Text(f"▲ from {numbers.fraction(before)}", style=self.style_of("cache--up"))
        if before - now > TREND_DEADBAND:
            return Text(f"▼ from {numbers.fraction(before)}", style=self.style_of("cache--down"))
        return Text(f"= {numbers.fraction(before)} before", style=self.style_of("cache--label"))
