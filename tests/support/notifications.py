# ruff: noqa: F722, F821, N802, UP037, ASYNC240  (dbus-fast reads D-Bus signatures from string annotations)
"""A desktop notification service on a real session D-Bus (``org.freedesktop.Notifications``, the
freedesktop spec's methods, written with dbus-fast): each Notify call is appended to a JSON-lines file.

    python -m tests.support.notifications OUT.jsonl      # with DBUS_SESSION_BUS_ADDRESS set

It writes ``OUT.jsonl.ready`` once it owns the name.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method


class Notifications(ServiceInterface):
    def __init__(self, out: Path) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.out = out
        self.next_id = 0

    @method()
    def GetCapabilities(self) -> "as":  # type: ignore[name-defined]  # noqa: F821, N802, UP037
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # type: ignore[name-defined]  # noqa: F821, N802, UP037
        return ["packwatch-test", "packwatch", "1.0", "1.2"]

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s", body: "s",  # noqa: F821, N802, UP037
               actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":  # type: ignore[name-defined]  # noqa: F821, UP037
        self.next_id += 1
        urgency = hints.get("urgency")
        with self.out.open("a") as fh:
            fh.write(json.dumps({"app": app_name, "summary": summary, "body": body,
                                 "urgency": urgency.value if urgency is not None else None}) + "\n")
        return self.next_id

    @method()
    def CloseNotification(self, id: "u"):  # type: ignore[name-defined]  # noqa: F821, N802, A002, UP037, ANN201
        return None


async def main(out: Path) -> None:
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Notifications(out))
    await bus.request_name("org.freedesktop.Notifications")
    Path(f"{out}.ready").write_text("ready")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
