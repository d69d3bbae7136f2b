"""A long read of agents' logs says how far it got: files and bytes, throttled, and its end."""

from __future__ import annotations

from pathlib import Path

from collectors.agents.claude_code import log as claude_code_log
from collectors.agents.reader import catch_up_log
from collectors.progress import ReadProgress, Throttled
from ledger.settings import Sources, load_settings
from ledger.store import Store
from tests.support.agent_lines import claude


def test_every_file_and_byte_is_told_and_then_the_end(tmp_path: Path) -> None:
    root = tmp_path / "claude"
    for s in range(5):
        folder = root / "projects" / f"-home-me-p{s}"
        folder.mkdir(parents=True)
        (folder / f"s{s}.jsonl").write_text(claude(f"m{s}", f"r{s}", session=f"s{s}"))
    size = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
    settings = load_settings(ledgers=[tmp_path / "none.jsonl"], db=tmp_path / "s.duckdb", timezone="UTC")
    settings = settings.model_copy(update={"sources": Sources(claude_code_dirs=[root], codex=False,
                                   gemini_cli=False, opencode=False, qwen_code=False, copilot_cli=False)})
    heard: list[ReadProgress] = []
    with Store.open(settings) as store:
        assert catch_up_log(store, claude_code_log(settings), heard.append).rows == 5
        assert [p.files_done for p in heard] == [1, 2, 3, 4, 5, 5]
        assert heard[-1].done and heard[-1].bytes_done == heard[-1].bytes == size
        heard.clear()
        catch_up_log(store, claude_code_log(settings), heard.append)  # nothing new: nothing read
        assert all(p.files == 0 for p in heard)


def test_a_short_read_shows_nothing_and_a_long_one_its_end() -> None:
    shown: list[ReadProgress] = []
    quick = Throttled(shown.append, after=60)
    quick(ReadProgress("claude-code", 1, 2, 10, 20))
    quick(ReadProgress("claude-code", 2, 2, 20, 20, done=True))
    assert shown == []
    slow = Throttled(shown.append, after=0, every=0)
    slow(ReadProgress("claude-code", 1, 2, 10, 20))
    slow(ReadProgress("claude-code", 2, 2, 20, 20, done=True))
    assert [p.files_done for p in shown] == [1, 2] and shown[-1].text().startswith("reading claude-code logs: 2/2")
