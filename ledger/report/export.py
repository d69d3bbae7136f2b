"""Writing a report to a file: never over an existing file unless asked, never a partial file.

The bytes go through ``atomic.replacing`` in blocks, checking for cancellation between blocks;
only a finished file is moved into place. The CLI and the dashboard's export modal both write
through ``write_report``.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import polars as pl

from ..atomic import replacing
from .build import Progress, ReportCancelled
from .model import Report
from .text import render, table_rows

BLOCK_BYTES = 1 << 20
SUFFIXES = {"table": ".txt", "json": ".json", "csv": ".csv", "md": ".md", "html": ".html", "parquet": ".parquet"}


class ExportError(Exception):
    """A problem with the target path; the message is one line saying what to do."""


class TargetExists(ExportError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists; pass --force (or confirm) to overwrite it")
        self.path = path


def check_target(path: Path, *, force: bool) -> Path:
    """The absolute target, or ExportError when it cannot (or must not) be written. Only a regular file
    is ever replaced: not a symbolic link (its target would be left as it was and the link replaced),
    a FIFO, a device (``--output /dev/null --force`` as root would replace ``/dev/null``) or a folder."""
    path = path.expanduser()
    if path.is_symlink():
        raise ExportError(f"cannot write {path}: it is a symbolic link; give the file it points to "
                          f"({path.resolve()})")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder; give a file name")
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: no folder {path.parent}; create it or pick another path")
    if path.exists() or os.path.lexists(path):
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise ExportError(f"cannot write {path}: it is not a regular file (a FIFO, socket or device); "
                              "pick a file name")
        if not force:
            raise TargetExists(path)
    return path.absolute()


def parquet_frame(report: Report, by: str | None = None) -> pl.DataFrame:
    columns, rows = table_rows(report, by)
    if not rows:
        return pl.DataFrame(schema=columns)
    frame = pl.DataFrame(rows, infer_schema_length=None).select(columns)
    # Typed columns, so DuckDB and polars read dates and times as such, not as text.
    if "date" in columns:
        frame = frame.with_columns(pl.col("date").str.to_date())
    for column in ("first_seen", "last_seen"):
        if column in columns:
            frame = frame.with_columns(pl.col(column).str.to_datetime(time_zone="UTC"))
    return frame


def parquet_metadata(report: Report) -> dict[str, str]:
    """Key-value metadata: what a Parquet file's rows cannot say (prices, totals, the range)."""
    keep = ("timezone", "since", "until", "generated_at", "by", "totals", "prices", "unpriced_models",
            "rejected_lines", "budget")
    data = report.plain()
    return {f"packwatch.{k}": json.dumps(data.get(k)) for k in keep}


def write_report(report: Report, fmt: str, path: Path, *, by: str | None = None, force: bool = False,
                 progress: Progress | None = None, cancel: threading.Event | None = None) -> int:
    """Write ``report`` as ``fmt`` to ``path``; returns the bytes written. Raises ExportError
    (bad or existing path) or ReportCancelled, and in both cases leaves no file behind."""
    path = check_target(path, force=force)
    written = 0
    try:
        with replacing(path) as fh:
            if fmt == "parquet":
                if progress:
                    progress(0, 1, "writing parquet")
                parquet_frame(report, by).write_parquet(fh, metadata=parquet_metadata(report))
            else:
                data = render(report, fmt, by).encode()
                blocks = range(0, len(data), BLOCK_BYTES)
                for i, start in enumerate(blocks):
                    if cancel is not None and cancel.is_set():
                        raise ReportCancelled()
                    if progress:
                        progress(i, len(blocks), f"writing {fmt}")
                    fh.write(data[start:start + BLOCK_BYTES])
            written = fh.tell()
            if cancel is not None and cancel.is_set():
                raise ReportCancelled()
            if path.exists() and not force:  # appeared while we wrote
                raise TargetExists(path)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}; pick another path") from None
    if progress:
        progress(1, 1, "written")
    return written


def default_name(report_range: tuple[str | None, str | None], fmt: str) -> str:
    since, until = report_range
    span = f"{since}_{until}" if since and until and since != until else (since or until or "all")
    return f"packwatch-report-{span}{SUFFIXES[fmt]}"

