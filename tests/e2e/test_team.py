"""The team store against a real PostgreSQL (Debian's server, started on a temporary folder on 127.0.0.1):
two machines push and the team report is their sum to the token and the cent; a server killed mid-push
loses and doubles nothing; a lost local record, two pushers at once, a rebuilt store and rows replaced
locally double nothing either; a wrong password or an unreachable server is one line, exit 2, with the
password nowhere (stderr, stdout, the DuckDB files, the reports); team budgets reach each machine's
controls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.settings import load_settings
from ledger.store import Store
from ledger.team.connect import TeamError
from ledger.team.push import push
from tests.conftest import TZ, append, line
from tests.e2e.test_serve import wait_for
from tests.support.cli import ROOT, packwatch
from tests.support.postgres import PASSWORD, Postgres, postgres, team_url  # noqa: F401 (fixtures)
from tests.support.secrets import assert_not_stored, assert_nowhere_in

MODELS = [("claude_sonnet", "claude-sonnet-4-5"), ("openai", "gpt-4o-mini"), ("cerebras", "qwen-3-coder-480b")]


def write_ledger(path: Path, n: int, *, seed: int, day: int = 20) -> None:
    text = []
    for i in range(n):
        provider, model = MODELS[(i + seed) % len(MODELS)]
        text.append(line(ts=f"2026-11-{day:02d}T{8 + i % 12:02d}:{i % 60:02d}:{(i * 7 + seed) % 60:02d}",
                         provider=provider, model=model, session=f"s{seed}-{i % 5}", **{
                             "in": 1000 + 37 * i + seed, "out": 50 + 11 * i, "cache_read": (i % 4) * 100,
                             "latency": 300 + i, "error": "boom" if i % 17 == 0 else None}))
    append(path, "".join(text))


def machine(tmp_path: Path, name: str, n: int, seed: int) -> dict[str, str]:
    folder = tmp_path / name
    write_ledger(folder / "agent" / "usage.jsonl", n, seed=seed)
    return {"ledger": str(folder / "agent" / "usage.jsonl"), "db": str(folder / "store.duckdb"), "name": name}


def run(m: dict[str, str], *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return packwatch("--ledger", m["ledger"], "--db", m["db"], *args, env={"TZ": TZ, **(env or {})})


def report_json(m: dict[str, str], *args: str) -> dict:
    proc = run(m, "report", "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def pg_totals(pg: Postgres) -> tuple[int, int]:
    if pg.psql("SELECT to_regclass('packwatch.usage') IS NULL") == "t":
        return 0, 0  # no push reached it yet
    rows, tokens = pg.psql("SELECT count(*), coalesce(sum(input_tokens + output_tokens), 0) FROM packwatch.usage"
                           ).split("|")
    return int(rows), int(tokens)


def test_two_machines_push_and_the_team_report_is_their_sum(tmp_path: Path, team_url: str) -> None:  # noqa: F811
    a, b = machine(tmp_path, "laptop", 240, 1), machine(tmp_path, "desktop", 170, 2)
    for m in (a, b):
        proc = run(m, "push", "--team", team_url, "--machine", m["name"])
        assert proc.returncode == 0, proc.stderr
        assert "pushed" in proc.stdout
    again = run(a, "push", "--team", team_url, "--machine", "laptop")
    assert "pushed 0 new rows" in again.stdout, again.stdout  # nothing twice
    renamed = run(a, "push", "--team", team_url, "--machine", "laptop-2")  # would count its rows twice
    assert renamed.returncode == 2 and "--machine laptop" in renamed.stderr, renamed.stderr

    alone = [report_json(m) for m in (a, b)]
    team = report_json(a, "--team", team_url)
    for key in ("requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
        assert team["totals"][key] == sum(r["totals"][key] for r in alone), key
    assert team["totals"]["cost_usd"] == pytest.approx(sum(r["totals"]["cost_usd"] for r in alone), abs=1e-9)
    assert round(team["totals"]["cost_usd"], 2) == round(sum(r["totals"]["cost_usd"] for r in alone), 2)
    assert team["totals"]["cost_usd"] > 0
    by_machine = {r["machine"]: r for r in team["machines"]}
    assert by_machine["laptop"]["requests"] == 240 and by_machine["desktop"]["requests"] == 170
    assert by_machine["laptop"]["cost_usd"] == pytest.approx(alone[0]["totals"]["cost_usd"], abs=1e-6)
    assert [u["requests"] for u in team["users"]] == [410]

    # The machine filter and --by machine on the cache; a second team report pulls nothing new.
    only = report_json(b, "--team", team_url, "--machine", "desktop")
    assert only["totals"]["input_tokens"] == alone[1]["totals"]["input_tokens"]
    csv = run(a, "report", "--team", team_url, "--by", "machine", "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines()[0].startswith("machine,requests")
    assert {r.split(",")[0] for r in csv.stdout.splitlines()[1:]} == {"laptop", "desktop"}
    header = csv.stdout.splitlines()[0].split(",")
    rows = [dict(zip(header, r.split(","), strict=False)) for r in csv.stdout.splitlines()[1:]]
    assert sum(int(r["requests"]) for r in rows) == team["totals"]["requests"]
    assert sum(int(r["input_tokens"]) for r in rows) == team["totals"]["input_tokens"]
    # status --team: the panes over the team's rows.
    status = run(a, "status", "--team", team_url, "--json")
    assert status.returncode in (0, 10, 11), status.stderr
    # Grouping by machine without a team: bad usage.
    alone_by = run(a, "report", "--by", "machine")
    assert alone_by.returncode == 2 and len(alone_by.stderr.splitlines()) == 1

    for out in (again, csv, status):
        assert PASSWORD not in out.stdout + out.stderr
    assert PASSWORD not in json.dumps(team)
    assert_nowhere_in(tmp_path, PASSWORD)
    for m in (a, b):
        assert_not_stored(Path(m["db"]), PASSWORD)
        assert_not_stored(Path(m["db"]).with_name("store.team.duckdb"), PASSWORD) if m is a else None


def _store(m: dict[str, str]) -> Store:
    settings = load_settings(ledgers=[Path(m["ledger"])], db=Path(m["db"]), timezone=TZ)
    store = Store.open(settings)
    from collectors.sources import catch_up_all

    catch_up_all(store, settings)
    return store


def local_totals(m: dict[str, str]) -> tuple[int, int]:
    """(rows, input + output tokens) of the machine's own store, caught up: what the team must hold of it."""
    store = _store(m)
    try:
        return tuple(store.con.execute("SELECT count(*), sum(input_tokens + output_tokens) FROM usage").fetchone())
    finally:
        store.close()


def test_the_server_killed_mid_push_loses_and_doubles_nothing(tmp_path: Path, postgres: Postgres,  # noqa: F811
                                                               team_url: str) -> None:  # noqa: F811
    a = machine(tmp_path, "laptop", 3000, 3)
    store = _store(a)
    local = store.con.execute("SELECT count(*), sum(input_tokens + output_tokens) FROM usage").fetchone()

    def kill_after_two_chunks(table: str, sent: int, total: int) -> None:
        if table == "usage" and sent == 1000:
            postgres.stop("immediate")  # as if the server died: no checkpoint, open transactions lost

    try:
        with pytest.raises(TeamError) as failed:
            push(store.con, team_url, machine="laptop", user="u", chunk_rows=500, progress=kill_after_two_chunks)
        assert PASSWORD not in str(failed.value) and "\n" not in str(failed.value)
    finally:
        postgres.start()
    assert pg_totals(postgres) == (1000, sum(int(x) for x in postgres.psql(
        "SELECT sum(input_tokens + output_tokens) FROM packwatch.usage").split()))
    done = push(store.con, team_url, machine="laptop", user="u", chunk_rows=500)
    assert done.stored["usage"] == 2000  # it resumed after the two committed chunks
    assert pg_totals(postgres) == tuple(local)

    # The local record lost (a crash between the server's commit and ours, or a rebuilt store): the
    # record is read back from the server's keys, and nothing is sent twice.
    store.con.execute("DELETE FROM team_pushed")
    store.con.execute("DELETE FROM meta WHERE key LIKE 'team_fp:%'")  # as a rebuilt store has neither
    assert push(store.con, team_url, machine="laptop", user="u").stored["usage"] == 0
    assert pg_totals(postgres) == tuple(local)

    # A row replaced here (an agent's fuller copy of a response): the old one leaves the team database.
    store.con.execute("UPDATE usage SET output_tokens = output_tokens + 5 WHERE rowid = (SELECT min(rowid) FROM usage)")
    replaced = push(store.con, team_url, machine="laptop", user="u")
    assert (replaced.stored["usage"], replaced.deleted["usage"]) == (1, 1)
    assert pg_totals(postgres) == (local[0], local[1] + 5)
    assert int(postgres.psql("SELECT count(*) FROM packwatch.tombstones")) == 1
    store.close()


def test_two_pushers_at_once_store_each_row_once(tmp_path: Path, postgres: Postgres,  # noqa: F811
                                                 team_url: str) -> None:  # noqa: F811
    a = machine(tmp_path, "one", 2500, 4)
    twin = {**a, "db": str(tmp_path / "twin.duckdb")}  # the same machine's ledger in a second store
    procs = [subprocess.Popen([sys.executable, "-m", "dashboard.cli", "--ledger", m["ledger"], "--db", m["db"],
                               "push", "--team", team_url, "--machine", "one"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for m in (a, twin)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert pg_totals(postgres) == local_totals(a)


def test_a_wrong_password_or_no_server_is_one_line_and_local_work_goes_on(tmp_path: Path, postgres: Postgres,  # noqa: F811
                                                                         team_url: str) -> None:  # noqa: F811
    a = machine(tmp_path, "laptop", 50, 5)
    wrong = postgres.url_with("not-" + PASSWORD)
    closed = f"postgresql://packwatch:{PASSWORD}@127.0.0.1:1/team"
    for url in (wrong, closed):
        for args in (["push", "--team", url], ["report", "--team", url], ["status", "--team", url],
                     ["collect", "--once", "--push", "--team", url]):
            proc = run(a, *args)
            assert proc.returncode == 2, (args, proc.stderr)
            problem = [x for x in proc.stderr.splitlines() if "team database" in x]
            assert len(problem) == 1, proc.stderr
            assert "Traceback" not in proc.stderr
            assert PASSWORD not in proc.stdout + proc.stderr
    assert "password authentication failed" in run(a, "push", "--team", wrong).stderr
    # The ledger was read all the same: the local report has every row.
    assert report_json(a)["totals"]["requests"] == 50
    # PGPASSWORD instead of a password in the URL; and the push catches up once the team is reachable.
    bare = team_url.replace(f":{PASSWORD}@", "@")
    proc = run(a, "push", "--team", bare, env={"PGPASSWORD": PASSWORD})
    assert proc.returncode == 0, proc.stderr
    assert pg_totals(postgres)[0] == 50
    assert_nowhere_in(tmp_path, PASSWORD)
    assert_not_stored(Path(a["db"]), PASSWORD)


def test_team_budgets_reach_every_machine_through_its_controls(tmp_path: Path, team_url: str) -> None:  # noqa: F811
    a, b = machine(tmp_path, "laptop", 10, 6), machine(tmp_path, "desktop", 10, 7)
    proc = run(a, "control", "budget", "--team", team_url, "--daily-usd", "12.5", "--daily-tokens", "900000")
    assert proc.returncode == 0, proc.stderr
    assert "team budget all" in proc.stdout
    proc = run(b, "push", "--team", team_url)
    assert proc.returncode == 0, proc.stderr
    assert "1 team budget changes applied" in proc.stdout
    controls = json.loads((Path(b["ledger"]).parent / "control.json").read_text())
    assert controls["budgets"]["all"]["daily_usd"] == 12.5
    assert controls["budgets"]["all"]["daily_tokens"] == 900000
    audit = (Path(b["ledger"]).parent / "controls.jsonl").read_text()
    assert "team: " in audit
    # Pushing again changes nothing; clearing the team budget clears it on the next push.
    assert "team budget" not in run(b, "push", "--team", team_url).stdout
    assert run(a, "control", "budget", "--team", team_url, "--clear").returncode == 0
    run(b, "push", "--team", team_url)
    controls = json.loads((Path(b["ledger"]).parent / "control.json").read_text())
    assert "all" not in controls["budgets"]


def test_collect_push_goes_on_while_the_server_is_down_and_catches_up(tmp_path: Path, postgres: Postgres,  # noqa: F811
                                                                      team_url: str) -> None:  # noqa: F811
    a = machine(tmp_path, "laptop", 20, 8)
    config = tmp_path / "config.toml"
    config.write_text("[team]\nretry_seconds = 0.5\n")
    postgres.stop("fast")
    stderr = tmp_path / "collect.err"
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "--ledger", a["ledger"], "--db", a["db"],
                             "--config", str(config), "collect", "--push", "--team", team_url], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=open(stderr, "w"), text=True, env={**os.environ, "TZ": TZ})
    try:
        ledger = Path(a["ledger"])
        wait_for(lambda: "cannot reach the team database" in stderr.read_text(), "the collector's warning")
        write_ledger(ledger, 15, seed=9, day=21)  # collected while the server is away
        wait_for(lambda: (line := proc.stdout.readline()) and "15 new rows" in line, "the batch of 15 rows")
        postgres.start()  # and nothing new is written: the collector tries again by itself
        wait_for(lambda: pg_totals(postgres)[0] >= 35,
                 "the rows collected while the server was away, in the team database")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
        err = stderr.read_text()
    assert err.count("cannot reach the team database") == 1, err  # warned once, not on every batch
    assert PASSWORD not in out + err
    # A last push sends whatever the collector had not: then the team holds every row once.
    assert run(a, "push", "--team", team_url).returncode == 0  # (under the name it pushed with: the host's)
    assert pg_totals(postgres) == local_totals(a)


def test_probes_reach_the_team_and_its_circuits(tmp_path: Path, postgres: Postgres,  # noqa: F811
                                               team_url: str) -> None:  # noqa: F811
    """A machine's provider probes are pushed once and pulled into every team cache: the team's circuits
    and Providers screen see a provider that failed its probes on another machine."""
    import datetime as dt

    a, b = machine(tmp_path, "laptop", 5, 1), machine(tmp_path, "desktop", 5, 2)
    now = dt.datetime.now(dt.UTC)
    store = _store(a)
    store.record_probes([(now - dt.timedelta(seconds=50 - 5 * i), "cerebras", "https://api.cerebras.ai/v1/models",
                          503, 120.0, "http_5xx", "service unavailable") for i in range(6)])
    store.close()
    for m in (a, b):
        assert run(m, "push", "--team", team_url, "--machine", m["name"]).returncode == 0
    assert run(a, "push", "--team", team_url, "--machine", "laptop").returncode == 0  # nothing twice
    assert postgres.psql("SELECT count(*), min(machine), max(machine) FROM packwatch.probes") == "6|laptop|laptop"

    status = run(b, "status", "--team", team_url, "--json")
    assert status.returncode in (0, 10, 11), status.stderr
    circuits = {c["provider"]: c for c in json.loads(status.stdout)["circuits"]}
    cerebras = circuits["cerebras"]
    assert (cerebras["probes_15m"], cerebras["failures_15m"]) == (6, 6), cerebras
    assert cerebras["state"] != "CLOSED" and cerebras["last_error"] == "probe http_5xx: service unavailable"
    alone = json.loads(run(b, "status", "--json").stdout)  # the desktop's own store has no probes
    assert all(c.get("probes_15m", 0) == 0 for c in alone["circuits"])
