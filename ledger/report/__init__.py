"""Reports: the typed model (``model``), its queries and how it is built (``queries``, ``build``), its
renderers (``text``: table, JSON, CSV, Markdown; ``html``; ``export``: Parquet and files)."""

FORMATS = ("table", "json", "csv", "md", "html", "parquet")
GROUPINGS = ("day", "model", "provider", "agent", "subagent", "session", "machine", "user")
TEAM_GROUPINGS = ("machine", "user")
"""Only on a team cache (``--team``): its rows name their machine and user."""
