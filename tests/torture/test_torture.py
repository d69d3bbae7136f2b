"""Fault injection: a seeded random run of what can happen to a ledger and its collector — bursts of
appends (some torn), bad lines, rotations (several between two reads), truncation and in-place rewrites
of already-read content, an editor's save (a new file renamed over the ledger), and collectors killed
with SIGKILL at a random moment — checked at the end against an independent count of what was written:
every numbered line stored exactly once, every bad line rejected once.

CI runs a few fixed seeds (a minute or two). The long run: ``make torture`` (``TORTURE_SEEDS``, default
20; ``TORTURE_STEPS``, default 200). A failure prints its seed; ``TORTURE_SEED=N`` replays one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ledger.settings import load_settings
from ledger.store import Store
from tests.support.cli import ROOT
from tests.support.writer import numbered_lines, rotate

pytestmark = pytest.mark.torture

SEEDS = ([int(os.environ["TORTURE_SEED"])] if "TORTURE_SEED" in os.environ
         else list(range(int(os.environ["TORTURE_SEEDS"]))) if "TORTURE_SEEDS" in os.environ else [3, 17, 42])
STEPS = int(os.environ.get("TORTURE_STEPS", 40))


@dataclass
class Run:
    """The ledger, what was written to it, and a collector to run."""

    folder: Path
    rng: random.Random
    written: int = 0
    bad: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> Path:
        return self.folder / "usage.jsonl"

    def flags(self) -> list[str]:
        return ["--ledger", str(self.ledger), "--db", str(self.folder / "store.duckdb")]

    def append(self, count: int) -> None:
        text = numbered_lines(self.written, count)
        self.written += count
        with open(self.ledger, "ab") as fh:
            raw = text.encode()
            cut = self.rng.randrange(len(raw)) if self.rng.random() < 0.5 else len(raw)
            fh.write(raw[:cut])  # a torn append, finished below (the reader must wait for the newline)
            fh.flush()
            fh.write(raw[cut:])

    def bad_lines(self, count: int) -> None:
        with open(self.ledger, "a") as fh:
            for i in range(self.bad, self.bad + count):  # each bad line unique (see README, "byte-identical")
                fh.write(self.rng.choice([f'{{"ts": "nope", "model": "m{i}", "in": 1, "out": 1}}', f"{{not json {i}",
                                          f'{{"ts": "2026-11-20T10:00:00", "model": "m{i}", "in": "5", "out": 1}}',
                                          f'[1, 2, {i}]']) + "\n")
        self.bad += count

    def collect(self, *, kill: bool) -> None:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "collect", "--once", *self.flags()],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if kill:
            time.sleep(self.rng.uniform(0.0, 1.2))
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        if not kill:
            assert proc.returncode == 0, err


def _rewrite_in_place(run: Run) -> None:
    """After a full read: the same lines written again, or the file cut to a prefix (both read already)."""
    lines = run.ledger.read_bytes().splitlines(keepends=True)
    keep = run.rng.randint(0, len(lines))
    if run.rng.random() < 0.5:
        run.ledger.write_bytes(b"".join(lines[:keep]))
    else:
        os.truncate(run.ledger, sum(len(x) for x in lines[:keep]))


def _editor_save(run: Run) -> None:
    """After a full read: a copy with a line dropped and new ones added, renamed over the ledger."""
    lines = run.ledger.read_bytes().splitlines(keepends=True)
    if lines:
        del lines[run.rng.randrange(len(lines))]
    copy = run.folder / ".usage.swp"
    copy.write_bytes(b"".join(lines) + numbered_lines(run.written, 5).encode())
    run.written += 5
    os.replace(copy, run.ledger)


def step(run: Run) -> None:
    op = run.rng.choices(["append", "bad", "rotate", "collect", "kill", "rewrite", "editor"],
                         weights=[8, 1, 3, 3, 2, 1, 1])[0]
    run.log.append(op)
    if op == "append":
        run.append(run.rng.choice([1, 3, 20, 200, 2000]))
    elif op == "bad":
        run.bad_lines(run.rng.randint(1, 3))
    elif op == "rotate":
        rotate(run.ledger, keep=1000)  # never deletes: a deleted unread generation is a real loss
    elif op in ("collect", "kill"):
        run.collect(kill=op == "kill")
    elif op in ("rewrite", "editor") and run.ledger.exists():
        run.collect(kill=False)  # only lines already counted are rewritten or dropped
        (_rewrite_in_place if op == "rewrite" else _editor_save)(run)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_faults_lose_and_double_nothing(tmp_path: Path, seed: int) -> None:
    run = Run(tmp_path, random.Random(seed))
    run.append(10)
    for _ in range(STEPS):
        step(run)
    run.collect(kill=False)
    run.collect(kill=False)
    settings = load_settings(ledgers=[run.ledger], db=tmp_path / "store.duckdb", timezone="UTC")
    with Store.open(settings) as store:
        ids = [r[0] for r in store.con.execute("SELECT request_id FROM usage").fetchall()]
        rejected = store.con.execute("SELECT count(*) FROM rejected").fetchall()[0][0]
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    lost = [i for i in range(run.written) if f"n{i}" not in counts]
    doubled = {k: c for k, c in counts.items() if c > 1}
    where = f"seed {seed} (replay: TORTURE_SEED={seed}); steps: {' '.join(run.log)}"
    assert not lost and not doubled, f"lost {len(lost)}, doubled {len(doubled)} of {run.written}; {where}"
    assert rejected == run.bad, f"{rejected} rejected of {run.bad} bad lines; {where}"
