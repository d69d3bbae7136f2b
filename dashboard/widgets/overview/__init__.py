"""The overview's panes: one widget per module."""
