"""A real writer process for the tests: appends N numbered ledger lines (session and request id ``n<i>``,
so a reader's count can be checked line by line), some split across two writes, at a steady pace; with
``--rotate-every S`` it rotates the ledger as logrotate numbers it (``.1`` -> ``.2``, the ledger -> ``.1``)
every S seconds while it writes, at full speed.

    python -m tests.support.writer PATH N [DELAY_S] [--rotate-every S] [--keep K]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from ledger.agent.writer import usage_record


def record(i: int) -> dict:
    return usage_record(provider="cerebras", model="glm-4.7", input_tokens=i, output_tokens=1, session=f"n{i}",
                        request_id=f"n{i}", ts="2026-11-20T12:00:00")


def numbered_lines(first: int, count: int) -> str:
    return "".join(json.dumps(record(i)) + "\n" for i in range(first, first + count))


def rotate(ledger: Path, keep: int) -> None:
    """logrotate's numbering: the oldest past ``keep`` is deleted, .N -> .N+1, the ledger -> .1."""
    for n in range(keep, 0, -1):
        older = ledger.with_name(f"{ledger.name}.{n}")
        if older.exists():
            if n == keep:
                older.unlink()
            else:
                os.rename(older, ledger.with_name(f"{ledger.name}.{n + 1}"))
    if ledger.exists():
        os.rename(ledger, ledger.with_name(f"{ledger.name}.1"))


def write(path: Path, n: int, delay: float, rotate_every: float | None, keep: int) -> None:
    next_rotation = time.monotonic() + rotate_every if rotate_every else float("inf")
    fd = -1
    for i in range(n):
        if time.monotonic() >= next_rotation:
            rotate(path, keep)
            next_rotation += rotate_every
            os.close(fd)
            fd = -1
        if fd < 0:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        raw = (json.dumps(record(i)) + "\n").encode()
        if i % 7 == 3:  # a torn append: the reader must wait for the newline
            os.write(fd, raw[:10])
            if delay:
                time.sleep(delay)
            os.write(fd, raw[10:])
        else:
            os.write(fd, raw)
        if delay:
            time.sleep(delay)
    if fd >= 0:
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("delay", type=float, nargs="?", default=0.002)
    parser.add_argument("--rotate-every", type=float)
    parser.add_argument("--keep", type=int, default=1000, help="rotated generations kept (more are deleted)")
    args = parser.parse_args()
    write(args.path, args.n, args.delay, args.rotate_every, args.keep)


if __name__ == "__main__":
    main()
