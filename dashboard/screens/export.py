"""Export a report from the Spend screen: range, grouping, format, path. The same report and the same
writer as ``packwatch report --output`` (``ledger.report``, ``ledger.export``): an existing file is
overwritten only after a second, explicit confirm; a running export shows its progress and can be
cancelled, leaving no file behind."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from dashboard.data import StoreReader
from ledger.report import GROUPINGS
from ledger.report.build import ReportCancelled, build_report
from ledger.report.export import SUFFIXES, ExportError, TargetExists, check_target, default_name, write_report
from ledger.report.queries import parse_day

EXPORT_FORMATS = ("html", "md", "csv", "json", "parquet", "table")


class ExportProgress(Message):
    def __init__(self, done: int, total: int, what: str) -> None:
        super().__init__()
        self.done, self.total, self.what = done, total, what


class ExportFinished(Message):
    """``path`` is set on success; otherwise ``problem`` says why (or that it was cancelled)."""

    def __init__(self, path: Path | None, problem: str | None = None, size: int = 0) -> None:
        super().__init__()
        self.path, self.problem, self.size = path, problem, size


class ExportModal(ModalScreen[Path | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Cancel the running export, or close", id="export-cancel"),
        Binding("ctrl+s", "export", "Export", tooltip="Write the report file", id="export-write"),
    ]

    def __init__(self, reader: StoreReader, since: dt.date, until: dt.date, folder: Path | None = None) -> None:
        super().__init__(id="export")
        self._reader = reader
        self._cursor = None  # the running export's, so a cancel can interrupt its query
        self._since, self._until = since, until
        self._folder = folder or Path.cwd()
        self._confirmed: Path | None = None  # the existing file the user agreed to overwrite
        self._cancel: threading.Event | None = None
        self._auto_path = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            with Grid(id="export-form"):
                yield Label("from")
                yield Input(self._since.isoformat(), id="export-since", placeholder="YYYY-MM-DD, 7d, yesterday")
                yield Label("to")
                yield Input(self._until.isoformat(), id="export-until", placeholder="YYYY-MM-DD, today")
                yield Label("group by")
                yield Select([(g, g) for g in GROUPINGS], value="day", allow_blank=False, id="export-by")
                yield Label("format")
                yield Select([(f, f) for f in EXPORT_FORMATS], value="html", allow_blank=False, id="export-format")
                yield Label("file")
                yield Input(id="export-path")
            yield Static("", id="export-status")
            yield ProgressBar(total=1, show_eta=False, id="export-progress")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go")
                yield Button("Cancel", id="export-close")

    def on_mount(self) -> None:
        self.query_one("#export-box").border_title = "Export a report"
        self.query_one("#export-box").border_subtitle = "ctrl+s export · escape cancel"
        self._suggest_path()
        self.query_one("#export-progress").display = False

    # -- form --------------------------------------------------------------------------------

    def _format(self) -> str:
        return str(self.query_one("#export-format", Select).value)

    def _suggest_path(self) -> None:
        """A path named after the range and format, until the user types their own."""
        path_input = self.query_one("#export-path", Input)
        if path_input.value and path_input.value != self._auto_path:
            return
        since = self.query_one("#export-since", Input).value.strip()
        until = self.query_one("#export-until", Input).value.strip()
        self._auto_path = str(self._folder / default_name((since, until), self._format()))
        path_input.value = self._auto_path

    @on(Select.Changed, "#export-format")
    def _format_changed(self) -> None:
        path_input = self.query_one("#export-path", Input)
        if path_input.value and path_input.value != self._auto_path:  # the user's own name: new suffix
            path_input.value = str(Path(path_input.value).with_suffix(SUFFIXES[self._format()]))
        else:
            self._suggest_path()

    @on(Input.Changed)
    def _form_changed(self, event: Input.Changed) -> None:
        self._confirmed = None  # a changed form needs a new confirm
        self._status("")
        self.query_one("#export-go", Button).label = "Export"
        if event.input.id in ("export-since", "export-until"):
            self._suggest_path()

    def _status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#export-status", Static)
        status.update(text)
        status.set_classes(f"-{kind}" if kind else "")

    # -- actions -----------------------------------------------------------------------------

    @on(Button.Pressed, "#export-go")
    def action_export(self) -> None:
        if self._cancel is not None:
            return  # already running
        today = self._until  # the Spend screen's today: "7d" and "yesterday" count back from it
        try:
            since = parse_day(self.query_one("#export-since", Input).value, today)
            until = parse_day(self.query_one("#export-until", Input).value, today)
        except ValueError as exc:
            self._status(str(exc), "error")
            return
        if since > until:
            self._status(f"from {since} is after to {until}", "error")
            return
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._status("give a file to write", "error")
            return
        path = Path(raw).expanduser()
        try:
            path = check_target(path, force=self._confirmed == path)
        except TargetExists:
            self._confirmed = path
            self._status(f"{path.name} exists: press Overwrite (or ctrl+s) again to replace it", "warning")
            self.query_one("#export-go", Button).label = "Overwrite"
            return
        except ExportError as exc:
            self._status(str(exc), "error")
            return
        self._cancel = threading.Event()
        bar = self.query_one("#export-progress", ProgressBar)
        bar.display = True
        bar.update(total=100, progress=0)
        self._status("exporting…")
        self.query_one("#export-go", Button).disabled = True
        self._run(since, until, str(self.query_one("#export-by", Select).value), self._format(), path,
                  force=self._confirmed == path, cancel=self._cancel)

    def action_cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            cursor = self._cursor
            if cursor is not None:
                cursor.interrupt()  # stop a long query now, not at the next step
            self._status("cancelling…")
            return
        self.dismiss(None)

    @on(Button.Pressed, "#export-close")
    def _close_pressed(self) -> None:
        self.action_cancel()

    # -- the export, off the UI thread -------------------------------------------------------

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _run(self, since: dt.date, until: dt.date, by: str, fmt: str, path: Path, *, force: bool,
             cancel: threading.Event) -> None:
        with self._reader.cursor(scoped=False) as cursor:
            if cursor is None:
                self.post_message(ExportFinished(None, "no data yet: wait for the first refresh"))
                return
            self._cursor = cursor
            try:
                self._export(cursor, since, until, by, fmt, path, force=force, cancel=cancel)
            finally:
                self._cursor = None

    def _export(self, cursor, since: dt.date, until: dt.date, by: str, fmt: str, path: Path, *, force: bool,
                cancel: threading.Event) -> None:

        def reading(done: int, total: int, what: str) -> None:  # reading is 80 % of the bar
            self.post_message(ExportProgress(80 * done // max(total, 1), 100, what))

        def writing(done: int, total: int, what: str) -> None:
            self.post_message(ExportProgress(80 + 20 * done // max(total, 1), 100, what))

        try:
            report = build_report(cursor, self._reader.settings(), since, until, by=by, now=self._reader.clock(),
                                  scope=self._reader.scope, progress=reading, cancel=cancel)
            size = write_report(report, fmt, path, by=by, force=force, progress=writing, cancel=cancel)
        except ReportCancelled:
            self.post_message(ExportFinished(None, "cancelled: nothing was written"))
            return
        except ExportError as exc:
            self.post_message(ExportFinished(None, str(exc)))
            return
        self.post_message(ExportFinished(path, size=size))

    def on_export_progress(self, message: ExportProgress) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=message.total, progress=message.done)
        self._status(message.what)

    def on_export_finished(self, message: ExportFinished) -> None:
        self._cancel = None
        self.query_one("#export-go", Button).disabled = False
        self.query_one("#export-progress", ProgressBar).display = False
        if message.path is None:
            self._status(message.problem or "not written", "error")
            return
        self.app.notify(f"wrote {message.path} ({message.size:,} bytes)", timeout=6)
        self.dismiss(message.path)
