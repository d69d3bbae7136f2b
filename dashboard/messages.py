"""Messages the refresh worker posts to the UI thread (``post_message`` is thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from collectors.progress import ReadProgress
from collectors.tail import CatchUp
from ledger.control.model import ControlState
from ledger.control.status import ChangeStatus
from ledger.views.context import ContextGrowth, SessionContext
from ledger.views.events import EventFacets
from ledger.views.overview import Overview
from ledger.views.providers import ProvidersView
from ledger.views.spend import DayBreakdown, SpendReview

if TYPE_CHECKING:  # polars is loaded only when the Events screen lists events
    import polars as pl


class OverviewReady(Message):
    """One refresh finished. ``overview`` is None when nothing new arrived and the panes
    are still current (the heavy queries were skipped)."""

    def __init__(self, overview: Overview | None, catch_up: CatchUp) -> None:
        super().__init__()
        self.overview = overview
        self.catch_up = catch_up


class LogsReading(Message):
    """A long read of agents' logs (the first catch-up) got this far."""

    def __init__(self, progress: ReadProgress) -> None:
        super().__init__()
        self.progress = progress


class ControlsReady(Message):
    """control.json as read this refresh, and the recent changes with the agent's acknowledgements."""

    def __init__(self, state: ControlState, statuses: list[ChangeStatus]) -> None:
        super().__init__()
        self.state = state
        self.statuses = statuses


class ProvidersReady(Message):
    """The Providers screen's data, computed in a thread worker."""

    def __init__(self, view: ProvidersView) -> None:
        super().__init__()
        self.view = view


class EventsReady(Message):
    """One page of the event log for the current filters, and the values each filter can take."""

    def __init__(self, events: pl.DataFrame, facets: EventFacets) -> None:
        super().__init__()
        self.events = events
        self.facets = facets


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


class SessionsReady(Message):
    """The context growth screen's sessions (``ledger.views.context.recent_sessions``)."""

    def __init__(self, sessions: list[SessionContext]) -> None:
        super().__init__()
        self.sessions = sessions


class GrowthReady(Message):
    """One session's context growth, computed in a thread worker."""

    def __init__(self, growth: ContextGrowth) -> None:
        super().__init__()
        self.growth = growth
