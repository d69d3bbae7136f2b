"""The light path's own reading of the world agrees with the settings model's, and decides as the
Code Puppy side does: the control folder, control.json's policies, budgets and quota windows
measured against the summary, review-only failing closed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ledger.agent import hooks, where
from ledger.agent.light_controls import LightControls, Unreadable, parse, read_controls
from ledger.agent.small_files import summary_path, write_json
from ledger.agent.steering import Steering
from ledger.control.channel import ControlChannel
from ledger.control.model import Controls
from ledger.settings import HookSettings, default_config_path, load_settings

NOW = dt.datetime(2026, 12, 15, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("setup", ["default", "env-file", "env-folder", "env-json", "env-empty", "toml", "toml-string",
                                   "xdg"])
def test_control_dir_is_the_settings_answer(setup: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    config = tmp_path / "config.toml"
    if setup == "env-file":
        monkeypatch.setenv("PACKWATCH_LEDGERS", f"{tmp_path}/a/usage.jsonl:{tmp_path}/b.jsonl")
    elif setup == "env-folder":
        monkeypatch.setenv("PACKWATCH_LEDGERS", str(folder))
    elif setup == "env-json":
        monkeypatch.setenv("PACKWATCH_LEDGERS", json.dumps([str(folder), "x.jsonl"]))
    elif setup == "env-empty":
        monkeypatch.setenv("PACKWATCH_LEDGERS", f"{folder}::")
    elif setup in ("toml", "toml-string"):
        value = f'["{tmp_path}/c/usage.jsonl"]' if setup == "toml" else f'"{folder}:{tmp_path}/d.jsonl"'
        config.write_text(f"ledgers = {value}\n")
        monkeypatch.setenv("PACKWATCH_CONFIG", str(config))
    elif setup == "xdg":  # no PACKWATCH_CONFIG: the config file comes from the user config folder
        monkeypatch.delenv("PACKWATCH_CONFIG")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        (tmp_path / "xdg" / "packwatch").mkdir(parents=True)
        (tmp_path / "xdg" / "packwatch" / "config.toml").write_text(f'ledgers = ["{folder}"]\n')
    assert where.config_path() == default_config_path()
    assert where.control_dir() == load_settings().control_dir


def test_the_control_dir_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKWATCH_LEDGERS", str(tmp_path / "a" / "usage.jsonl"))
    monkeypatch.setenv("PACKWATCH_CONTROL_DIR", str(tmp_path / "elsewhere"))
    assert where.control_dir() == tmp_path / "elsewhere"


def test_the_default_mutating_tools_are_the_settings_defaults() -> None:
    defaults = HookSettings().mutating_tools
    assert {agent: list(tools) for agent, tools in hooks.DEFAULT_MUTATING.items()} == defaults


@pytest.mark.parametrize("enforcement", [None, {50: "warn", 80: "block"}, {100: "block", 90: "review-only"}])
def test_policies_match_the_control_model(enforcement: dict | None) -> None:
    data = {} if enforcement is None else {"enforcement": enforcement}
    light, model = parse(json.loads(json.dumps(data))), Controls.model_validate(data)
    for percent in (None, 0, 49.9, 50, 79, 80, 89.99, 90, 99, 100, 250):
        assert light.policy_at(percent) == model.policy_at(percent), percent


def test_a_control_file_written_by_the_channel_reads_the_same(tmp_path: Path) -> None:
    channel = ControlChannel(tmp_path)
    channel.set_review_only(True)
    channel.set_budget("all", daily_usd=5, daily_tokens=100)
    channel.set_enforcement(80, "block")
    light = read_controls(tmp_path)
    model = channel.read().controls
    assert light.review_only and light.budgets == {"all": {"daily_usd": 5.0, "daily_tokens": 100}}
    assert light.enforcement == model.enforcement and light.change_ids == model.change_ids


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"review_only": "yes"}',
                                  '{"budgets": {"all": {"daily_usd": -1}}}',
                                  '{"enforcement": {"90": "explode"}}'])
def test_an_unusable_control_file_is_unreadable(tmp_path: Path, text: str) -> None:
    (tmp_path / "control.json").write_text(text)
    with pytest.raises(Unreadable):
        read_controls(tmp_path)


def _summary(folder: Path, **over) -> None:
    summary = {"version": 1, "date": NOW.date().isoformat(), "spend": {"all": {"cost_today": 4.0, "cost_month": 30.0},
               "anthropic": {"cost_today": 3.0, "cost_month": 20.0}, "cerebras": {"cost_today": 1.0}},
               "budgets": {"all": {"daily_usd": 10.0}, "cerebras": {"daily_usd": 1.0}},
               "quota": [{"agent": "claude-code", "window": "five_hour", "used_percent": 50.0,
                          "resets_at": (NOW + dt.timedelta(hours=1)).isoformat()}]}
    summary.update(over)
    write_json(summary_path(folder), summary)


def test_budgets_are_the_configs_with_control_json_laid_over(tmp_path: Path) -> None:
    _summary(tmp_path)
    steer = Steering("claude-code", tmp_path, now=NOW)
    use = {scope: percent for scope, percent, _ in steer.budget_use()}
    assert use == {"all budget": 40.0}  # cerebras' budget is not Claude Code's
    ControlChannel(tmp_path).set_budget("all", daily_usd=4, monthly_usd=100)
    ControlChannel(tmp_path).set_budget("anthropic", daily_usd=2)
    steer = Steering("claude-code", tmp_path, now=NOW)
    assert sorted(p for _, p, _ in steer.budget_use()) == [30.0, 100.0, 150.0]
    assert steer.policy()[0] == "review-only"  # the default enforcement at 100 %


def test_yesterdays_summary_counts_nothing_today(tmp_path: Path) -> None:
    _summary(tmp_path, date=(NOW - dt.timedelta(days=1)).date().isoformat(), quota=[])
    ControlChannel(tmp_path).set_budget("all", daily_usd=4, monthly_usd=30)
    steer = Steering("claude-code", tmp_path, now=NOW)
    assert sorted(p for _, p, _ in steer.budget_use()) == [0.0, 100.0]  # same month: the month still counts


def test_a_quota_window_reaches_the_block_policy_until_it_resets(tmp_path: Path) -> None:
    _summary(tmp_path, budgets={}, quota=[{"agent": "claude-code", "window": "five_hour", "used_percent": 100,
                                           "resets_at": (NOW + dt.timedelta(minutes=30)).isoformat()},
                                          {"agent": "codex", "window": "primary", "used_percent": 100}])
    ControlChannel(tmp_path).set_enforcement(100, "block")
    policy, why = Steering("claude-code", tmp_path, now=NOW).policy()
    assert policy == "block" and "five_hour quota" in why
    later = NOW + dt.timedelta(minutes=31)
    assert Steering("claude-code", tmp_path, now=later).policy() == (None, "")


def test_review_only_fails_closed_on_an_unreadable_file(tmp_path: Path) -> None:
    ControlChannel(tmp_path).set_review_only(True)
    steer = Steering("claude-code", tmp_path, now=NOW)
    assert steer.review_only()[0]
    steer.save()  # it remembers review-only was on
    (tmp_path / "control.json").write_text("{broken")
    on, why = Steering("claude-code", tmp_path, now=NOW).review_only()
    assert on and "cannot be read now" in why
    ControlChannel(tmp_path).set_review_only(False)  # the channel moves the corrupt file aside
    Steering("claude-code", tmp_path, now=NOW).save()
    (tmp_path / "control.json").write_text("{broken")
    assert not Steering("claude-code", tmp_path, now=NOW).review_only()[0]  # off when last seen: fails open


def test_every_change_is_acknowledged_once(tmp_path: Path) -> None:
    channel = ControlChannel(tmp_path)
    channel.set_review_only(True)
    channel.set_failover("anthropic", "claude-haiku-4-5")
    channel.request_compaction()
    steer = Steering("claude-code", tmp_path, now=NOW)
    assert steer.acknowledge(hooks.outcomes("claude-code")) == 3
    steer.save()
    assert Steering("claude-code", tmp_path, now=NOW).acknowledge(hooks.outcomes("claude-code")) == 0
    acks = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    results = {a["detail"]["action"]: (a["detail"]["result"], a["detail"].get("reason", "")) for a in acks}
    assert results["review-only"] == ("applied", "")
    assert results["failover"][0] == "refused" and "/model" in results["failover"][1]
    assert results["compact"][0] == "refused" and "/compact" in results["compact"][1]
    assert all(a["agent"] == "claude-code" for a in acks)


def test_light_controls_defaults_equal_the_models() -> None:
    assert LightControls().enforcement == Controls().enforcement
