"""The control channel: atomic, lossless under concurrent writers, safe on a corrupt file, and the
agent's acknowledgements turning changes from pending into applied or refused."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from collectors.sources import catch_up_all
from ledger.agent.follower import ControlFollower
from ledger.control.channel import ControlChannel
from ledger.control.model import ControlError, with_controls
from ledger.control.reader import ControlReader
from ledger.control.status import change_statuses

WRITER = """
import sys
from ledger.control.channel import ControlChannel
folder, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
channel = ControlChannel(folder, who=name)
for i in range(n):
    channel.set_budget(name, daily_tokens=i + 1)
    channel.set_failover(f"{name}-model", f"target-{i}")
"""


def test_concurrent_writer_processes_lose_no_change(tmp_path: Path) -> None:
    folder = tmp_path / "agent"
    folder.mkdir()
    names, per_writer = ["alpha", "bravo", "charlie", "delta"], 15
    stop = threading.Event()
    seen: list[int] = []
    unreadable: list[str] = []

    def poll() -> None:  # a reader polling all the while never sees half a file
        path = folder / "control.json"
        while not stop.is_set():
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            try:
                seen.append(json.loads(raw)["revision"])
            except ValueError as exc:
                unreadable.append(f"{exc}: {raw[:80]!r}")

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), name, str(per_writer)])
                 for name in names]
        assert [p.wait(timeout=120) for p in procs] == [0] * len(names)
    finally:
        stop.set()
        reader.join()
    assert not unreadable
    assert seen == sorted(seen), "revisions only move forward"
    controls = ControlChannel(folder).read().controls
    total = len(names) * per_writer * 2
    assert controls.revision == total
    for name in names:  # every writer's last value of each of its controls survived the others
        assert controls.budgets[name].daily_tokens == per_writer
        assert controls.failovers[f"{name}-model"] == f"target-{per_writer - 1}"
    audit = ControlChannel(folder).history(limit=10_000)
    assert len(audit) == total
    assert sorted(c.revision for c in audit) == list(range(1, total + 1))
    assert {c.who for c in audit} == set(names)
    ids = [c.id for c in audit]
    assert len(set(ids)) == total


def test_every_change_is_audited_with_old_and_new(tmp_path: Path) -> None:
    channel = ControlChannel(tmp_path, who="tester")
    channel.set_budget("anthropic", daily_usd=40)
    channel.set_budget("anthropic", monthly_usd=900)
    channel.set_review_only(True)
    lines = [json.loads(x) for x in (tmp_path / "controls.jsonl").read_text().splitlines()]
    assert [(x["action"], x["key"], x["who"]) for x in lines] == [
        ("budget", "budget:anthropic", "tester"), ("budget", "budget:anthropic", "tester"),
        ("review-only", "review_only", "tester")]
    assert lines[1]["old"]["daily_usd"] == 40 and lines[1]["new"] == {
        "daily_usd": 40, "monthly_usd": 900, "daily_tokens": None}
    assert (lines[2]["old"], lines[2]["new"]) == (False, True)
    controls = channel.read().controls
    assert controls.change_ids == {"budget:anthropic": lines[1]["id"], "review_only": lines[2]["id"]}


def test_missing_file_reads_as_defaults(tmp_path: Path) -> None:
    state = ControlChannel(tmp_path / "nowhere").read()
    assert state.warning is None
    assert not state.controls.review_only and not state.controls.failovers and not state.controls.budgets


def test_corrupt_file_falls_back_and_is_kept_before_the_next_write(tmp_path: Path) -> None:
    channel = ControlChannel(tmp_path)
    channel.set_review_only(True)
    (tmp_path / "control.json").write_text('{"review_only": tru')
    state = channel.read()
    assert state.controls.review_only is False
    assert state.warning and "corrupt" in state.warning and "control.json" in state.warning
    channel.set_budget("all", daily_usd=10)
    kept = list(tmp_path.glob("control.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == '{"review_only": tru'
    assert channel.read().warning is None
    assert channel.read().controls.budgets["all"].daily_usd == 10


def test_a_file_of_the_wrong_shape_is_corrupt_too(tmp_path: Path) -> None:
    (tmp_path / "control.json").write_text('{"review_only": "perhaps", "budgets": {"all": {"daily_usd": -3}}}')
    state = ControlChannel(tmp_path).read()
    assert state.warning and "review_only" in state.warning


def test_the_agent_keeps_its_last_good_controls_when_the_file_breaks(tmp_path: Path) -> None:
    channel = ControlChannel(tmp_path)
    reader = ControlReader(tmp_path)
    assert reader.current().review_only is False
    channel.set_review_only(True)
    assert reader.current().review_only is True
    (tmp_path / "control.json").write_text("garbage")
    assert reader.current().review_only is True  # review-only must not lapse because a file broke
    assert reader.warning and "last good" in reader.warning


@pytest.mark.parametrize("call, message", [
    (lambda c: c.set_budget("all"), "at least one"),
    (lambda c: c.set_budget("all", daily_usd=-1), "greater than or equal to 0"),
    (lambda c: c.set_budget(" ", daily_usd=1), "scope"),
    (lambda c: c.set_failover("cerebras", None), "no failover is forced"),
    (lambda c: c.set_failover("cerebras", " "), "--to MODEL"),
    (lambda c: c.set_alert_levels([0, 50]), "percentages"),
])
def test_bad_changes_are_refused_and_change_nothing(tmp_path: Path, call, message: str) -> None:
    channel = ControlChannel(tmp_path)
    with pytest.raises(ControlError, match=message):
        call(channel)
    assert not (tmp_path / "control.json").exists()
    assert channel.history() == []


def test_acknowledgements_turn_pending_into_applied_or_refused(store, settings, ledger) -> None:
    folder = settings.control_dir
    channel = ControlChannel(folder)
    review = channel.set_review_only(True)
    failover = channel.set_failover("cerebras", "no-such-model")
    first_budget = channel.set_budget("all", daily_usd=5)
    channel.set_budget("all", daily_usd=7)  # replaces the first before any agent read it
    catch_up_all(store, settings)
    states = {s.change.id: s.state for s in change_statuses(store.con, channel)}
    assert states[review.id] == "pending" and states[first_budget.id] == "superseded"

    follower = ControlFollower(folder, agent="husky")
    for change in follower.new_changes():
        if change.action == "failover":
            follower.acknowledge(change, "refused", "no-such-model is not in the workload chain")
        else:
            follower.acknowledge(change, "applied")
    assert follower.new_changes() == []
    catch_up_all(store, settings)
    statuses = {s.change.id: s for s in change_statuses(store.con, channel)}
    assert statuses[review.id].state == "applied" and statuses[review.id].agent == "husky"
    assert statuses[failover.id].state == "refused"
    assert statuses[failover.id].reason == "no-such-model is not in the workload chain"


def test_controls_lay_budgets_over_the_config(settings) -> None:
    channel = ControlChannel(settings.control_dir)
    channel.set_budget("cerebras", daily_tokens=1_000_000)
    channel.set_budget("all", daily_usd=12.5)
    merged = with_controls(settings, channel.read().controls)
    assert merged.daily_token_limits["cerebras"] == 1_000_000
    assert merged.budgets["all"].daily_usd == 12.5
    assert settings.daily_token_limits["cerebras"] == 24_000_000  # the original is untouched


def test_budget_policy_switches_to_review_only_then_blocks(tmp_path: Path) -> None:
    channel = ControlChannel(tmp_path)
    channel.set_budget("cerebras", daily_tokens=10_000)
    channel.set_enforcement(100, "review-only")
    channel.set_enforcement(150, "block")
    follower = ControlFollower(tmp_path, agent="husky")
    follower.record_usage(provider="cerebras", model="glm-4.7", input_tokens=4_000, output_tokens=500)
    assert follower.review_only() == (False, "")
    follower.record_usage(provider="cerebras", model="glm-4.7", input_tokens=6_000, output_tokens=500)
    on, why = follower.review_only()
    assert on and "cerebras budget at 110%" in why
    assert follower.may_request()[0]
    follower.record_usage(provider="cerebras", model="glm-4.7", input_tokens=5_000, output_tokens=0)
    allowed, why = follower.may_request()
    assert not allowed and "160%" in why
    # A new process counts what is already in the ledger.
    assert ControlFollower(tmp_path).budget_use() == follower.budget_use()


def test_month_budget_counts_the_local_month_whatever_month_the_utc_stamp_says(tmp_path: Path) -> None:
    """Auckland is 13 hours ahead in November: the first hour of its month is stamped with the
    last day of the month before in UTC, and the last day of its month partly with the next."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from ledger.agent.writer import LedgerWriter, usage_record
    from ledger.settings import load_settings

    zone = ZoneInfo("Pacific/Auckland")
    first = dt.datetime.now(zone).date().replace(day=1)
    next_first = (first + dt.timedelta(days=31)).replace(day=1)

    def utc(day: dt.date, hour: int, minute: int) -> str:
        local = dt.datetime.combine(day, dt.time(hour, minute), zone)
        return local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    ledger = tmp_path / "usage.jsonl"
    writer = LedgerWriter(ledger)
    for ts, usd in ((utc(first, 0, 30), 7.0),  # this month locally, last month in UTC
                    (utc(first - dt.timedelta(days=1), 23, 30), 100.0),  # last month locally
                    (utc(next_first, 0, 30), 1000.0)):  # next month locally, this month in UTC
        writer.append(usage_record(provider="cerebras", model="glm-4.7", input_tokens=1, output_tokens=1,
                                   ts=ts, cost_usd=usd))
    ControlChannel(tmp_path).set_budget("all", monthly_usd=70)
    settings = load_settings(ledgers=[ledger], db=tmp_path / "store.duckdb", timezone="Pacific/Auckland")
    follower = ControlFollower(tmp_path, agent="husky", ledger=ledger, settings=settings)
    assert follower.budget_use() == [("all", 10.0, "7.00 of 70.00 USD this month")]


# -- the CLI -----------------------------------------------------------------------------------

def packwatch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])


def test_cli_changes_and_shows_the_controls(tmp_path: Path, ledger: Path) -> None:
    where = ["--ledger", str(ledger), "--db", str(tmp_path / "store.duckdb")]
    for args in (["review-only", "on"], ["budget", "--provider", "cerebras", "--daily-tokens", "2000000"],
                 ["budget", "--daily-usd", "25", "--monthly-usd", "400"],
                 ["failover", "claude-opus-4-5", "--to", "claude-sonnet-4-5"], ["compact"],
                 ["enforce", "75", "block"]):
        proc = packwatch("control", *args, *where)
        assert proc.returncode == 0, proc.stderr
        assert "pending until the agent acknowledges it" in proc.stdout
    controls = json.loads((ledger.parent / "control.json").read_text())
    assert controls["review_only"] is True
    assert controls["budgets"]["cerebras"]["daily_tokens"] == 2_000_000
    assert controls["budgets"]["all"] == {"daily_usd": 25.0, "monthly_usd": 400.0, "daily_tokens": None}
    assert controls["failovers"] == {"claude-opus-4-5": "claude-sonnet-4-5"}
    assert controls["enforcement"]["75"] == "block"
    ControlFollower(ledger.parent, agent="husky").acknowledge(
        next(c for c in ControlFollower(ledger.parent).new_changes() if c.key == "review_only"), "applied")
    shown = json.loads(packwatch("control", "show", "--json", *where).stdout)
    assert shown["controls"]["review_only"] is True
    states = {c["change"]["key"]: c["state"] for c in shown["changes"]}
    assert states["review_only"] == "applied" and states["compaction"] == "pending"
    text = packwatch("control", "show", *where).stdout
    assert "review-only: ON" in text and "claude-opus-4-5 -> claude-sonnet-4-5" in text
    proc = packwatch("control", "failover", "claude-opus-4-5", "--clear", *where)
    assert proc.returncode == 0 and json.loads((ledger.parent / "control.json").read_text())["failovers"] == {}


@pytest.mark.parametrize("args, message", [
    (["budget", "--daily-usd", "-5"], "-5 is below 0"),
    (["budget", "--daily-usd", "inf"], "'inf' is not a finite amount"),
    (["budget", "--monthly-usd", "nan"], "'nan' is not a finite amount"),
    (["budget", "--daily-usd", "1e309"], "not a finite amount"),
    (["budget"], "at least one of"),
    (["failover", "cerebras", "--clear"], "no failover is forced for cerebras"),
    (["enforce", "0", "warn"], "percentage"),
])
def test_cli_refuses_bad_values_in_one_line(tmp_path: Path, ledger: Path, args: list[str], message: str) -> None:
    proc = packwatch("control", *args, "--ledger", str(ledger))
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert not (ledger.parent / "control.json").exists()


def test_cli_show_warns_about_a_corrupt_file(tmp_path: Path, ledger: Path) -> None:
    ledger.parent.mkdir(parents=True)
    (ledger.parent / "control.json").write_text("{not json")
    proc = packwatch("control", "show", "--ledger", str(ledger), "--db", str(tmp_path / "s.duckdb"))
    assert proc.returncode == 0
    assert "corrupt" in proc.stderr and "review-only: off" in proc.stdout


def test_the_demo_pack_obeys_the_controls(tmp_path: Path) -> None:
    import datetime as dt

    from dashboard.demo.obey import PackControls
    from dashboard.demo.pack import PackSimulator

    sim = PackSimulator(tmp_path, seed=3)
    channel = ControlChannel(tmp_path)
    pack = PackControls(sim)
    review = channel.set_review_only(True)
    failover = channel.set_failover("glm-4.7", "claude-haiku-4-5")
    compact = channel.request_compaction()
    unknown = channel.set_failover("gemini-2.5-pro", "gpt-9")
    before = sum(a.context for a in sim.agents)
    pack.follow()  # between requests: every change is acknowledged before the next request
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    acks = {e["detail"]["control_id"]: e["detail"]["result"] for e in events if e["kind"] == "control_ack"}
    assert acks == {review.id: "applied", failover.id: "applied", compact.id: "applied", unknown.id: "refused"}
    assert not (tmp_path / "usage.jsonl").exists()
    for _ in range(40):
        pack.follow()
        assert pack.may_request()
        pack.after_request(sim.request(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC).replace(tzinfo=None)))  # naive
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert len([e for e in events if e["kind"] == "control_ack"]) == 4  # each acknowledged once
    (compaction,) = [e for e in events if e["kind"] == "compaction"]
    assert compaction["detail"]["before_tokens"] == before > compaction["detail"]["after_tokens"]
    assert any(e["kind"] == "blocked" and e["detail"]["tool"] for e in events)
    usage = [json.loads(x) for x in (tmp_path / "usage.jsonl").read_text().splitlines()]
    coding = [u["model"] for u in usage if u.get("workload") == "coding" and not u.get("error")]
    assert coding and "glm-4.7" not in coding  # the coding dogs moved on along their chain
