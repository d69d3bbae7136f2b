"""Following files through what users and agents do to them: other spellings of one path, FIFOs,
truncation, rewrites, replacement by a new file, and rotations faster than the reader. Every count is
checked against the lines actually written (ids ``n0``, ``n1``...): nothing lost, nothing doubled."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from collectors.tail import catch_up
from ledger.settings import load_settings
from ledger.store import Store
from tests.conftest import line


def numbered(first: int, count: int) -> str:
    return "".join(line(session=f"n{i}", **{"in": i}) for i in range(first, first + count))


def counted(store: Store) -> list[str]:
    """Every stored session id, sorted: each written line must appear exactly once."""
    return sorted(r[0] for r in store.con.execute("SELECT session FROM usage").fetchall())


def ids(first: int, count: int) -> list[str]:
    return sorted(f"n{i}" for i in range(first, first + count))


def run(tmp_path: Path, ledgers: list[Path | str]) -> list[str]:
    """One run of packwatch over ``ledgers`` (a store opened, caught up, closed)."""
    settings = load_settings(ledgers=[Path(p) for p in ledgers], db=tmp_path / "store.duckdb", timezone="UTC")
    with Store.open(settings) as store:
        catch_up(store, settings.ledgers)
        return counted(store)


def test_one_file_is_counted_once_however_its_path_is_spelled(tmp_path: Path, monkeypatch) -> None:
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    ledger.write_text(numbered(0, 1000))
    (tmp_path / "link").symlink_to(tmp_path / "agent")
    monkeypatch.chdir(tmp_path)
    spellings = [ledger, "agent/usage.jsonl", "agent/../agent/usage.jsonl", tmp_path / "link" / "usage.jsonl",
                 tmp_path / "link", "./agent"]
    for spelling in spellings:
        assert run(tmp_path, [spelling]) == ids(0, 1000), spelling
    assert run(tmp_path, [ledger, tmp_path / "link" / "usage.jsonl"]) == ids(0, 1000)  # both at once


def test_a_hard_link_is_the_same_file(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 10))
    assert run(tmp_path, [ledger]) == ids(0, 10)
    other = tmp_path / "usage-copy.jsonl"
    os.link(ledger, other)
    ledger.unlink()
    with open(other, "a") as fh:
        fh.write(numbered(10, 5))
    assert run(tmp_path, [other]) == ids(0, 15)


def test_a_fifo_at_the_ledger_path_is_skipped_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "usage.jsonl"
    os.mkfifo(fifo)
    folder = tmp_path / "more"
    folder.mkdir()
    os.mkfifo(folder / "usage-2.jsonl")
    (folder / "usage-3.jsonl").write_text(numbered(0, 3))
    settings = load_settings(ledgers=[fifo, folder], db=tmp_path / "store.duckdb", timezone="UTC")
    done: dict = {}

    def catch() -> None:
        with Store.open(settings) as store:
            done["result"] = catch_up(store, settings.ledgers)
            done["rows"] = counted(store)

    worker = threading.Thread(target=catch, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the catch-up blocked on a FIFO"
    assert done["rows"] == ids(0, 3)
    errors = done["result"].errors
    assert any(str(fifo) in e and "not a regular file" in e for e in errors), errors
    assert any("usage-2.jsonl" in e and "not a regular file" in e for e in errors), errors


def test_a_file_away_for_one_read_and_back_continues_where_it_was(tmp_path: Path) -> None:
    """Moved aside and back (or a network mount gone for a moment): the same file, read on, not again."""
    for ledger_arg in ("file", "folder"):
        folder = tmp_path / ledger_arg
        ledger = folder / "usage.jsonl"
        folder.mkdir()
        ledger.write_text(numbered(0, 10))
        arg = ledger if ledger_arg == "file" else folder
        assert run(folder, [arg]) == ids(0, 10)
        os.rename(ledger, tmp_path / "aside")
        assert run(folder, [arg]) == ids(0, 10)
        os.rename(tmp_path / "aside", ledger)
        with open(ledger, "a") as fh:
            fh.write(numbered(10, 1))
        assert run(folder, [arg]) == ids(0, 11)


def test_a_copy_that_comes_a_read_after_its_original_went_counts_each_line_once(tmp_path: Path) -> None:
    """The file deleted, one read, then its edited copy at its path: the copy's old lines are not new."""
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 10))
    assert run(tmp_path, [ledger]) == ids(0, 10)
    kept = ledger.read_text()
    ledger.unlink()
    assert run(tmp_path, [ledger]) == ids(0, 10)
    ledger.write_text(kept + numbered(10, 2))
    assert run(tmp_path, [ledger]) == ids(0, 12)


def test_a_crash_between_retiring_a_file_and_recording_its_copy_counts_each_line_once(tmp_path, monkeypatch):
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 10))
    assert run(tmp_path, [ledger]) == ids(0, 10)
    copy = tmp_path / ".usage.jsonl.swp"
    copy.write_text(numbered(0, 12))
    os.replace(copy, ledger)

    class Crash(Exception):
        pass

    def crash(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(Store, "add_source", crash)
        try:
            run(tmp_path, [ledger])
        except Crash:
            pass
    assert run(tmp_path, [ledger]) == ids(0, 12)


def test_truncated_to_a_non_zero_size_then_appended_counts_each_line_once(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 1000))
    assert run(tmp_path, [ledger]) == ids(0, 1000)
    keep = len(numbered(0, 500))
    os.truncate(ledger, keep)  # the first 500 lines survive
    with open(ledger, "a") as fh:
        fh.write(numbered(1000, 300))
    assert run(tmp_path, [ledger]) == ids(0, 1300)
    assert run(tmp_path, [ledger]) == ids(0, 1300)


def test_a_cut_and_refilled_file_is_seen_rewritten_though_its_lines_end_alike(tmp_path: Path) -> None:
    """Code Puppy's lines end in the same bytes (the same fields in the same order, latency 0): cut to
    5 of 10 and 6 appended before the next read, the file is longer than before and looks read to its
    old offset unless the whole last line read is compared."""
    def cp(i: int) -> str:
        return json.dumps({"ts": f"2025-06-01T10:00:{i:02d}", "provider": "cerebras", "model": "qwen-3-coder",
                           "in": 1000 + i, "out": 200 + i, "type": "chat", "session": "main", "latency": 0,
                           "cached": False, "error": None}) + "\n"
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text("".join(cp(i) for i in range(10)))
    settings = load_settings(ledgers=[ledger], db=tmp_path / "store.duckdb", timezone="UTC")

    def stored() -> list[int]:
        with Store.open(settings) as store:
            catch_up(store, settings.ledgers)
            return sorted(r[0] - 1000 for r in store.con.execute("SELECT input_tokens FROM usage").fetchall())

    assert stored() == list(range(10))
    os.truncate(ledger, len(cp(0)) * 5)
    with open(ledger, "a") as fh:
        fh.write("".join(cp(i) for i in range(20, 26)))
    assert stored() == [*range(10), *range(20, 26)]


def test_a_file_replaced_by_an_edited_copy_counts_each_line_once(tmp_path: Path) -> None:
    """An editor's save: the file written anew beside it and renamed over it (a new inode), with most
    old lines kept, one removed and new ones added."""
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 100))
    assert run(tmp_path, [ledger]) == ids(0, 100)
    edited = tmp_path / ".usage.jsonl.swp"
    kept = numbered(0, 100).splitlines(keepends=True)
    edited.write_text("".join(kept[:50] + kept[51:]) + numbered(100, 10))
    os.replace(edited, ledger)
    assert run(tmp_path, [ledger]) == ids(0, 110)


def test_identical_lines_stay_distinct_through_a_rewrite(tmp_path: Path) -> None:
    """Three identical lines are three requests; after the file shrinks to two of them and two new lines
    follow, five were made: the survivors match two of the three counted, occurrence by occurrence."""
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(line() * 3)
    assert len(run(tmp_path, [ledger])) == 3
    os.truncate(ledger, len(line()) * 2)
    with open(ledger, "a") as fh:
        fh.write(numbered(0, 2))
    assert len(run(tmp_path, [ledger])) == 5


def rotate(ledger: Path) -> None:
    """logrotate's numbering: .N -> .N+1, ..., the ledger -> .1."""
    gens = sorted((p for p in ledger.parent.glob(ledger.name + ".*")), key=lambda p: -int(p.suffix[1:]))
    for g in gens:
        os.rename(g, g.with_suffix(f".{int(g.suffix[1:]) + 1}"))
    os.rename(ledger, ledger.with_name(ledger.name + ".1"))


def test_an_edited_copy_rotated_away_before_the_next_read_counts_each_line_once(tmp_path: Path) -> None:
    """An editor's save, then a rotation, then (with no ledger at the path yet) a read: the copy, now
    a generation, is still read as a rewrite of the file it replaced."""
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 100))
    assert run(tmp_path, [ledger]) == ids(0, 100)
    edited = tmp_path / ".usage.jsonl.swp"
    edited.write_text(numbered(0, 110))
    os.replace(edited, ledger)
    rotate(ledger)
    assert run(tmp_path, [ledger]) == ids(0, 110)
    ledger.write_text(numbered(110, 5))
    assert run(tmp_path, [ledger]) == ids(0, 115)


def test_date_named_rotations_keep_their_late_lines(tmp_path: Path) -> None:
    """logrotate's dateext (usage.jsonl-20250601) and Python's TimedRotatingFileHandler (.2025-06-02):
    the lines a file got after the last read and before it was renamed are read from its new name."""
    for folder_arg in (False, True):
        folder = tmp_path / str(folder_arg)
        folder.mkdir()
        ledger = folder / "usage.jsonl"
        ledger.write_text(numbered(0, 10))
        arg = folder if folder_arg else ledger
        assert run(folder, [arg]) == ids(0, 10)
        with open(ledger, "a") as fh:
            fh.write(numbered(10, 3))
        os.rename(ledger, folder / "usage.jsonl-20250601")
        ledger.write_text(numbered(13, 2))
        assert run(folder, [arg]) == ids(0, 15)
        with open(ledger, "a") as fh:
            fh.write(numbered(15, 1))
        os.rename(ledger, folder / "usage.jsonl.2025-06-02")
        assert run(folder, [arg]) == ids(0, 16)


def test_a_symlinked_ledger_keeps_its_old_targets_last_lines(tmp_path: Path) -> None:
    """``--ledger usage.jsonl`` a symlink to the day's file: the writer's last lines of day 1, and the
    link moved to day 2 before the next read."""
    day1, day2, link = tmp_path / "day1.jsonl", tmp_path / "day2.jsonl", tmp_path / "agent" / "usage.jsonl"
    link.parent.mkdir()
    day1.write_text(numbered(0, 10))
    link.symlink_to(day1)
    assert run(tmp_path, [link]) == ids(0, 10)
    with open(day1, "a") as fh:
        fh.write(numbered(10, 3))
    day2.write_text(numbered(13, 2))
    (tmp_path / "agent" / "new").symlink_to(day2)
    os.replace(tmp_path / "agent" / "new", link)
    assert run(tmp_path, [link]) == ids(0, 15)


def test_eight_rotations_between_two_reads_lose_no_generation(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    ledger.write_text(numbered(0, 100))
    assert run(tmp_path, [ledger]) == ids(0, 100)
    with open(ledger, "a") as fh:
        fh.write(numbered(100, 20))  # unread lines of the generation packwatch knows
    written = 120
    for _ in range(8):
        rotate(ledger)
        ledger.write_text(numbered(written, 500))
        written += 500
    assert run(tmp_path, [ledger]) == ids(0, written)
    assert run(tmp_path, [ledger]) == ids(0, written)


def test_a_writer_that_still_appends_to_the_rotated_file_loses_nothing(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    writer = open(ledger, "a")  # noqa: SIM115 - held open across the rotation, as a logger does
    writer.write(numbered(0, 10))
    writer.flush()
    assert run(tmp_path, [ledger]) == ids(0, 10)
    rotate(ledger)
    ledger.write_text(numbered(10, 5))
    assert run(tmp_path, [ledger]) == ids(0, 15)
    writer.write(numbered(15, 7))  # late lines, into what is now usage.jsonl.1
    writer.close()
    assert run(tmp_path, [ledger]) == ids(0, 22)


def test_history_of_rotated_generations_is_read_at_first_sight(tmp_path: Path) -> None:
    ledger = tmp_path / "usage.jsonl"
    (tmp_path / "usage.jsonl.2").write_text(numbered(0, 5))
    (tmp_path / "usage.jsonl.1").write_text(numbered(5, 5))
    ledger.write_text(numbered(10, 5))
    assert run(tmp_path, [ledger]) == ids(0, 15)


def test_a_generation_a_rotation_hid_from_one_look_is_read_by_the_next(tmp_path: Path) -> None:
    """A rotation renaming ``.1`` -> ``.2`` while a look lists the names can hide a generation from that
    look (seen under 2 live collectors on 2 busy cores: 908 of 2,000 lines lost); the next look reads it."""
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    ledger.write_text(numbered(0, 5))
    assert run(tmp_path, [ledger]) == ids(0, 5)
    os.rename(ledger, ledger.with_name("usage.jsonl.1"))
    ledger.write_text(numbered(5, 5))
    assert run(tmp_path, [ledger]) == ids(0, 10)
    # What the hiding look leaves: a generation on disk that no source knows, the ledger unchanged.
    ledger.with_name("usage.jsonl.2").write_text(numbered(10, 5))
    assert run(tmp_path, [ledger]) == ids(0, 15)
    assert run(tmp_path, [ledger]) == ids(0, 15)


def test_a_copytruncate_rotation_counts_each_line_once(tmp_path: Path) -> None:
    """logrotate's copytruncate: the ledger copied to ``.1`` (a new inode) and truncated in place; the
    copy's lines were counted from the ledger already."""
    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    ledger.write_text(numbered(0, 6))
    assert run(tmp_path, [ledger]) == ids(0, 6)
    ledger.with_name("usage.jsonl.1").write_bytes(ledger.read_bytes())
    with open(ledger, "r+") as fh:
        fh.truncate(0)
    with open(ledger, "a") as fh:
        fh.write(numbered(6, 3))
    assert run(tmp_path, [ledger]) == ids(0, 9)
    assert run(tmp_path, [ledger]) == ids(0, 9)


def test_a_generation_one_look_thought_gone_is_read_on_from_where_it_stopped(tmp_path: Path, monkeypatch) -> None:
    """A rotation renaming while a look lists the names can hide a followed generation from that look
    (seen once in a CI run, rotating every 0.2 s: 2 of 3,000 lines lost for good), so the look retires it;
    a later look that finds it again reads the lines it got after the last read."""
    import collectors.tail as tail

    ledger = tmp_path / "agent" / "usage.jsonl"
    ledger.parent.mkdir()
    ledger.write_text(numbered(0, 5))
    assert run(tmp_path, [ledger]) == ids(0, 5)
    with open(ledger, "a") as fh:
        fh.write(numbered(5, 3))  # not read yet
    os.rename(ledger, ledger.with_name("usage.jsonl.1"))
    ledger.write_text(numbered(8, 2))
    real, hidden = tail._Pass._siblings, [True]

    def listing_mid_rename(base: Path) -> list[Path]:
        if hidden.pop() if hidden else False:
            return [p for p in real(base) if p.name != "usage.jsonl.1"]
        return real(base)

    monkeypatch.setattr(tail._Pass, "_siblings", staticmethod(listing_mid_rename))
    run(tmp_path, [ledger])
    assert run(tmp_path, [ledger]) == ids(0, 10)
    assert run(tmp_path, [ledger]) == ids(0, 10)


def test_two_ledgers_rotated_in_one_pass_count_each_line_once(tmp_path: Path) -> None:
    """logrotate rotates every ledger in one go, one of them with lines not read yet: a look that reads both
    must not read a generation on from an offset it already moved past (a second copy of its source kept the
    old one: found in review, 3 lines counted twice)."""
    from collectors.sources import catch_up_all

    a, b = tmp_path / "a" / "usage.jsonl", tmp_path / "b" / "usage.jsonl"
    for p, first in ((a, 0), (b, 100)):
        p.parent.mkdir()
        p.write_text(numbered(first, 5))
    settings = load_settings(ledgers=[a, b], db=tmp_path / "store.duckdb", timezone="UTC")
    with Store.open(settings) as store:
        catch_up_all(store, settings, with_agent_logs=False)
        with open(b, "a") as fh:
            fh.write(numbered(105, 3))  # written before logrotate renamed it
        for p in (a, b):
            os.rename(p, p.with_name("usage.jsonl.1"))
        a.write_text(numbered(5, 2))
        b.write_text(numbered(108, 2))
        catch_up_all(store, settings, with_agent_logs=False)
        assert counted(store) == sorted(ids(0, 7) + ids(100, 10))
