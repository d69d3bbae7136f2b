"""A new user points packwatch at a provider with a bad key: the circuit opens with the reason,
and no traceback, and no key, appears anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import append, line
from tests.support.cli import packwatch
from tests.support.loopback import FakeProvider
from tests.support.secrets import assert_nowhere_in

KEY = "sk-proj-BADKEY-9876543210zyxwvu"

pytestmark = pytest.mark.e2e


def test_a_bad_key_opens_the_circuit_without_a_traceback(tmp_path: Path, ledger: Path) -> None:
    server = FakeProvider()
    try:
        append(ledger, line())
        config = tmp_path / "config.toml"
        config.write_text(f'[probes.endpoints.openai]\nurl = "{server.url("/auth")}"\napi_key = "{KEY}"\n')
        args = ["--config", str(config), "--ledger", str(ledger), "--db", str(tmp_path / "data" / "store.duckdb")]
        outputs = []
        for _ in range(5):  # five failed probes in a row open the breaker
            proc = packwatch("collect", "--once", *args, check=True)
            outputs += [proc.stdout, proc.stderr]
        assert "openai auth (401)" in proc.stdout
        status = packwatch("status", *args)
        outputs += [status.stdout, status.stderr]
        assert status.returncode == 10, status.stderr  # a warning: a circuit is open
        assert "circuit openai: OPEN (probe auth: 401 Unauthorized: Incorrect API key provided: ****)" in status.stdout
        shown = packwatch("config", "--json", *args, check=True)
        outputs += [shown.stdout, shown.stderr]
        for text in outputs:
            assert "Traceback" not in text and KEY not in text
        assert (tmp_path / "data" / "store.duckdb").stat().st_size > 0
        assert_nowhere_in(tmp_path / "data", KEY)  # only the config file holds the key
        assert_nowhere_in(ledger.parent, KEY)
    finally:
        server.close()
