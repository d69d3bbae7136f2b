"""Provider health probes against real HTTP servers on 127.0.0.1 started by the tests."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.probes import ProbeRunner, ProbeTarget, plan, probe
from ledger.settings import ProbeEndpoint, ProbeSettings, load_settings
from ledger.store import Store
from tests.conftest import TZ
from tests.support.loopback import FakeProvider, closed_port
from tests.support.secrets import assert_nowhere_in

BAD_KEY = "sk-proj-LEAKED-0123456789abcdefghij"


@pytest.fixture
def server():
    s = FakeProvider()
    yield s
    s.close()


class FakeTime:
    """A monotonic clock the test moves by hand, and the wall clock that follows it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        return self.seconds

    def wall(self) -> dt.datetime:
        return dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=self.seconds)


def settings_for(**over) -> ProbeSettings:
    return ProbeSettings(**{"interval": 1, "timeout": 0.5, "concurrency": 8, "max_backoff": 60, **over})


def targets(server: FakeProvider, *paths: str, key: str | None = None) -> list[ProbeTarget]:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return [ProbeTarget(p.strip("/") or "root", server.url(p), headers, (key,) if key else ()) for p in paths]


async def one_round(runner: ProbeRunner):
    async with runner.client() as client:
        return await asyncio.wait_for(runner.round(client), 10)  # a round that hangs fails the test


# -- who is probed -----------------------------------------------------------------------------

def test_nothing_is_probed_without_a_key_or_an_endpoint() -> None:
    assert plan(ProbeSettings(), environ={}) == []
    assert plan(ProbeSettings(keys_from_environment=False), environ={"OPENAI_API_KEY": "sk-x"}) == []
    assert plan(ProbeSettings(endpoints={"openai": ProbeEndpoint(enabled=False)}),
                environ={"OPENAI_API_KEY": "sk-x"}) == []


def test_each_provider_gets_its_own_endpoint_and_auth_scheme() -> None:
    environ = {"OPENAI_API_KEY": "k1", "ANTHROPIC_API_KEY": "k2", "GOOGLE_API_KEY": "k3",
               "CEREBRAS_API_KEY": "k4", "OPENROUTER_API_KEY": "k5"}
    got = {t.provider: t for t in plan(ProbeSettings(), environ=environ)}
    assert got["openai"].url == "https://api.openai.com/v1/models"
    assert got["openai"].headers["authorization"] == "Bearer k1"
    assert got["anthropic"].url == "https://api.anthropic.com/v1/models"
    assert got["anthropic"].headers["x-api-key"] == "k2"
    assert got["anthropic"].headers["anthropic-version"] == "2023-06-01"
    assert got["google"].url == "https://generativelanguage.googleapis.com/v1beta/models"
    assert got["google"].headers["x-goog-api-key"] == "k3"
    assert got["cerebras"].url == "https://api.cerebras.ai/v1/models"
    assert got["openrouter"].url == "https://openrouter.ai/api/v1/models"
    assert "k1" not in repr(got["openai"])  # a target printed in a log shows no key


def test_config_keys_and_explicit_endpoints() -> None:
    settings = ProbeSettings(endpoints={
        "anthropic": ProbeEndpoint(api_key=SecretStr("cfg-key")),
        "local": ProbeEndpoint(url="http://127.0.0.1:9/models"),  # no key: probed because asked
    })
    got = {t.provider: t for t in plan(settings, environ={})}
    assert got["anthropic"].headers["x-api-key"] == "cfg-key"
    assert "authorization" not in got["local"].headers and got["local"].url == "http://127.0.0.1:9/models"
    assert "cfg-key" not in str(settings) and "cfg-key" not in settings.model_dump_json()


# -- what a probe records --------------------------------------------------------------------------

@pytest.mark.anyio
async def test_every_kind_of_answer_is_classified(server: FakeProvider) -> None:
    clock = FakeTime()
    ts = targets(server, "/ok", "/429", "/500", "/auth", "/hang", "/close")
    ts.append(ProbeTarget("refused", f"http://127.0.0.1:{closed_port()}/models"))
    runner = ProbeRunner(ts, settings_for(), clock=clock.wall, monotonic=clock.monotonic)
    results = {r.provider: r for r in await one_round(runner)}
    got = {name: (r.status, r.error_class) for name, r in results.items()}
    assert got == {"ok": (200, None), "429": (429, "rate_limited"), "500": (500, "http_5xx"),
                   "auth": (401, "auth"), "hang": (None, "timeout"), "close": (None, "closed"),
                   "refused": (None, "refused")}
    assert results["500"].message == "500 Internal Server Error: upstream exploded"
    assert results["hang"].message == "no answer within 0.5 s"
    assert results["ok"].latency_ms is not None and results["ok"].ts == clock.wall()


@pytest.mark.anyio
async def test_a_probe_that_throws_is_a_failure_not_a_crash(server: FakeProvider) -> None:
    clock = FakeTime()
    broken = [ProbeTarget("broken", "http://127.0.0.1:notaport/models"), ProbeTarget("nohost", "ftp:/x")]
    async with ProbeRunner([], settings_for()).client() as client:
        results = [await probe(client, t, 0.5, clock.wall) for t in broken]
    assert [r.error_class for r in results] == ["other", "other"]
    assert all(r.message for r in results)


@pytest.mark.anyio
async def test_a_failing_provider_is_probed_less_often(server: FakeProvider) -> None:
    clock = FakeTime()
    runner = ProbeRunner(targets(server, "/ok", "/500"), settings_for(interval=1, max_backoff=4),
                         clock=clock.wall, monotonic=clock.monotonic)
    async with runner.client() as client:
        for second in range(12):
            clock.seconds = second
            await runner.round(client)
    # healthy: every second. failing: 0, then +2, +4, then capped at +4: 0, 2, 6, 10
    assert server.hits == {"/ok": 12, "/500": 4}
    assert [runner.delay(n) for n in range(4)] == [1, 2, 4, 4]


@pytest.mark.anyio
async def test_the_concurrency_limit_holds(server: FakeProvider) -> None:
    ts = [ProbeTarget(f"p{i}", server.url("/slow")) for i in range(6)]
    runner = ProbeRunner(ts, settings_for(concurrency=2, timeout=5))
    results = await one_round(runner)
    assert [r.error_class for r in results] == [None] * 6
    assert server.most_in_flight == 2 and runner.most_in_flight == 2


@pytest.mark.anyio
async def test_keys_never_reach_the_store(server: FakeProvider, tmp_path: Path) -> None:
    """The 401 body echoes the key; the URL carries one too. Neither may land in the file."""
    clock = FakeTime()
    leaky = [ProbeTarget("openai", server.url("/auth") + f"?key={BAD_KEY}", {"authorization": f"Bearer {BAD_KEY}"},
                         (BAD_KEY,))]
    runner = ProbeRunner(leaky, settings_for(), clock=clock.wall, monotonic=clock.monotonic)
    (result,) = await one_round(runner)
    assert result.error_class == "auth" and result.status == 401
    assert result.message == "401 Unauthorized: Incorrect API key provided: ****"
    assert result.endpoint == server.url("/auth")  # no query string
    store = Store.open(load_settings(db=tmp_path / "store.duckdb", timezone=TZ))
    store.record_probes([result.row()])
    assert store.con.execute("SELECT count(*) FROM probes WHERE error_class = 'auth'").fetchall() == [(1,)]
    store.close()
    assert_nowhere_in(tmp_path, BAD_KEY)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
