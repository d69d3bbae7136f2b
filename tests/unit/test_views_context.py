"""Context growth per session: prompts in order, the agent's compactions with what they saved, and
a halved prompt taken for a compaction where the agent recorded none."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from collectors.sources import catch_up_all
from ledger.agent.writer import LedgerWriter, event_record
from ledger.views.context import context_growth, recent_sessions
from tests.conftest import TZ, append, line

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo(TZ))


def test_prompts_grow_and_compactions_say_what_they_saved(store, settings, ledger) -> None:
    prompts = [5_000, 12_000, 20_000, 31_000, 7_000, 9_000]
    for i, prompt in enumerate(prompts):
        append(ledger, line(ts=f"2026-11-20T11:0{i}:00", provider="cerebras", model="glm-4.7", **{"in": prompt},
                            session="s-1"))
    append(ledger, line(ts="2026-11-20T11:30:00", provider="cerebras", model="glm-4.7", session="s-2",
                        **{"in": 40_000}))
    append(ledger, line(ts="2026-11-20T11:31:00", provider="cerebras", model="glm-4.7", session="s-2",
                        **{"in": 10_000}))
    LedgerWriter(ledger.parent / "events.jsonl").append(event_record(
        "compaction", ts="2026-11-20T11:03:30", agent="husky", session="s-1", before_tokens=31_500,
        after_tokens=6_000))
    catch_up_all(store, settings)
    growth = context_growth(store.cursor(), "s-1", NOW, {"cerebras": 18_000})
    assert [p.prompt_tokens for p in growth.points] == prompts and growth.provider == "cerebras"
    (compaction,) = growth.compactions
    assert (compaction.after_request, compaction.saved, compaction.source) == (4, 25_500, "agent")
    assert growth.first_over(18_000) == 3 and growth.budget == 18_000
    (derived,) = context_growth(store.cursor(), "s-2", NOW).compactions  # no event: the halved prompt
    assert (derived.after_request, derived.saved, derived.source) == (1, 30_000, "derived")
    sessions = recent_sessions(store.cursor(), NOW)
    assert [(s.session, s.requests, s.last_prompt, s.peak_prompt) for s in sessions] == [
        ("s-2", 2, 10_000, 40_000), ("s-1", 6, 9_000, 31_000)]
