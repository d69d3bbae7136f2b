"""Provider health probes from the dashboard: started once the store is open (live only), run by
httpx in the app's event loop with hard deadlines, their outcomes stored in a thread."""

from __future__ import annotations

import asyncio

from textual import work

from collectors import probes
from ledger.store import Store


class ProviderProbing:
    """Mixed into the app (which has ``settings``, ``store``, ``live`` and ``request_refresh``)."""

    _probing = False

    def _start_probes(self) -> None:
        """Once the store is open, probe the providers that have a key or an endpoint (live only)."""
        if self._probing or not self.live or self.store is None:
            return
        targets = probes.plan(self.settings.probes)
        if targets:
            self._probing = True
            self._probe(targets, self.store)

    @work(exclusive=True, group="probes", exit_on_error=False)
    async def _probe(self, targets: list[probes.ProbeTarget], store: Store) -> None:
        """httpx in the app's event loop never blocks the UI: each probe awaits with a hard deadline,
        and storing the outcomes runs in a thread."""

        async def record(results: list[probes.ProbeResult]) -> None:
            await asyncio.to_thread(store.record_probes, [r.row() for r in results])
            self.request_refresh(force=True)  # circuits and the Providers screen change

        await probes.ProbeRunner(targets, self.settings.probes).run(record)
