"""Following ledger files by byte offset, through appends, rewrites and rotation, counting each line once.

- A file is one file however its path is spelled: configured paths are resolved (``..``, relative
  paths, symlinked folders), and a file already known under another name (same device and inode, same
  first bytes) keeps its source.
- Only regular files are read, and never by a call that can block (a FIFO at a ledger's path is
  skipped with a warning). Each read of a file goes through one open descriptor, so a file renamed
  or replaced meanwhile is never mistaken for the one that was checked.
- A last line without its newline waits.
- A rewritten file (shrunk, its first bytes changed, or replaced by a new file at its path) is read
  again from the start, and only lines not already counted from it are stored (``store.rewrite``).
- A rotated file (``usage.jsonl`` renamed to ``usage.jsonl.1``, ``.2``, …, a new one created) is
  followed by its inode, however many generations came and went between two reads: each is read to
  its end, and a generation not seen before is read whole. Rotated files are watched a while
  (``ROTATED_GRACE_S``) for a writer that still appends to them. Renames in the middle of a look: a file is
  placed at a path only where its inode was just seen, a source pushed from its path is followed, and each
  look ends by checking every generation against the offset of the source its inode belongs to.

The store commits rows and offsets together, so this module only decides *which* byte ranges to hand it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ledger.store import HEAD_BYTES, Ingested, Source, Store
from ledger.store.files import fingerprinted_length, same_start

from .generations import age, base_of, is_generation, siblings
from .reading import LEDGER_GLOB, discover, open_regular, pending, read_new

__all__ = ["GLOBS", "CatchUp", "catch_up", "discover", "pending", "read_new"]

EVENTS_GLOB = "events*.jsonl"
ERROR_LOG_GLOB = "errors.log"
QUOTA_GLOB = "quota*.jsonl"
GLOBS = {"usage": LEDGER_GLOB, "events": EVENTS_GLOB, "errorlog": ERROR_LOG_GLOB, "quota": QUOTA_GLOB}
ROTATED_GRACE_S = 300.0
"""A rotated generation is read for new lines until it has been quiet this long."""


@dataclass
class CatchUp:
    """What one pass over the ledgers found."""

    rows: int = 0
    rejected: int = 0
    events: int = 0  # event-log records (``rows`` counts usage records)
    files: int = 0
    missing: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    agent_files: int = 0
    """Files read from other agents' own logs (Claude Code, Codex, Gemini CLI, ...)."""
    missing_agents: list[str] = field(default_factory=list)
    """Agents asked for explicitly (``[sources] <agent> = true``) whose folders are all missing:
    ``"<agent> at <folders>"`` each."""
    quota: int = 0
    """Quota snapshots (the status line's quota.jsonl, Codex's rate limits)."""

    def __iadd__(self, other: CatchUp) -> CatchUp:
        self.rows += other.rows
        self.rejected += other.rejected
        self.files += other.files
        self.missing += other.missing
        self.errors += other.errors
        self.agent_files += other.agent_files
        self.missing_agents += other.missing_agents
        self.events += other.events
        self.quota += other.quota
        return self

    def add(self, got: Ingested) -> None:
        self.rows += got.rows
        self.rejected += got.rejected

    @property
    def changed(self) -> bool:
        return bool(self.rows or self.events or self.rejected or self.quota)


@dataclass
class _Seen:
    """A file as one look saw it: its stat and first bytes, and its bytes before an offset on demand."""

    path: Path
    st: os.stat_result
    head: bytes

    def before(self, offset: int, count: int) -> bytes:
        try:
            fd, _ = open_regular(self.path)
        except OSError:
            return b""
        try:
            return os.pread(fd, count, offset - count)
        finally:
            os.close(fd)


def _same_file(src: Source, seen: _Seen) -> bool:
    """The same file generation: its device and inode, its first bytes, and the bytes last read before
    its offset (inodes are reused: an editor's save can get the inode the file it replaced had)."""
    if (src.dev, src.inode) != (seen.st.st_dev, seen.st.st_ino) or not same_start(src.head, seen.head):
        return False
    n = fingerprinted_length(src.tail)
    if n and seen.st.st_size >= src.offset >= n:
        return same_start(src.tail, seen.before(src.offset, n))
    return True


def _stat_head(path: Path) -> _Seen | None:
    try:
        fd, st = open_regular(path)
    except OSError:
        return None
    try:
        return _Seen(path, st, os.pread(fd, HEAD_BYTES, 0))
    finally:
        os.close(fd)


class _Pass:
    """One catch-up over one kind's files: the sources known at its start, and what it found."""

    def __init__(self, store: Store, kind: str, known: dict[str, Source], result: CatchUp,
                 displaced: list[Source]) -> None:
        self.store, self.kind, self.known, self.result = store, kind, known, result
        self._all: list[Source] | None = None  # every source of the kind, retired ones too, when needed
        self._objects = {s.id: s for s in [*known.values(), *displaced]}
        """Each source the pass holds as one object (a stale copy's offset would read a generation again)."""
        self.moved: dict[Path, list[int]] = {}
        """Ledgers seen rotating in this pass: their unknown generations are looked for, as rewrites of
        the sources that were replaced rather than rotated (an editor's save, rotated before we looked)."""
        self.scanned: set[Path] = set()
        self.displaced = displaced  # sources whose path another file took: followed by inode before the end

    def place(self, src: Source, path: Path) -> None:
        """``src`` is the file now at ``path``: in the store and in this pass. A source that was known at
        ``path`` is not there any more; it is followed to wherever its file went."""
        if self.known.get(src.path) is src:
            del self.known[src.path]
        if src.path != str(path) or not src.active:
            self.store.update_source(src, path=str(path), active=True)
        other = self.known.get(src.path)
        if other is not None and other is not src:
            self.displaced.append(other)
        self.known[src.path] = src

    def settle_displaced(self) -> None:
        """Follow the sources other files pushed from their paths in this pass (a move can push one more).
        Each once: one pushed again by renames still under way is left to ``strays`` and the next pass."""
        followed: set[int] = set()
        while self.displaced:
            src = self.displaced.pop(0)
            if src.id not in followed and self.known.get(src.path) is not src:
                followed.add(src.id)
                self.follow(src)

    def everything(self) -> list[Source]:
        if self._all is None:
            self._all = [self._objects.setdefault(s.id, s) for s in self.store.sources(self.kind, active_only=False)]
        return self._all

    def added(self, src: Source) -> None:
        """A source just made, once among ``everything()`` (read from the store now, it holds it already)."""
        self._objects[src.id] = src
        if self._all is None:
            self.everything()
        else:
            self._all.append(src)

    def read(self, src: Source, path: Path, earlier: list[int] | None = None) -> None:
        try:
            got = read_new(self.store, src, path, earlier)
        except FileNotFoundError:
            return  # renamed since it was looked at (a rotation under way): the next look finds it
        self.result.add(got)
        self.result.files += 1

    def file(self, path: Path) -> None:
        """A configured file: its source's new lines, after any generations that rotated away."""
        seen = _stat_head(path)
        if seen is None:
            return
        st, head = seen.st, seen.head
        src = self.known.get(str(path))
        gone: Source | None = None
        rotated = src is not None and not _same_file(src, seen)
        if rotated:
            gone = self.follow(src)
            src = None
        if src is None:
            src = self.rename(path, seen)
        # A file that replaced the one we read (an editor's save) may hold its lines again, here or in a
        # generation rotated since: those are read as rewrites of it, counting only what it did not have.
        earlier = [gone.id, *gone.replaces] if gone is not None else None
        if src is None and earlier is None:
            earlier = self.orphans(path)
        if src is None:
            if rotated or not any(base_of(Path(s.path)) == path for s in self.everything()):
                self.generations(path, earlier)  # rotated generations not seen yet (or, at first sight, history)
            src = self.store.add_source(self.kind, str(path), st.st_dev, st.st_ino, head, earlier)
            self.place(src, path)
            self.added(src)
        self.read(src, path, earlier)

    def rename(self, path: Path, seen: _Seen) -> Source | None:
        """A source this file already has under another name (spelled differently before, or renamed
        back): it keeps its offset, under the new name."""
        for src in self.everything():
            if (src.path != str(path) or not src.active) and _same_file(src, seen):
                self.place(src, path)
                return src
        return None

    def orphans(self, path: Path) -> list[int] | None:
        """Sources retired at ``path`` that no file has replaced yet (the file went away and a new one
        came, maybe passes later, maybe after a crash between the two): the new file may copy their lines."""
        replaced = {i for s in self.everything() for i in s.replaces}
        gone = [s for s in self.everything() if s.path == str(path) and not s.active and s.id not in replaced]
        return [i for s in gone for i in (s.id, *s.replaces)] or None

    def follow(self, src: Source) -> Source | None:
        """A source no longer at its path: found by its inode among its ledger's generations, it is read
        on there (and retired once quiet); not found, it is retired and returned (it was replaced or
        deleted, so a new file at its path is read as a rewrite of it)."""
        base = base_of(Path(src.path))
        self.moved.setdefault(base, [])
        for candidate in self._siblings(base):
            found = _stat_head(candidate)
            if found is not None and _same_file(src, found):
                self.place(src, candidate)
                self.read(src, candidate)
                self._retire_if_quiet(src, found.st)
                return None
        self.store.update_source(src, active=False)
        if self.known.get(src.path) is src:
            del self.known[src.path]
        self.moved[base] += [src.id, *src.replaces]
        return src

    def generations(self, path: Path, earlier: list[int] | None = None) -> None:
        """Rotated generations of ``path`` no source has read: each read whole, oldest first (as rewrites
        of ``earlier``, when a file they may copy was replaced)."""
        self.scanned.add(path)
        for candidate in sorted(self._rotated(path), key=age):
            found = _stat_head(candidate)
            if found is None:
                continue
            st, head = found.st, found.head
            known = next((s for s in self.everything() if _same_file(s, found)), None)
            if known is not None:
                if self.known.get(str(candidate)) is not known and st.st_size > known.offset:
                    self.resume(known, candidate, found)
                continue
            src = self.store.add_source(self.kind, str(candidate), st.st_dev, st.st_ino, head, earlier)
            self.place(src, candidate)
            self.added(src)
            self.read(src, candidate, earlier)
            self._retire_if_quiet(src, st)

    def strays(self, path: Path) -> None:
        """Generations of ``path`` not where a source placed them, the net under every race: a rotation that
        renames while a look lists the names (``.1`` -> ``.2`` as ``.2`` is opened) can hide one from that look,
        which then retires its source, or leave two sources at one path. A generation no source knows is read
        whole; one whose source is retired or elsewhere is read on from its offset when it holds more. A stat
        per generation; files are opened only when one is unknown or has grown past its source's offset."""
        placed = {(s.dev, s.inode): s for s in self.known.values()}
        every: dict[tuple[int, int], Source] | None = None
        for candidate in self._rotated(path):
            try:
                st = candidate.stat()
            except OSError:
                continue
            src = placed.get((st.st_dev, st.st_ino))
            if src is not None and src.path == str(candidate):
                continue
            if src is None:
                if every is None:
                    every = {(s.dev, s.inode): s for s in self.everything()}  # the newest source of each inode
                src = every.get((st.st_dev, st.st_ino))
            if src is None:
                # Read as a rewrite of the ledger's sources: a copy of what they hold (logrotate's
                # copytruncate) adds only the lines they did not already count.
                ours = [s.id for s in self.everything() if base_of(Path(s.path)) == path]
                self.generations(path, ours or None)
                return
            if st.st_size > src.offset:
                found = _stat_head(candidate)
                if found is not None and _same_file(src, found):
                    self.resume(src, candidate, found)

    def resume(self, src: Source, path: Path, found: _Seen) -> None:
        """A retired generation found again with lines past its offset: a look that listed the names while
        a rotation renamed them missed it and took it for gone. Read on from where it stopped (as a rewrite of
        the files that replaced it, if any, so a line one of them holds is not counted twice)."""
        replacers = [s.id for s in self.everything() if src.id in s.replaces]
        self.place(src, path)
        self.read(src, path, replacers or None)
        self._retire_if_quiet(src, found.st)

    def rotated(self, src: Source) -> None:
        """A rotated generation still watched: its late lines, then retire it once quiet."""
        if not self.last_lines(src):
            self.follow(src)

    def last_lines(self, src: Source) -> bool:
        """A file still at its path (a rotated generation, or one no configured path leads to any more,
        say a symlink's old target): its late lines, then retired once quiet (a pass configured for it
        takes it up again, from its offset). False when the file is no longer there."""
        found = _stat_head(Path(src.path))
        if found is None or not _same_file(src, found):
            return False
        if found.st.st_size > src.offset:
            self.read(src, Path(src.path))
        self._retire_if_quiet(src, found.st)
        return True

    def _retire_if_quiet(self, src: Source, st: os.stat_result) -> None:
        if time.time() - st.st_mtime > ROTATED_GRACE_S and src.offset >= st.st_size and src.active:
            self.store.update_source(src, active=False)
            if self.known.get(src.path) is src:
                del self.known[src.path]

    _siblings = staticmethod(siblings)

    def _rotated(self, base: Path) -> list[Path]:
        return [p for p in self._siblings(base) if p != base and is_generation(p)]


def catch_up(store: Store, paths: list[Path], kind: str = "usage",
             known: dict[str, Source] | None = None) -> CatchUp:
    """One pass: every file of ``kind`` (``usage``, ``events``, ``quota`` or ``errorlog``) brought up to its last
    complete line. ``known``: the kind's active sources by path, when the caller has them."""
    result = CatchUp()
    mark = store.mark() if kind == "usage" else -1
    files, result.missing = discover(paths, GLOBS[kind], result.errors)
    every = store.sources(kind) if known is None else None
    known = dict(known) if known is not None else {s.path: s for s in every}
    shadowed = [s for s in every or [] if known[s.path] is not s]  # two at one path: a race before
    one = _Pass(store, kind, known, result, shadowed)
    configured = set(files)
    for src in list(known.values()):
        p = Path(src.path)
        if p in configured:
            continue
        if not _configured(base_of(p), paths):
            one.last_lines(src)  # say, a symlink's old target: what it got before the link moved
        elif p == base_of(p):
            one.follow(src)  # a ledger gone from its path: rotated away, or deleted
        else:
            one.rotated(src)
    for path in files:
        try:
            one.file(path)
        except OSError as exc:
            result.errors.append(f"{path}: {exc.strerror or exc}")
    one.settle_displaced()
    for base, replaced in one.moved.items():  # rotated away, not recreated yet: generations may have come
        if base not in one.scanned:
            one.generations(base, replaced or None)
    for path in files:
        if path not in one.scanned:
            one.strays(path)
    if result.rows and kind == "usage":
        store.settle(mark)
    return result


def _under(p: Path, root: Path) -> bool:
    return p == root or root in p.parents


def _configured(p: Path, paths: list[Path]) -> bool:
    return any(_under(p, Path(os.path.abspath(root)).resolve()) or _under(p, Path(os.path.abspath(root)))
               for root in paths)
