"""The Pack view from ``agent_run`` events: runs against each role's limit, queued beyond it, stuck
past the deadlock timeout, long-running, ended runs gone; the config's limits and roles win."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from collectors.sources import catch_up_all
from ledger.agent.writer import LedgerWriter, event_record
from ledger.settings import PackSettings
from ledger.views.pack import pack_view
from tests.conftest import TZ, append, line

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo(TZ))


def _run(writer: LedgerWriter, member: str, seconds_ago: float, phase: str = "start", session: str | None = None,
         workload: str | None = None) -> None:
    ts = (NOW - dt.timedelta(seconds=seconds_ago)).isoformat()
    detail = {"phase": phase} | ({"workload": workload} if workload else {})
    writer.append(event_record("agent_run", ts=ts, agent=member, session=session or f"{member}-1", **detail))


def _view(store, settings, pack: PackSettings | None = None):
    catch_up_all(store, settings)
    day = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    return pack_view(store.cursor(), pack or PackSettings(), NOW, day)


def test_runs_beyond_a_roles_limit_wait_and_turn_stuck(store, settings, ledger) -> None:
    append(ledger, line(ts="2026-11-20T11:59:00", agent="husky"))
    writer = LedgerWriter(ledger.parent / "events.jsonl")
    _run(writer, "husky", 900)        # coder 1: long-running (over 600 s)
    _run(writer, "terrier", 120)      # coder 2
    _run(writer, "retriever", 50)     # over the 2 coder slots, waiting 50 s: stuck
    _run(writer, "python-programmer", 10)  # waiting 10 s: queued
    _run(writer, "bloodhound", 300)
    _run(writer, "bloodhound", 100, phase="end")  # ended: gone
    _run(writer, "helper-x", 30, workload="summarization")  # a role from the agent's own workload
    _run(writer, "json-agent", 40, phase="queued", session="j-1")  # waited, then got its slot 5 s ago
    _run(writer, "json-agent", 5, session="j-1")
    view = _view(store, settings)
    roles = {r.role: r for r in view.roles}
    coder = roles["coder"]
    assert (coder.limit, coder.running, coder.queued, coder.stuck) == (2, 2, 2, 1)
    assert [(r.member, r.state) for r in coder.runs] == [
        ("husky", "long-running"), ("terrier", "running"), ("retriever", "stuck"), ("python-programmer", "queued")]
    (librarian,) = roles["librarian"].runs  # bloodhound's run ended
    assert (librarian.member, librarian.state, librarian.seconds) == ("json-agent", "running", 5)
    assert roles["summarizer"].running == 1
    assert view.line() == "pack coder 2/2 +2 queued · librarian 1/3 · summarizer 1/2 · 1 stuck · 1 long-running"
    husky = next(m for m in view.members if m.member == "husky")
    assert (husky.runs, husky.requests, husky.open_runs) == (1, 1, 1)


def test_the_configs_limits_and_roles_win(store, settings, ledger) -> None:
    writer = LedgerWriter(ledger.parent / "events.jsonl")
    for i, member in enumerate(("husky", "terrier", "retriever")):
        _run(writer, member, 100 - i)
    _run(writer, "my-dog", 5)
    view = _view(store, settings, PackSettings(limits={"coder": 3}, roles={"my-dog": "reasoner"},
                                               deadlock_timeout=2))
    roles = {r.role: r for r in view.roles}
    assert (roles["coder"].limit, roles["coder"].running, roles["coder"].queued) == (3, 3, 0)
    assert roles["reasoner"].running == 1
