"""Running a program where only loopback is reachable: ``unshare -rn`` gives it a network namespace of
its own with nothing but ``lo`` (brought up first). A scripted model server the program talks to must
run inside the same namespace, so the whole run (server and program) is one command given here."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence


@functools.cache
def isolated() -> bool:
    """Whether this machine lets an unprivileged process make a network namespace."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    return probe.returncode == 0


def offline(argv: Sequence[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """``argv`` run with only loopback reachable (plainly, where namespaces are not allowed: the
    programs are configured for 127.0.0.1 either way)."""
    if isolated():
        argv = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "offline", *argv]
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kwargs)
