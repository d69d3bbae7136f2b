"""Reading byte ranges of a file without loading it whole: what the ingest paths share."""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Iterator
from pathlib import Path


def may_hold_long_line(path: Path, start: int, end: int, limit: int) -> bool:
    """Whether [start, end) might hold a line longer than ``limit`` bytes, in microseconds.

    Such a line covers at least one whole aligned block of ``limit // 2`` bytes, so a newline in
    every block rules it out. A block without one only means: go line by line and measure.
    """
    half = max(limit // 2, 1)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        block = (start // half + 1) * half
        while block + half <= end:
            if mm.find(b"\n", block, block + half) < 0:
                return True
            block += half
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


def chunks(path: Path, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """Ranges of about ``size`` bytes, each ending just after a newline."""
    fd = os.open(path, os.O_RDONLY)
    try:
        lo = start
        while lo < end:
            hi = min(lo + size, end)
            if hi < end:
                window = os.pread(fd, min(end - hi, 1 << 20), hi)
                nl = window.find(b"\n")
                while nl < 0 and hi + len(window) < end:  # a very long line: look further
                    hi += len(window)
                    window = os.pread(fd, min(end - hi, 1 << 20), hi)
                    nl = window.find(b"\n")
                hi = hi + nl + 1 if nl >= 0 else end
            yield lo, hi
            lo = hi
    finally:
        os.close(fd)


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
