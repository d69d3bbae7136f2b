"""Polars frames handed to DuckDB (``register``) for one-statement inserts, with polars imported only when
one is made: a command that writes nothing (a report, a status with nothing new) never loads it (~0.2 s)."""

from __future__ import annotations

from typing import Any


def as_frame(data: Any, schema: dict[str, str], **options: Any):
    """``pl.DataFrame(data, schema=...)`` with the schema's types named as strings (``"Int64"``)."""
    import polars as pl

    return pl.DataFrame(data, schema={name: getattr(pl, kind) for name, kind in schema.items()}, **options)
