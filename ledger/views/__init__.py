"""What the screens, ``status`` and the bench read: one module per pane or screen's numbers, each
taking a cursor (already narrowed to the agent scope) and returning plain models."""
