"""Finding agents' session files without a ``Path`` or a ``resolve()`` per file: the same files, in the
same order, as ``discover`` (``Path.rglob`` and ``resolve``), and a remembered folder listing that never
hides a file added later."""

from __future__ import annotations

import os
import time
from pathlib import Path

from collectors import finding
from collectors.finding import find_files
from collectors.reading import discover


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "c").mkdir()
    for name in ("a/x.jsonl", "a/b/y.jsonl", "a.jsonl", "c/z.jsonl", "a b.jsonl", "a-x.jsonl", "a/notes.txt"):
        (root / name).write_text("{}\n")
    (root / "a" / "link.jsonl").symlink_to(root / "c" / "z.jsonl")  # the same file twice: found once
    (root / "a" / "dirlink").symlink_to(root / "c")  # a linked folder: not followed, as rglob does
    (root / "a" / "broken.jsonl").symlink_to(root / "nowhere")
    os.mkfifo(root / "a" / "pipe.jsonl")


def test_the_same_files_in_the_same_order_as_discover(tmp_path: Path) -> None:
    _tree(tmp_path)
    expected = [str(p) for p in discover([tmp_path], "*.jsonl")[0]]
    assert find_files([str(tmp_path)], "*.jsonl") == expected
    assert len(expected) == 6 and str(tmp_path / "a" / "pipe.jsonl") not in expected


def test_a_single_file_root_and_a_missing_root(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert find_files([str(tmp_path / "a" / "link.jsonl"), str(tmp_path / "gone")]) == [str(tmp_path / "c" / "z.jsonl")]


def test_a_remembered_listing_sees_a_file_added_later(tmp_path: Path) -> None:
    (tmp_path / "old.jsonl").write_text("{}\n")
    past = time.time() - 60
    os.utime(tmp_path, (past, past))  # an old folder: its listing is remembered
    assert find_files([str(tmp_path)]) == [str(tmp_path / "old.jsonl")]
    assert (str(tmp_path), "*.jsonl") in finding._listings
    (tmp_path / "new.jsonl").write_text("{}\n")  # moves the folder's mtime
    assert find_files([str(tmp_path)]) == [str(tmp_path / "new.jsonl"), str(tmp_path / "old.jsonl")]


def test_a_folder_changed_just_now_is_listed_again(tmp_path: Path) -> None:
    (tmp_path / "one.jsonl").write_text("{}\n")
    find_files([str(tmp_path)])
    # Changed within the clock tick of its listing: an entry made in the same tick would not move the
    # mtime, so such a listing is not trusted.
    assert (str(tmp_path), "*.jsonl") not in finding._listings
    stamp = os.stat(tmp_path).st_mtime_ns
    (tmp_path / "two.jsonl").write_text("{}\n")
    os.utime(tmp_path, ns=(stamp, stamp))  # as if in the same tick
    assert len(find_files([str(tmp_path)])) == 2
