"""The one timestamp form every file packwatch writes uses: UTC, milliseconds, ``Z``."""

from __future__ import annotations

import datetime as dt


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
