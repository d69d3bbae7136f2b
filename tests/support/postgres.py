"""A real PostgreSQL for the tests: Debian's ``postgresql`` binaries, ``initdb`` on a temporary folder and
``pg_ctl`` on 127.0.0.1 at a free port, run as an unprivileged user when the tests run as root (the server
refuses root). Skips with a clear message only where the binaries are missing."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "packwatch"
PASSWORD = "pw-team-S3cret-9f2c71d"
"""The team role's password: the tests look for it in every log line, error, DuckDB file and report."""
TEST_OS_USER = "packwatch-test"


def binaries() -> Path | None:
    """The newest installed server's bin folder (``/usr/lib/postgresql/<major>/bin``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _os_user() -> tuple[list[str], int | None]:
    """The command prefix that runs a server binary as a non-root user, and that user's uid."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam(TEST_OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_OS_USER],
                       check=True, capture_output=True)
    uid = pwd.getpwnam(TEST_OS_USER).pw_uid
    return ["runuser", "-u", TEST_OS_USER, "--"], uid


@dataclass
class Postgres:
    bin: Path
    data: Path
    port: int
    prefix: list[str]
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/team"

    def url_with(self, password: str) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/team"

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args],
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._ctl("-w", "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start")

    def stop(self, mode: str = "fast") -> None:
        """``immediate``: the server dies as if killed (no checkpoint; open transactions are lost)."""
        self._ctl("-w", "-m", mode, "stop")

    def psql(self, sql: str) -> str:
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        out = subprocess.run([str(self.bin / "psql"), "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port),
                              "-U", USER, "-d", "team", "-c", sql], check=True, capture_output=True, text=True,
                             env=env, timeout=60)
        return out.stdout.strip()


def start_postgres(root: Path) -> Postgres:
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run installs it)")
    prefix, uid = _os_user()
    data, log = root / "pgdata", root / "pg.log"
    data.mkdir()
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if uid is not None:
        for p in (root, data, pwfile):
            os.chown(p, uid, -1)
        log.touch()
        os.chown(log, uid, -1)
    subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(pwfile),
                    "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=300)
    pg = Postgres(bin_dir, data, _free_port(), prefix, log)
    pg.start()
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", USER, "team"],
                   check=True, capture_output=True, env=env, timeout=60)
    return pg


@pytest.fixture(scope="session")
def postgres():
    root = Path(tempfile.mkdtemp(prefix="packwatch-pg-"))
    os.chmod(root, 0o755)
    pg = start_postgres(root)
    try:
        yield pg
    finally:
        try:
            pg.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def team_url(postgres: Postgres) -> str:
    """A fresh, empty team database for one test."""
    postgres.psql("DROP SCHEMA IF EXISTS packwatch CASCADE;")
    return postgres.url
