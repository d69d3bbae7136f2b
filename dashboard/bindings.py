"""Every key the app itself binds (the control keys are in ``control_keys``). The footer keeps to what
fits in 120 columns: moving, help, pause, refresh, quit, the controls (at 80 columns the controls are the
ones cut off). Every other key is in the help (?) and the palette (ctrl+p) all the same."""

from __future__ import annotations

from textual.binding import Binding

from .control_keys import CONTROL_BINDINGS

BINDINGS = [
    Binding("right_square_bracket", "cycle_screen(1)", "Next", key_display="]",
            tooltip="The next screen: overview, providers, events, pack", id="next-screen"),
    Binding("left_square_bracket", "cycle_screen(-1)", "Prev", key_display="[",
            tooltip="The previous screen", id="previous-screen"),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key", id="help"),
    Binding("p", "toggle_pause", "Pause", tooltip="Stop refreshing until pressed again", id="pause"),
    Binding("ctrl+r", "refresh_now", "Refresh", tooltip="Read new ledger lines and recompute now",
            id="refresh"),
    Binding("q", "quit", "Quit", tooltip="Leave packwatch (the agent is not affected)", id="quit"),
    *CONTROL_BINDINGS,
    Binding("a", "cycle_agent", "Agent", show=False,
            tooltip="Show one agent program alone (each one found in turn), then all", id="agent-filter"),
    Binding("o", "show_mode('overview')", "Overview", show=False, tooltip="The six panes", id="show-overview"),
    Binding("v", "show_mode('providers')", "Providers", show=False,
            tooltip="Per provider: circuit timeline, failures and 429s, probe latency, last error",
            id="show-providers"),
    Binding("e", "show_mode('events')", "Events", show=False,
            tooltip="The agent event log and Code Puppy's errors, with filters and search", id="show-events"),
    Binding("k", "show_mode('pack')", "Pack", show=False,
            tooltip="Agents running per role against the pack's limits, queued, stuck; each one's day",
            id="show-pack"),
]
