"""The dashboard driven with Pilot: keys do what they say, data arrives on every screen."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label, Select, Static

from dashboard.app import PackwatchApp
from dashboard.screens.empty import EmptyScreen
from dashboard.screens.export import ExportModal
from dashboard.screens.help import HelpModal
from dashboard.screens.overview import OverviewScreen
from dashboard.screens.spend import SpendScreen
from ledger.settings import Settings, load_settings
from tests.support.pilot import (
    TZ,
    WIDE,
    append_request,
    control_file,
    frozen_clock,
    header_text,
    ledger_cost_by_provider,
    make_app,
    names_in,
    open_events,
    open_export,
    open_providers,
    open_spend,
    rendered,
    requests_today_in,
    strip_text,
    wait_for_day,
    wait_for_overview,
    wait_until,
    write_claude_today,
)

pytestmark = pytest.mark.anyio  # anyio's pytest plugin runs the async (Pilot) tests



async def test_panes_show_numbers_from_the_ledger(sample_settings: Settings, sample_ledger: Path) -> None:
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        assert isinstance(app.screen, OverviewScreen)
        assert f"{requests_today_in(sample_ledger):,} req today" in header_text(app)
        rankings = app.screen.query_one("#rankings-table", DataTable)
        assert app.overview is not None
        assert rankings.row_count == len(app.overview.rankings) >= 3
        assert app.screen.query_one("#circuits-table", DataTable).row_count >= 3


async def test_refresh_now_shows_an_appended_line(sample_settings: Settings, sample_ledger: Path) -> None:
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        before = requests_today_in(sample_ledger)
        append_request(sample_ledger)
        shown = app.overviews_shown
        await pilot.press("ctrl+r")
        await wait_for_overview(pilot, app, after=shown)
        assert f"{before + 1:,} req today" in header_text(app)


async def test_a_new_line_arrives_by_itself_when_live(sample_settings: Settings, sample_ledger: Path) -> None:
    app = make_app(sample_settings, live=True)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.pause(0.3)  # let the watcher start
        before = requests_today_in(sample_ledger)
        append_request(sample_ledger)
        for _ in range(100):
            if f"{before + 1:,} req today" in header_text(app):
                break
            await pilot.pause(0.05)
        assert f"{before + 1:,} req today" in header_text(app)


async def test_pause_holds_new_data_until_resumed(sample_settings: Settings, sample_ledger: Path) -> None:
    app = make_app(sample_settings, live=True)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        before = requests_today_in(sample_ledger)
        await pilot.press("p")
        assert "PAUSED" in str(app.screen.query_one("#modes", Label).render())
        append_request(sample_ledger)
        await pilot.press("ctrl+r")
        await pilot.pause(0.5)
        assert f"{before:,} req today" in header_text(app)
        shown = app.overviews_shown
        await pilot.press("p")
        await wait_for_overview(pilot, app, after=shown)
        assert f"{before + 1:,} req today" in header_text(app)
        assert "PAUSED" not in str(app.screen.query_one("#modes", Label).render())


async def test_help_opens_and_escape_closes(sample_settings: Settings) -> None:
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpModal)
        keys = str(app.screen.query_one("#help-keys", Static).render())
        for description in ("Pause", "Refresh", "Sort", "Quit"):
            assert description in keys
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_s_changes_the_ranking_order(sample_settings: Settings) -> None:
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        table = app.screen.query_one("#rankings-table", DataTable)

        def models() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        by_score = models()
        await pilot.press("s")  # score -> model (A to Z)
        assert models() == sorted(by_score)
        assert models() != by_score
        await pilot.press("s", "s")  # -> requests, most first
        requests = [int(str(table.get_row_at(i)[2]).replace(",", "")) for i in range(table.row_count)]
        assert requests == sorted(requests, reverse=True)


async def test_brackets_step_through_the_screens_and_tab_through_the_panes(sample_settings: Settings) -> None:
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        seen = []
        for _ in range(4):
            await pilot.press("right_square_bracket")
            seen.append(app.current_mode)
        await pilot.press("left_square_bracket")
        seen.append(app.current_mode)
        assert seen == ["providers", "events", "pack", "overview", "pack"]
        def focused_pane() -> str | None:
            node = app.focused
            while node is not None and node.id not in ("burn", "spend", "cache", "circuits"):
                node = node.parent
            return node.id if node is not None else None

        await pilot.press("o", "tab")
        assert focused_pane() == "burn"
        await pilot.press("tab")
        assert focused_pane() == "spend"
        await pilot.press("shift+tab")
        assert focused_pane() == "burn"


async def test_commands_come_from_the_bindings(sample_settings: Settings) -> None:
    from dashboard.commands import BindingCommands

    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        titles = [title for title, *_ in BindingCommands(app.screen)._commands()]
        for title in ("Help", "Pause", "Refresh", "Quit", "Sort", "Next", "Prev", "Agent", "Next pane", "Apply"):
            assert title in titles


async def test_missing_ledger_shows_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "usage.jsonl"
    settings = load_settings(ledgers=[missing], db=tmp_path / "store.duckdb", timezone=TZ)
    app = make_app(settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        assert isinstance(app.screen, EmptyScreen)
        text = str(app.screen.query_one("#empty-text", Static).render())
        assert str(missing) in text
        assert "packwatch demo" in text and "--ledger" in text


async def test_an_unopenable_store_is_a_notification(tmp_path: Path, sample_ledger: Path) -> None:
    not_a_store = tmp_path / "notes.duckdb"
    not_a_store.write_text("this is not a DuckDB database\n" * 100)
    settings = load_settings(ledgers=[sample_ledger], db=not_a_store, timezone=TZ)
    app = make_app(settings)
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(100):
            if app.store_problem:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any(str(not_a_store) in m for m in messages), messages
        assert isinstance(app.screen, EmptyScreen)
        await pilot.press("question_mark")  # still answering keys
        assert isinstance(app.screen, HelpModal)


async def test_a_filters_by_agent(sample_settings: Settings, sample_ledger: Path, tmp_path: Path) -> None:

    write_claude_today(Path(os.environ["HOME"]), 3)
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        ledger_today = requests_today_in(sample_ledger)
        assert f"{ledger_today + 3:,} req today" in header_text(app)
        assert app.overview.agents == ["code-puppy", "claude-code"]  # the agents found, not a fixed list
        seen = []
        for _ in range(3):  # all -> code-puppy -> claude-code -> all (no Codex logs: no Codex step)
            shown = app.overviews_shown
            await pilot.press("a")
            await wait_for_overview(pilot, app, after=shown)
            seen.append((str(app.screen.query_one("#modes", Label).render()), header_text(app).split(" req")[0]))
        assert seen == [("agent: code-puppy", f"{ledger_today:,}"), ("agent: claude-code", "3"),
                        ("", f"{ledger_today + 3:,}")]


async def test_the_agent_filter_reaches_spend_and_providers(sample_settings: Settings) -> None:
    """The header says ``agent: claude-code``: the Spend and Providers screens count only its rows too."""
    write_claude_today(Path(os.environ["HOME"]), 3)
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        for _ in range(2):  # code-puppy, then claude-code
            shown = app.overviews_shown
            await pilot.press("a")
            await wait_for_overview(pilot, app, after=shown)
        spend = await open_spend(pilot, app)
        today = spend.review.days[-1]
        assert today.requests == 3  # the pack's ledger rows are not counted
        await pilot.press("escape", "v")
        providers = app.screen
        await wait_until(pilot, lambda: providers.view is not None)
        # Claude Code's rows are this morning's: nothing in the last hour. The pack's cerebras circuit
        # (its own circuit events) and its requests belong to code-puppy, not to this scope.
        assert providers.view.providers == []
        await pilot.press("a")  # all agents again
        await wait_until(pilot, lambda: "cerebras" in {p.circuit.provider for p in providers.view.providers})


async def test_only_claude_code_installed_shows_todays_burn(tmp_path: Path) -> None:

    write_claude_today(Path(os.environ["HOME"]), 5)
    settings = load_settings(db=tmp_path / "store.duckdb", timezone=TZ)  # the default, absent ledger
    app = make_app(settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        assert isinstance(app.screen, OverviewScreen)
        assert "5 req today" in header_text(app)


async def test_yesterday_in_three_keys(spend_settings: Settings) -> None:
    """$ opens Spend, down moves to yesterday, enter shows its breakdown."""
    app = make_app(spend_settings)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_spend(pilot, app)
        await wait_for_day(pilot, screen, "Fri 20 Nov 2026")  # today first
        await pilot.press("down", "enter")
        pane = await wait_for_day(pilot, screen, "Thu 19 Nov 2026")
        text = rendered(pane.query_one("#breakdown-tables", Static))
        raw = ledger_cost_by_provider(spend_settings, dt.date(2026, 11, 19))
        assert f"{raw['cerebras']:,}" in text  # cerebras requests, counted from the ledger
        day = next(d for d in screen.review.days if d.date == dt.date(2026, 11, 19))
        assert day.requests == sum(raw.values())
        assert f"${day.cost_usd:,.2f}" in str(pane.border_title)
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_d_switches_between_30_and_90_days(spend_settings: Settings) -> None:
    app = make_app(spend_settings)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_spend(pilot, app)
        assert len(screen.review.days) == 30
        shown = screen.reviews_shown
        await pilot.press("d")
        for _ in range(200):
            if screen.reviews_shown > shown:
                break
            await pilot.pause(0.05)
        assert len(screen.review.days) == 90
        assert screen.query_one("#spend-days", DataTable).row_count == 90


async def test_export_writes_the_report(spend_settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "out" / "spend.md"
    target.parent.mkdir()
    app = make_app(spend_settings)
    async with app.run_test(size=WIDE) as pilot:
        modal = await open_export(pilot, app, target)
        modal.query_one("#export-format", Select).value = "md"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the modal to close")
        review = app.screen.review
    text = target.read_text()
    assert text.startswith("# packwatch report")
    total = sum(d.cost_usd for d in review.days)
    assert f"${total:,.2f}" in text  # the same 30 days the screen shows
    assert names_in(target.parent) == [target.name]


async def test_export_asks_before_overwriting(spend_settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "spend.html"
    target.write_text("keep me")
    app = make_app(spend_settings)
    async with app.run_test(size=WIDE) as pilot:
        modal = await open_export(pilot, app, target)
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert target.read_text() == "keep me"
        assert "exists" in str(modal.query_one("#export-status", Static).render())
        assert isinstance(app.screen, ExportModal)
        await pilot.press("ctrl+s")  # the confirm
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the modal to close")
    assert target.read_text().startswith("<!doctype html>")


async def test_export_cancel_leaves_no_file(spend_settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "exports" / "spend.json"
    target.parent.mkdir()
    app = make_app(spend_settings)
    async with app.run_test(size=WIDE) as pilot:
        await open_export(pilot, app, target)
        await pilot.press("escape")
        assert isinstance(app.screen, SpendScreen)
        await pilot.press("e")
        modal = app.screen
        modal.query_one("#export-path", Input).value = str(target)
        modal.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        # ctrl+s and escape in one tick: the worker thread starts only after this handler returns,
        # so the cancel is certain to land while the export runs (no race with a fast machine).
        modal.action_export()
        assert modal._cancel is not None
        modal.action_cancel()
        await wait_until(pilot, lambda: modal._cancel is None, "the export to end")
        assert "cancelled" in str(modal.query_one("#export-status", Static).render())
        assert isinstance(app.screen, ExportModal)
    assert names_in(target.parent) == []  # no report, no temporary file


async def test_export_bad_path_is_one_line(spend_settings: Settings, tmp_path: Path) -> None:
    app = make_app(spend_settings)
    async with app.run_test(size=WIDE) as pilot:
        modal = await open_export(pilot, app, tmp_path / "missing" / "r.html")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        status = str(modal.query_one("#export-status", Static).render())
        assert "cannot write" in status and "\n" not in status
        assert isinstance(app.screen, ExportModal)


async def test_r_confirms_then_turns_review_only_on_with_a_banner(sample_settings: Settings) -> None:
    from dashboard.screens.confirm import ConfirmModal
    from ledger.agent.follower import ControlFollower

    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert not (sample_settings.control_dir / "control.json").exists()
        await pilot.press("r", "y")
        await wait_until(pilot, lambda: "REVIEW-ONLY" in str(app.screen.query_one("#modes", Label).render()))
        assert control_file(sample_settings)["review_only"] is True
        assert "review-only on … pending" in strip_text(app)
        follower = ControlFollower(sample_settings.control_dir, agent="husky")
        for change in follower.new_changes():
            follower.acknowledge(change, "applied")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "review-only on ✓ applied" in strip_text(app))


async def test_b_sets_a_budget_and_refuses_a_bad_value(sample_settings: Settings) -> None:
    from dashboard.screens.budget import BudgetModal

    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.press("b")
        assert isinstance(app.screen, BudgetModal)
        app.screen.query_one("#daily-usd").value = "-4"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BudgetModal)
        assert "0 or more" in str(app.screen.query_one("#budget-error", Static).render())
        app.screen.query_one("#daily-usd").value = "30"
        await pilot.pause()
        assert "of $30.00" in str(app.screen.query_one("#budget-use", Static).render())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: (sample_settings.control_dir / "control.json").exists())
        assert control_file(sample_settings)["budgets"]["all"]["daily_usd"] == 30
        await wait_until(pilot, lambda: "budget all $30/day" in strip_text(app))


async def test_f_forces_the_next_model_in_the_chain_and_clears_it(sample_settings: Settings) -> None:
    from dashboard.screens.failover import FailoverModal

    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.press("f")
        assert isinstance(app.screen, FailoverModal)
        app.screen.query_one("#failover-source").value = "glm-4.7"
        await pilot.pause()
        assert app.screen.query_one("#failover-target").value == "claude-haiku-4-5"  # next in the coding chain
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: (sample_settings.control_dir / "control.json").exists())
        assert control_file(sample_settings)["failovers"] == {"glm-4.7": "claude-haiku-4-5"}
        await wait_until(pilot, lambda: app.control_state.controls.failovers != {})
        await pilot.press("f")
        app.screen.query_one("#failover-source").value = "glm-4.7"
        await pilot.pause()
        await pilot.click("#clear")
        await wait_until(pilot, lambda: control_file(sample_settings)["failovers"] == {})


async def test_c_requests_a_compaction_after_confirming(sample_settings: Settings) -> None:
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await pilot.press("c", "y")
        await wait_until(pilot, lambda: (sample_settings.control_dir / "control.json").exists())
        request = control_file(sample_settings)["compaction"]
        assert request["id"] and request["requested_at"]
        await wait_until(pilot, lambda: "compaction … pending" in strip_text(app))


async def test_x_applies_the_top_recommendations_action(sample_settings: Settings) -> None:
    from ledger.control.channel import ControlChannel

    ControlChannel(sample_settings.control_dir).set_budget("all", daily_usd=1)  # forces a budget recommendation
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        assert app.overview is not None
        top = next(r for r in app.overview.recommendations if r.action is not None)
        await pilot.press("x")
        assert top.action.label in str(app.screen.query_one("#confirm-question", Static).render())
        revision = control_file(sample_settings)["revision"]
        await pilot.press("y")
        await wait_until(pilot, lambda: control_file(sample_settings)["revision"] == revision + 1)


async def test_a_corrupt_control_file_is_a_notification(sample_settings: Settings) -> None:
    sample_settings.control_dir.mkdir(parents=True, exist_ok=True)
    (sample_settings.control_dir / "control.json").write_text("{oops")
    app = make_app(sample_settings)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        await wait_until(pilot, lambda: any("corrupt" in n.message for n in app._notifications))
        assert "unreadable" in strip_text(app)


async def test_providers_screen_shows_each_providers_circuit(probed_settings: Settings) -> None:
    from dashboard.screens.providers import ProvidersScreen

    app = make_app(probed_settings)
    async with app.run_test(size=WIDE) as pilot:
        await open_providers(pilot)
        screen = app.screen
        assert isinstance(screen, ProvidersScreen)
        table = screen.query_one("#providers-table", DataTable)
        providers = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert {"anthropic", "openrouter", "cerebras", "google"} <= set(providers)
        sources = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[3]) for i in range(table.row_count)}
        assert sources["cerebras"] == "agent" and sources["openrouter"] == "derived"
        table.focus()
        for _ in range(providers.index("openrouter")):
            await pilot.press("down")
        await pilot.pause()
        assert "openrouter" in str(screen.query_one("#provider-heading", Static).render())
        last = str(screen.query_one("#provider-last-error", Static).render())
        assert "probe http_5xx: 500 Internal Server Error" in last
        await pilot.press("o")
        assert isinstance(app.screen, OverviewScreen)


async def test_events_screen_filters_and_searches(probed_settings: Settings) -> None:
    from textual.widgets import Input, Select

    from dashboard.screens.events import EventsScreen

    app = make_app(probed_settings)
    async with app.run_test(size=WIDE) as pilot:
        await open_events(pilot)
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        table = screen.query_one("#events-table", DataTable)

        def column(index: int) -> set[str]:
            return {str(table.get_row_at(i)[index]) for i in range(table.row_count)}

        assert {"cache", "rate_limited", "circuit"} <= column(1)
        shown = screen.shown
        screen.query_one("#filter-kind", Select).value = "circuit"
        await wait_until(pilot, lambda: screen.shown > shown)
        assert column(1) == {"circuit"} and table.row_count > 0
        shown = screen.shown
        await pilot.press("slash")
        await pilot.press(*"husky")
        await wait_until(pilot, lambda: screen.shown > shown and screen.query_one(Input).value == "husky")
        await wait_until(pilot, lambda: column(3) == {"husky"})  # the subagent; its agent program:
        assert column(2) == {"code-puppy"} and column(1) == {"circuit"}
        shown = screen.shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.shown > shown and len(column(1)) > 1)
        assert screen.query_one(Input).value == "" and screen.query_one("#filter-kind", Select).value == Select.NULL


async def test_a_ledger_folder_that_appears_later_is_followed_at_once(tmp_path: Path) -> None:
    """The agent starts after packwatch: its ledger's folder does not exist yet when the dashboard opens."""
    ledger = tmp_path / "late" / "agent" / "usage.jsonl"
    settings = load_settings(ledgers=[ledger], db=tmp_path / "store.duckdb", timezone=TZ)
    app = PackwatchApp(settings, clock=frozen_clock, live=True)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot, app)
        ledger.parent.mkdir(parents=True)
        await pilot.pause(0.5)  # the folder first, as an agent makes it; its first line a moment later
        append_request(ledger)
        await wait_until(pilot, lambda: app.overview is not None and app.overview.requests_today == 1,
                         "the late ledger's line", seconds=15)
