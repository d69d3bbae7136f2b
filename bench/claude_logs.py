"""Claude Code logs for the bench, shaped like the real ones (Claude Code 2.1.332's files under
``/work/research/claude/logs/``): compact JSON, and the line types the CLI writes per turn — mode and
permission-mode lines, the user's prompt, attachments, file-history snapshots, the ``api-request``
sent, the response as one line per content block (copies with the same ids and usage), tool results
with outputs from a few bytes to tens of kilobytes, system lines, ``last-prompt``, and the
``cost-state`` a process writes when it ends (its totals equal the logged responses', so both tools
count the same tokens). Session lengths and output sizes are log-normal: most files are small, a
few are large.

Deterministic (one seed, fixed dates), so the folder is made once and cached.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

FILES = 3_000
FORMAT = "real-5"
"""Bumped when the generated lines change (the cached folder is made again)."""
MODELS = ["claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"]
START = 1_793_491_200.0  # 2026-11-01T00:00:00Z: fixed, so the cache is stable
DAYS = 28
WORDS = ("the test fails because the fixture opens the store before the schema migrates so we move "
         "the call after it and run the suite again to check that nothing else depends on it").split()
BETAS = ["claude-code-20250219", "interleaved-thinking-2025-05-14", "context-management-2025-06-27",
         "effort-2025-11-24", "thinking-token-count-2026-05-13"]


def _compact(rec: dict) -> str:
    return json.dumps(rec, separators=(",", ":"))


def _ts(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:size]


class Session:
    """One session file's lines, turn by turn."""

    def __init__(self, rng: random.Random, s: int, epoch: float) -> None:
        self.rng, self.s, self.t = rng, s, epoch
        self.sid = f"{s:08x}-4ee4-4a37-8b6b-{s * 7919 % 10**12:012d}"
        self.cwd = f"/home/me/project-{s % 40}"
        self.base = {"userType": "external", "entrypoint": "cli", "cwd": self.cwd, "sessionId": self.sid,
                     "version": "2.1.332", "gitBranch": "main"}
        self.lines: list[str] = []
        self.totals: dict[str, dict[str, int]] = {}
        self.n = 0

    def uid(self, kind: str) -> str:
        self.n += 1
        return f"{kind}-{self.s}-{self.n}-{self.rng.getrandbits(48):012x}"

    def add(self, rec: dict) -> None:
        self.lines.append(_compact(rec))

    def last_prompt(self) -> None:
        self.add({"type": "last-prompt", "lastPrompt": "run the tests", "leafUuid": self.uid("l"),
                  "sessionId": self.sid})

    def header(self) -> None:
        self.add({"type": "mode", "mode": "default", "sessionId": self.sid})
        self.add({"type": "permission-mode", "permissionMode": "acceptEdits", "sessionId": self.sid})

    def turn(self, model: str) -> None:
        rng = self.rng
        self.t += rng.uniform(5, 240)
        self.add({"parentUuid": None, "isSidechain": False, "type": "user", "promptId": self.uid("p"),
                  "message": {"role": "user", "content": _text(rng, rng.randint(10, 200))}, "uuid": self.uid("u"),
                  "timestamp": _ts(self.t), "permissionMode": "acceptEdits", **self.base})
        if rng.random() < 0.3:
            self.add({"parentUuid": None, "isSidechain": False, "type": "attachment",
                      "attachment": {"type": "file", "content": _text(rng, int(rng.lognormvariate(5.5, 1.2)))},
                      "uuid": self.uid("at"), "timestamp": _ts(self.t), **self.base})
        self.add({"type": "file-history-snapshot", "messageId": self.uid("m"), "isSnapshotUpdate": False,
                  "snapshot": {"trackedFileBackups": {}, "timestamp": _ts(self.t)}})
        for _ in range(rng.choice((1, 1, 2, 3))):  # tool calls in this turn: a request and response each
            self.call(model)
        self.add({"type": "permission-mode", "permissionMode": "acceptEdits", "sessionId": self.sid})
        self.last_prompt()
        if rng.random() < 0.1:
            self.add({"parentUuid": None, "isSidechain": False, "type": "system", "subtype": "turn_duration",
                      "durationMs": rng.randint(900, 90000), "timestamp": _ts(self.t), "uuid": self.uid("y"),
                      "isMeta": False, **self.base})

    def call(self, model: str) -> None:
        rng = self.rng
        ref = self.uid("r")
        self.add({"type": "api-request", "sessionId": self.sid, "id": ref, "timestamp": _ts(self.t),
                  "version": "2.1.332", "querySource": "repl_main_thread",
                  "params": {"model": model, "betas": BETAS, "max_tokens": 32000}})
        self.t += rng.uniform(1, 30)
        writes = rng.choice([0, rng.randint(0, 8000)])
        usage = {"input_tokens": rng.randint(1, 60), "cache_creation_input_tokens": writes,
                 "cache_read_input_tokens": rng.randint(0, 150000), "output_tokens": rng.randint(1, 4000),
                 "service_tier": "standard"}
        self._count(model, usage)
        mid, req = self.uid("msg"), self.uid("req")
        blocks = [{"type": "text", "text": _text(rng, rng.randint(10, 200))}]
        if rng.random() < 0.6:
            blocks.append({"type": "tool_use", "id": self.uid("toolu"), "name": "Bash",
                           "input": {"command": _text(rng, rng.randint(10, 120))}})
        for i, block in enumerate(blocks):  # one line per content block: copies of the same response
            self.add({"parentUuid": None, "isSidechain": False,
                      "message": {"id": mid, "type": "message", "role": "assistant", "model": model,
                                  "content": [block], "stop_reason": None, "usage": usage},
                      "apiBlockIndex": i, "requestId": req, "requestRef": ref, "type": "assistant",
                      "uuid": self.uid("a"), "timestamp": _ts(self.t + i * 0.2), **self.base})
        if len(blocks) > 1:  # the tool's output: usually short, sometimes a whole file
            output = _text(rng, int(rng.lognormvariate(5.3, 1.5)))
            result = {"tool_use_id": blocks[1]["id"], "type": "tool_result", "content": output}
            self.add({"parentUuid": None, "isSidechain": False, "type": "user",
                      "message": {"role": "user", "content": [result]},
                      "uuid": self.uid("u"), "timestamp": _ts(self.t + 1), **self.base})

    def _count(self, model: str, usage: dict) -> None:
        u = self.totals.setdefault(model, dict.fromkeys(
            ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheCreationInputTokens"), 0))
        u["inputTokens"] += usage["input_tokens"]
        u["outputTokens"] += usage["output_tokens"]
        u["cacheReadInputTokens"] += usage["cache_read_input_tokens"]
        u["cacheCreationInputTokens"] += usage["cache_creation_input_tokens"]

    def trailer(self, cost_state: bool) -> None:
        self.last_prompt()
        if cost_state:  # the process ended: its cumulative totals, as the logged responses add up
            usage = {m: {**u, "thinkingTokens": 0, "cacheCreationEphemeral5mInputTokens": u["cacheCreationInputTokens"],
                         "cacheCreationEphemeral1hInputTokens": 0, "webSearchRequests": 0, "costUSD": 0.0}
                     for m, u in self.totals.items()}
            self.add({"type": "cost-state", "sessionId": self.sid, "totalCostUSD": 0.0, "totalAPIDuration": 1000,
                      "startTime": int(START * 1000), "modelUsage": usage, "hasUnknownModelCost": False})


def generate(folder: Path, files: int = FILES, seed: int = 14) -> None:
    rng = random.Random(seed)
    for s in range(files):
        epoch = START + rng.uniform(0, DAYS * 86400)
        session = Session(rng, s, epoch)
        session.header()
        model = rng.choice(MODELS)
        for _ in range(max(1, int(rng.lognormvariate(1.9, 0.9)))):
            if rng.random() < 0.1:
                model = rng.choice(MODELS)
            session.turn(model)
        session.trailer(cost_state=rng.random() < 0.7)
        project = folder / "projects" / session.cwd.replace("/", "-")
        project.mkdir(parents=True, exist_ok=True)
        (project / f"{session.sid}.jsonl").write_text("\n".join(session.lines) + "\n")
    (folder / "COMPLETE").write_text(f"{files} {FORMAT}\n")


def ensure(folder: Path, files: int = FILES) -> None:
    """The generated folder, made again only when missing, incomplete or of an older format."""
    marker = folder / "COMPLETE"
    if marker.exists() and marker.read_text().split() == [str(files), FORMAT]:
        return
    shutil.rmtree(folder, ignore_errors=True)
    generate(folder, files)
