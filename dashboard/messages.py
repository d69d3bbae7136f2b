"""Messages the refresh worker posts to the UI thread (``post_message`` is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from collectors.tail import CatchUp
from ledger.overview import Overview
from ledger.spend import DayBreakdown, SpendReview


class OverviewReady(Message):
    """One refresh finished. ``overview`` is None when nothing new arrived and the panes
    are still current (the heavy queries were skipped)."""

    def __init__(self, overview: Overview | None, catch_up: CatchUp) -> None:
        super().__init__()
        self.overview = overview
        self.catch_up = catch_up


class SpendReviewReady(Message):
    """The Spend screen's numbers for its range (``ledger.spend.review``)."""

    def __init__(self, review: SpendReview) -> None:
        super().__init__()
        self.review = review


class DayBreakdownReady(Message):
    """One day's spend by provider, model, agent and session."""

    def __init__(self, breakdown: DayBreakdown) -> None:
        super().__init__()
        self.breakdown = breakdown
