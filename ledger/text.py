"""Strings from files, made safe to show: a model name, an error text or a session id that a file put
there reaches a terminal, a table or a report as plain text, never as a terminal escape, markup, a
formula or a broken table row.

- ``printable``: control characters (C0 but tab and newline, DEL, C1 — ESC among them) become ``�``;
- ``one_line``: that, with every run of white space (newlines too) one space, cut to ``limit``;
- ``csv_cell``: a text cell a spreadsheet would take for a formula (``= + - @``, tab, CR) starts with ``'``;
- ``md_cell``: ``|``, newlines and HTML markup neutralised for a Markdown table cell.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
REPLACEMENT = "\ufffd"


def printable(text: str | None) -> str:
    return _CONTROL.sub(REPLACEMENT, text) if text else ""


def one_line(text: str | None, limit: int | None = None) -> str:
    flat = printable(_SPACE.sub(" ", text or "")).strip()
    return flat[: limit - 1] + "…" if limit is not None and len(flat) > limit else flat


def csv_cell(value: object) -> object:
    """OWASP's advice against CSV injection: a text that starts like a formula is quoted with ``'``."""
    if isinstance(value, str):
        value = printable(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def md_cell(text: str) -> str:
    return html.escape(one_line(text), quote=False).replace("|", "\\|")
