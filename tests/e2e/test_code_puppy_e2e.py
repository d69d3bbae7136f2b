"""The real Code Puppy CLI, end to end: ``code-puppy -m stub -p ...`` headless, talking to a scripted
OpenAI-compatible server on 127.0.0.1 (tests/openai_stub.py), with packwatch's plugin loaded the way
Code Puppy loads every installed plugin (the ``code_puppy.plugins`` entry point of this venv).

Nothing is configured for packwatch: with HOME in a temporary folder, the plugin writes to packwatch's
default ledger (Code Puppy's ``~/.code_puppy/.codepuppy/usage.jsonl``) and reads ``control.json``
beside it, which is where ``packwatch control`` and ``packwatch report`` look by default too.

What Code Puppy 0.0.946 needs to start offline, read from its source:
- ``config.ensure_config_exists`` asks for ``puppy_name`` and ``owner_name`` with ``input()`` on
  the first start: ``puppy.cfg`` is written beforehand.
- ``version_checker.fetch_latest_version`` asks PyPI for the latest version (in a thread, 5 s
  timeout): ``NO_VERSION_UPDATE=1`` turns it off. With it, the only connection the run makes is to
  the stub (checked once with ``strace -e connect`` and inside ``unshare -rn``, a network namespace
  with nothing but loopback).
- A ``custom_openai`` model in ``extra_models.json`` points at the stub; its key comes from an
  environment variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.openai_stub import OpenAIStub, ScriptedModel

ROOT = Path(__file__).resolve().parents[2]
CODE_PUPPY = Path(sys.executable).with_name("code-puppy")
RUN_TIMEOUT_S = 240  # a cold start imports pydantic-ai and ~70 plugins: 15-30 s on two busy cores

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CODE_PUPPY.exists(), reason=f"the code-puppy test extra is not installed "
                                                       f"(no {CODE_PUPPY})"),
]


@dataclass
class Rig:
    home: Path
    work: Path
    env: dict[str, str]

    @property
    def ledger_folder(self) -> Path:
        return self.home / ".code_puppy" / ".codepuppy"  # packwatch's default ledger is Code Puppy's

    def lines(self, name: str) -> list[dict]:
        path = self.ledger_folder / name
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.lines("events.jsonl") if e["kind"] == kind]

    def packwatch(self, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                              env=self.env, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc

    def code_puppy(self, script: ScriptedModel, prompt: str) -> subprocess.CompletedProcess:
        """One headless run against a fresh stub serving ``script``."""
        with OpenAIStub(script) as stub:
            models = {"stub": {"type": "custom_openai", "name": script.model, "context_length": 128_000,
                               "custom_endpoint": {"url": stub.base_url, "api_key": "$PACKWATCH_E2E_KEY"}}}
            (self.home / ".code_puppy" / "extra_models.json").write_text(json.dumps(models))
            try:
                proc = subprocess.run([str(CODE_PUPPY), "-m", "stub", "-p", prompt], cwd=self.work, env=self.env,
                                      stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                      timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                pytest.fail(f"code-puppy did not finish in {RUN_TIMEOUT_S} s; it printed:\n{exc.stdout}\n{exc.stderr}")
        assert proc.returncode == 0, f"code-puppy exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        assert script.requests, f"code-puppy never called the model:\n{proc.stdout}\n{proc.stderr}"
        return proc


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    home = tmp_path / "home"
    (home / ".code_puppy").mkdir(parents=True)
    # The two answers Code Puppy's first start asks for (config.ensure_config_exists).
    (home / ".code_puppy" / "puppy.cfg").write_text("[puppy]\npuppy_name = Rex\nowner_name = packwatch\n")
    work = tmp_path / "project"
    work.mkdir()
    (work / "notes.txt").write_text("old\n")
    # Code Puppy and packwatch both keep everything under HOME unless XDG_* is set; proxies would
    # route 127.0.0.1 elsewhere.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "PACKWATCH_")) and "proxy" not in k.lower()}
    env.update(HOME=str(home), NO_VERSION_UPDATE="1", PACKWATCH_E2E_KEY="sk-loopback", CODE_PUPPY_NO_TUI="1",
               NO_COLOR="1", TERM="dumb", NO_PROXY="127.0.0.1,localhost")
    return Rig(home=home, work=work, env=env)


def edit_script(rig: Rig) -> ScriptedModel:
    return ScriptedModel(model="stub-model", tool_name="create_file",
                         tool_args={"file_path": str(rig.work / "notes.txt"), "content": "new\n", "overwrite": True},
                         answer="I replaced notes.txt.")


def offered_tools(script: ScriptedModel) -> set[str]:
    return {t["function"]["name"] for t in script.requests[0].get("tools", [])}


def test_a_real_run_writes_one_usage_row_per_model_request(rig: Rig) -> None:
    script = edit_script(rig)
    rig.code_puppy(script, "Replace the contents of notes.txt with 'new'.")

    assert "create_file" in offered_tools(script)  # the real tool name, not one the stub made up
    assert (rig.work / "notes.txt").read_text() == "new\n"
    assert "overwritten successfully" in script.tool_results()[0]

    rows = rig.lines("usage.jsonl")
    assert len(rows) == len(script.requests) == 2
    # in = prompt tokens - cached (pydantic-ai counts cached tokens inside input_tokens)
    assert [(r["model"], r["in"], r["out"], r["cache_read"], r["agent"]) for r in rows] == [
        ("stub-model", 200, 34, 1_000, "code-puppy"),
        ("stub-model", 400, 12, 1_100, "code-puppy"),
    ]
    assert all(r["error"] is None and r["latency"] >= 0 for r in rows)

    # ...and packwatch reads them from where it looks by default.
    report = json.loads(rig.packwatch("--db", str(rig.home / "store.duckdb"), "report", "--format", "json").stdout)
    totals = {k: sum(d[k] for d in report["days"]) for k in ("requests", "input_tokens", "output_tokens",
                                                            "cache_read_tokens")}
    assert totals == {"requests": 2, "input_tokens": 600, "output_tokens": 46, "cache_read_tokens": 2_100}


def test_review_only_blocks_the_edit_and_the_model_is_told_why(rig: Rig) -> None:
    rig.packwatch("control", "review-only", "on")
    script = edit_script(rig)
    rig.code_puppy(script, "Replace the contents of notes.txt with 'new'.")

    assert (rig.work / "notes.txt").read_text() == "old\n"
    (blocked,) = rig.events("blocked")
    assert blocked["detail"]["tool"] == "create_file"
    assert "review-only" in blocked["detail"]["reason"]
    (seen,) = script.tool_results()
    assert "[BLOCKED] create_file is not allowed: review-only mode is on" in seen
    assert "overwritten" not in seen

    # The agent acknowledged the change, and the run's requests are still counted.
    (ack,) = rig.events("control_ack")
    assert (ack["detail"]["action"], ack["detail"]["result"]) == ("review-only", "applied")
    assert len(rig.lines("usage.jsonl")) == len(script.requests) == 2


def test_the_stub_answers_non_streamed_requests_in_the_openai_shape(rig: Rig) -> None:
    """Code Puppy streams; other agents may not: the plain answer must parse as OpenAI's own type."""
    import httpx
    from openai.types.chat import ChatCompletion

    script = edit_script(rig)
    with OpenAIStub(script) as stub:
        body = {"model": "stub-model", "messages": [{"role": "user", "content": "edit"}]}
        first = ChatCompletion.model_validate(httpx.post(f"{stub.base_url}/chat/completions", json=body).json())
        body["messages"] += [first.choices[0].message.model_dump(exclude_none=True),
                             {"role": "tool", "tool_call_id": first.choices[0].message.tool_calls[0].id,
                              "content": "ok"}]
        second = ChatCompletion.model_validate(httpx.post(f"{stub.base_url}/chat/completions", json=body).json())
    assert first.choices[0].message.tool_calls[0].function.name == "create_file"
    assert first.usage.prompt_tokens_details.cached_tokens == 1_000
    assert second.choices[0].message.content == "I replaced notes.txt."
    assert script.tool_results() == ["ok"]
