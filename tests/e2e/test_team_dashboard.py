"""The dashboard's data on the team (``packwatch --team``): ``TeamRefresher`` catches up this machine,
pushes, pulls every machine's rows into the cache and computes the overview over them; the machine filter
narrows every pane; the summary beside this machine's ledger (what its status line shows) stays its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from collectors.refresh import Refresher
from collectors.team_refresh import Team, TeamRefresher
from ledger.agent.where import SUMMARY_FILE
from ledger.scope import AgentScope
from ledger.settings import load_settings
from tests.conftest import TZ, append, line
from tests.support.cli import packwatch
from tests.support.postgres import postgres, team_url  # noqa: F401 (fixtures)


def machine(tmp_path: Path, name: str, n: int):
    ledger = tmp_path / name / "agent" / "usage.jsonl"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    append(ledger, "".join(line(ts=(now - dt.timedelta(minutes=i + 1)).isoformat(), **{"in": 1000 + i})
                           for i in range(n)))
    return load_settings(ledgers=[ledger], db=tmp_path / name / "store.duckdb", timezone=TZ)


def test_the_overview_counts_every_machine_and_filters_by_one(tmp_path: Path, team_url: str) -> None:  # noqa: F811
    laptop, desktop = machine(tmp_path, "laptop", 12), machine(tmp_path, "desktop", 7)
    other = TeamRefresher(desktop, Team(team_url, "desktop", "bob"))
    other.run(force=True)
    other.close()

    refresher = TeamRefresher(laptop, Team(team_url, "laptop", "alice"))
    try:
        view = refresher.run(force=True).overview
        assert refresher.problem is None
        assert view.requests_today == 19
        only = refresher.run(force=True, scope=dataclasses.replace(AgentScope(), machines=("desktop",))).overview
        assert only.requests_today == 7
        by_user = refresher.run(force=True, scope=dataclasses.replace(AgentScope(), users=("alice",))).overview
        assert by_user.requests_today == 12
        # While the dashboard holds the cache (and the store), a team report still answers, from memory
        # (the memory store knows no name: given as in the config, its rows are the same rows).
        proc = packwatch("--ledger", str(laptop.ledgers[0]), "--db", str(laptop.db), "report", "--team", team_url,
                         "--format", "json", env={"TZ": TZ, "PACKWATCH_TEAM__MACHINE": "laptop"})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["totals"]["requests"] == 19
    finally:
        refresher.close()
    assert not (laptop.control_dir / SUMMARY_FILE).exists()  # the team's numbers are not this machine's summary
    own = Refresher(laptop)
    try:
        assert own.run(force=True).overview.requests_today == 12  # this machine's own store: its rows alone
    finally:
        own.store.close()
