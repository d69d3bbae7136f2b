"""Checking that a secret is nowhere on disk."""

from __future__ import annotations

from pathlib import Path


def assert_nowhere_in(folder: Path, key: str) -> None:
    """Not the key, nor a long piece of it, in any byte of any file (the DuckDB file, its WAL)."""
    for f in folder.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert key.encode() not in data, f
            if len(key) >= 24:
                assert key[8:24].encode() not in data, f
