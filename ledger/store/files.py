"""Reading byte ranges of a file without loading it whole: what the ingest paths share."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

WINDOW = 1 << 20
"""The most any scan here reads at once."""


def may_hold_long_line(path: Path, start: int, end: int, limit: int) -> bool:
    """Whether [start, end) might hold a line longer than ``limit`` bytes, in microseconds.

    Such a line covers at least one whole aligned block of ``limit // 2`` bytes, so a newline in
    every block rules it out. A block without one only means: go line by line and measure. Read with
    ``pread`` (a file truncated under an ``mmap`` kills the reader with SIGBUS).
    """
    half = max(limit // 2, 1)
    fd = os.open(path, os.O_RDONLY)
    try:
        block = (start // half + 1) * half
        while block + half <= end:
            if not _newline_in(fd, block, block + half):
                return True
            block += half
    finally:
        os.close(fd)
    return False


def _newline_in(fd: int, lo: int, hi: int) -> bool:
    while lo < hi:
        window = os.pread(fd, min(hi - lo, WINDOW), lo)
        if not window:
            return True  # the file got shorter: nothing long here any more
        if b"\n" in window:
            return True
        lo += len(window)
    return False


def pread(path: Path, start: int, end: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        pos = start
        while pos < end:
            block = os.pread(fd, min(end - pos, 16 << 20), pos)
            if not block:
                break
            parts.append(block)
            pos += len(block)
        return b"".join(parts)
    finally:
        os.close(fd)


def chunks(path: Path, start: int, end: int, size: int, limit: int) -> Iterator[tuple[int, int, bool]]:
    """Ranges of whole lines, about ``size`` bytes each, and alone each line over ``limit`` bytes
    (``True``): so no range read into memory is much more than ``size + limit`` bytes."""
    fd = os.open(path, os.O_RDONLY)
    try:
        lo = start
        while lo < end:
            hi = min(lo + size, end)
            if hi < end:
                window = os.pread(fd, min(end - hi, WINDOW), hi)
                nl = window.find(b"\n")
                while nl < 0 and hi + len(window) < end:  # a very long line: look further
                    hi += len(window)
                    window = os.pread(fd, min(end - hi, WINDOW), hi)
                    nl = window.find(b"\n")
                hi = hi + nl + 1 if nl >= 0 else end
            if hi - lo > size + limit:
                yield from _around_long_lines(fd, lo, hi, size, limit)
            else:
                yield lo, hi, False
            lo = hi
    finally:
        os.close(fd)


def _around_long_lines(fd: int, lo: int, hi: int, size: int, limit: int) -> Iterator[tuple[int, int, bool]]:
    """[lo, hi), which holds a line over ``limit``, cut into runs of lines and the long lines alone."""
    run_start = line_start = pos = lo
    while pos < hi:
        window = os.pread(fd, min(hi - pos, WINDOW), pos)
        if not window:
            break
        nl = window.find(b"\n")
        while nl >= 0:
            line_end = pos + nl + 1
            if line_end - line_start - 1 > limit:
                if line_start > run_start:
                    yield run_start, line_start, False
                yield line_start, line_end, True
                run_start = line_end
            elif line_end - run_start >= size:
                yield run_start, line_end, False
                run_start = line_end
            line_start = line_end
            nl = window.find(b"\n", nl + 1)
        pos += len(window)
    if run_start < hi:
        yield run_start, hi, False


def first_line(data: bytes) -> bytes:
    """The first line of ``data`` (a file's first bytes), with its newline; all of it when it has none."""
    nl = data.find(b"\n")
    return data[: nl + 1] if nl >= 0 else data


def fingerprint(data: bytes) -> bytes:
    """What the store keeps of a file's first line (or its last-read bytes): their length and a digest,
    never the bytes themselves (a ledger's first line may hold a secret)."""
    return len(data).to_bytes(2, "big") + hashlib.blake2b(data, digest_size=16).digest() if data else b""


def fingerprinted_length(known: bytes) -> int:
    return int.from_bytes(known[:2], "big") if known else 0


def same_start(known: bytes, data: bytes) -> bool:
    """Whether ``data`` begins with the bytes ``known`` is the fingerprint of (no fingerprint: yes)."""
    if not known:
        return True
    n = fingerprinted_length(known)
    return len(data) >= n and fingerprint(data[:n]) == known
