"""A ``packwatch report`` answer kept and served again only while it is proven current.

A report on a current store costs a start-up of DuckDB, polars, pydantic and the settings model, a
catch-up and the report's queries; its answer only changes when its inputs do. So a report (json, csv or
md on stdout, this machine's store) is kept with the proof of what it was computed from, and the next
identical command serves it (stdlib only, before argparse) when ALL of these hold, or runs as ever:

- the same command line, working folder, environment and Python (they decide the settings);
- every path a catch-up could read (``collectors.inputs``: the config file, every folder and file under
  the sources' roots, every source the store follows, packwatch's code and its installed libraries) has
  the same device, inode, size, mtime and mode; and nothing moved while the answer was computed;
- the store file and its WAL are as the command left them (stamps and the file's header);
- the clock is between the answer's ``now`` and its ``valid_until``: the next local midnight ("today"
  and relative ``--since`` move), the end of any 5-hour block still open (``active`` flips), the first
  row stamped after ``now`` (it enters the blocks' window).

Only ``generated_at`` is made again. No answer is kept when any input changed within ``RACY_SECONDS``
(mtimes move in clock ticks), the store was busy, a file could not be read, or the command failed.
``PACKWATCH_ANSWER_CACHE=0`` turns it off. The kept answers are private files in the user's cache folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from ledger.file_stamp import stamp

VERSION = 1
RACY_SECONDS = 2.0
KEEP = 64
HEADER_BYTES = 3 * 4096
"""DuckDB's file header and its two alternating database headers (each checkpoint rewrites one)."""

clock = time.time
"""What ``serve`` asks the time of (tests move it)."""
_key: str | None = None
_recording: Recording | None = None


def heard(line: str) -> None:
    """A line the command wrote on stderr: a served answer writes it again."""
    if _recording is not None:
        _recording.stderr.append(line)


def _folder() -> Path:
    xdg, home = os.environ.get("XDG_CACHE_HOME", ""), os.environ.get("HOME", "")
    if sys.platform.startswith("linux") and (os.path.isabs(xdg) or os.path.isabs(home)):
        base = Path(xdg) if os.path.isabs(xdg) else Path(home) / ".cache"
    else:
        import platformdirs

        base = platformdirs.user_cache_path()
    return base / "packwatch" / "answers"


def _enabled() -> bool:
    return os.environ.get("PACKWATCH_ANSWER_CACHE", "1") != "0"


def begin(argv: list[str]) -> None:
    """Called first thing by ``main``: the key of this command (before anything changes the environment)."""
    global _key, _recording
    _recording = None
    if not _enabled() or "report" not in argv:
        _key = None
        return
    env = sorted((k, v) for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS")  # (main sets it)
    what = [VERSION, sys.executable, os.getcwd(), argv, env]
    _key = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:40]


def _stamp(path: str) -> list[int] | None:
    """``stamp`` as JSON keeps it (a list)."""
    got = stamp(path)
    return list(got) if got else None


def _store_proof(db: str) -> list:
    try:
        with open(db, "rb") as fh:
            header = hashlib.sha256(fh.read(HEADER_BYTES)).hexdigest()
    except OSError:
        header = None
    return [_stamp(db), _stamp(f"{db}.wal"), header]


def serve() -> int | None:
    """The kept answer written out, and its exit status, when it is proven current; else None."""
    if _key is None:
        return None
    try:
        entry = json.loads((_folder() / f"{_key}.json").read_text())
        if entry.get("version") != VERSION:
            return None
        from zoneinfo import ZoneInfo

        now = dt.datetime.fromtimestamp(clock(), ZoneInfo(entry["timezone"]))
        if not (entry["now"] <= now.timestamp() < entry["valid_until"]):
            return None
        if _store_proof(entry["db"]) != entry["store"]:
            return None
        if any(_stamp(p) != s for p, s in zip(entry["paths"], entry["stamps"], strict=True)):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    sys.stderr.write(entry["stderr"])
    sys.stdout.write(entry["head"] + (now.isoformat(timespec="seconds") + entry["tail"] if entry["split"] else ""))
    return 0


def start(settings, store) -> None:
    """Before the catch-up: every input's stamp (nothing when this command keeps no answer: no key, or
    an in-memory stand-in for a busy store)."""
    global _recording
    if _key is None or store.path is None:
        return
    from collectors.inputs import input_paths, stamps

    paths = input_paths(settings, store)
    _recording = Recording(settings, store, paths, stamps(paths))


def current() -> Recording | None:
    return _recording


class Recording:
    """What a report command needs to keep its answer: ``start`` before its catch-up, ``check`` after its
    queries, ``keep`` after the store closed (``stderr``: what the command wrote there)."""

    def __init__(self, settings, store, paths: list[str], stamps: list) -> None:
        self.settings, self.store, self.paths, self.stamps = settings, store, paths, stamps
        self.stderr: list[str] = []
        self.ok = False
        self.now: dt.datetime | None = None
        self.valid_until = 0.0


    def check(self, now: dt.datetime, blocks: list) -> None:
        """With the store still open, after the answer was computed: whether nothing moved meanwhile and
        nothing is racy, and until when the clock alone leaves the answer as it is."""
        from collectors.inputs import input_paths, stamps

        paths = input_paths(self.settings, self.store)
        before = dict(zip(self.paths, self.stamps, strict=True))
        after = stamps(paths)
        racy = time.time_ns() - RACY_SECONDS * 1e9
        if any(before.get(p, s) != s or (s is not None and s[3] > racy) for p, s in zip(paths, after, strict=True)):
            self.ok = False  # something moved while the answer was computed, or may have unseen
            return
        self.paths, self.stamps, self.now = paths, after, now
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), now.tzinfo)
        times = [midnight.timestamp()]
        times += [dt.datetime.fromisoformat(b.end).timestamp() for b in blocks
                  if dt.datetime.fromisoformat(b.end) > now]
        got = self.store.con.execute("""SELECT (SELECT min(ts) FROM usage WHERE ts > $now),
            (SELECT min(hour) FROM usage_hourly WHERE hour > $now)""", {"now": now}).fetchone()
        times += [t.timestamp() for t in got if t is not None]
        self.valid_until = min(times)
        self.ok = True

    def keep(self, text: str, generated_at: str) -> None:
        """After the store closed: the answer kept, when ``check`` found it could be."""
        if not self.ok or text.count(generated_at) > 1:
            return
        head, split, tail = text.partition(generated_at)
        db = str(self.store.path)
        _write({"version": VERSION, "timezone": self.settings.timezone, "now": self.now.timestamp(),
                "valid_until": self.valid_until, "db": db, "store": _store_proof(db), "paths": self.paths,
                "stamps": [list(s) if s else None for s in self.stamps], "stderr": "".join(self.stderr),
                "head": head, "split": bool(split), "tail": tail})


def _write(entry: dict) -> None:
    import tempfile

    folder = _folder()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".answer.", dir=folder)  # private (0600)
        with os.fdopen(fd, "w") as fh:
            json.dump(entry, fh)
        os.replace(name, folder / f"{_key}.json")
        kept = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache folder that cannot be written: the next report is computed again, as ever
