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


def test_nothing_new_is_seen_by_stat_alone_without_opening_a_file(tmp_path: Path, monkeypatch) -> None:
    import builtins

    from collectors.agents.claude_code import log as claude_code_log
    from collectors.agents.reader import catch_up_log
    from ledger.settings import Sources, load_settings
    from ledger.store import Store
    from tests.support.agent_lines import claude

    root = tmp_path / "claude"
    for s in range(3):
        (root / "projects" / f"-p{s}").mkdir(parents=True)
        (root / "projects" / f"-p{s}" / f"s{s}.jsonl").write_text(claude(f"m{s}", f"r{s}", session=f"s{s}"))
    settings = load_settings(ledgers=[tmp_path / "none.jsonl"], db=tmp_path / "s.duckdb", timezone="UTC")
    settings = settings.model_copy(update={"sources": Sources(claude_code_dirs=[root], codex=False,
                                   gemini_cli=False, opencode=False, qwen_code=False, copilot_cli=False)})
    with Store.open(settings) as store:
        log = claude_code_log(settings)
        assert catch_up_log(store, log).rows == 3

        def refuse(*args, **kwargs):
            raise AssertionError(f"opened {args[0]}")

        monkeypatch.setattr(os, "open", refuse)
        monkeypatch.setattr(builtins, "open", refuse)
        again = catch_up_log(store, log)
        monkeypatch.undo()
    assert (again.rows, again.errors, again.agent_files, again.files) == (0, [], 3, 0)
