"""Generated hostile input through every reader and every command: whatever a file holds, nothing raises,
every ledger, event and quota line is either a row or a rejected line (exactly one of the two), a second pass
adds nothing, and a command given a hostile config or control file answers in one line, never with a
traceback."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.sources import catch_up_all
from dashboard.cli import main
from ledger.settings import Sources, load_settings
from ledger.store import Store

HOSTILE_TEXT = st.sampled_from(["\x1b[2J\x1b]0;PWNED\x07", "[red]x[/red]", "sk-ant-" + "a" * 30, "\r\n", "\x00",
                                "é" * 3, "😀", "'; DROP TABLE usage; --", "a" * 5000, ""]) | st.text(max_size=30)
NUMBERS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True),
                    st.booleans(), st.none(), HOSTILE_TEXT)
VALUES = st.recursive(st.one_of(NUMBERS, HOSTILE_TEXT), lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
FIELDS = ["ts", "provider", "model", "in", "out", "cache_read", "cache_write", "cost_usd", "error", "session",
          "request_id", "latency", "status", "cached", "kind", "agent", "detail", "type", "message", "usage",
          "timestamp", "payload", "sessionId", "requestId", "window", "window_minutes", "used_percent", "resets_at",
          "source", "session_cost_usd", "limit_id"]
TIMES = st.sampled_from(["2026-11-20T10:00:00", "2026-11-20T10:00:00Z", "294247-01-01T00:00:00", "nope", "",
                         "1969-01-01T00:00:00", "2026-11-20T10:00:00+05:30"])


@st.composite
def records(draw) -> bytes:
    """A line: mostly JSON objects with some of the fields readers look at, sometimes raw bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200)).replace(b"\n", b" ")
    obj = {name: draw(VALUES) for name in draw(st.lists(st.sampled_from(FIELDS), max_size=8, unique=True))}
    if draw(st.booleans()):
        obj["ts"] = obj["timestamp"] = draw(TIMES)
        obj["model"] = draw(HOSTILE_TEXT)
        obj["in"], obj["out"] = draw(NUMBERS), draw(NUMBERS)
    if draw(st.booleans()):
        obj["type"] = draw(st.sampled_from(["assistant", "event_msg", "session_meta", "turn_context"]))
        obj["message"] = {"id": draw(HOSTILE_TEXT), "model": draw(HOSTILE_TEXT), "usage": draw(VALUES)}
        obj["payload"] = {"type": "token_count", "info": draw(VALUES)}
        if draw(st.booleans()):  # Codex's rate limits (quota windows)
            obj["payload"]["rate_limits"] = {"limit_id": draw(HOSTILE_TEXT), "primary": {
                "used_percent": draw(NUMBERS), "window_minutes": draw(NUMBERS), "resets_at": draw(NUMBERS)}}
    if draw(st.booleans()):  # a status line's quota snapshot
        obj.update(agent=draw(st.sampled_from(["claude-code", "codex", "husky"]) | HOSTILE_TEXT),
                   window=draw(st.sampled_from(["five_hour", None]) | HOSTILE_TEXT), used_percent=draw(NUMBERS),
                   window_minutes=draw(NUMBERS), resets_at=draw(TIMES | NUMBERS))
    text = json.dumps(obj, allow_nan=True)
    return text.encode("utf-8", errors="surrogatepass")[: draw(st.sampled_from([None, None, None, 40]))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(lines=st.lists(records(), min_size=1, max_size=25))
def test_every_reader_survives_any_line(tmp_path_factory, lines: list[bytes]) -> None:
    root = tmp_path_factory.mktemp("hostile")
    data = b"".join(line + b"\n" for line in lines)
    ledger = root / "agent" / "usage.jsonl"
    for path in (ledger, ledger.with_name("events.jsonl"), ledger.with_name("quota.jsonl"),
                 root / "claude" / "projects" / "p" / "s.jsonl",
                 root / "codex" / "sessions" / "2026" / "11" / "20" / "rollout-x.jsonl", root / "errors.log"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    configured = load_settings(ledgers=[ledger], db=root / "s.duckdb", timezone="UTC", error_log=root / "errors.log")
    configured = configured.model_copy(update={"sources": Sources(claude_code=True, codex=True,
                                                                  claude_code_dirs=[root / "claude"],
                                                                  codex_home=root / "codex")})
    with Store.open(configured) as store:
        first = catch_up_all(store, configured)
        again = catch_up_all(store, configured)
        per_source = dict(store.con.execute("SELECT kind, sum(lines + rejected) FROM sources GROUP BY 1").fetchall())
    assert (again.rows, again.events, again.quota, again.rejected) == (0, 0, 0, 0)
    non_blank = sum(1 for line in lines if line.strip())
    assert per_source.get("usage", 0) == non_blank  # each ledger line: a row or a rejected line, once
    assert per_source.get("events", 0) == non_blank
    assert per_source.get("quota", 0) == non_blank
    assert first.errors == []


CONFIGS = st.one_of(st.text(max_size=200), st.sampled_from([
    "ledgers = 5", "[budgets.all]\ndaily_usd = -1", "timezone = 'Mars/Olympus'", "[probes]\ninterval = 0",
    "max_line_bytes = 'big'", "[prices.x]\ninput_mtok = 'free'", "[[ledgers]]", "ledgers = ['\x00']",
    "[budgts.all]\ndaily_usd = 5", "daily_token_limits = {cerebras = -5}", "\x1b[2J = 1"]))
CONTROLS = st.one_of(st.binary(max_size=200), st.sampled_from([
    b"{}", b"[]", b'{"review_only": "yes"}', b'{"budgets": {"all": {"daily_usd": -5}}}', b"null",
    b'{"enforcement": {"0": "block"}}', b'{"budgets": {"all": {"daily_usd": 1e999}}}', b'{"failovers": []}']))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=CONFIGS, control=CONTROLS)
def test_commands_answer_any_config_or_control_file_in_one_line(tmp_path_factory, config: str,
                                                               control: bytes) -> None:
    root = tmp_path_factory.mktemp("cli")
    ledger = root / "usage.jsonl"
    ledger.write_text('{"ts": "2026-11-20T10:00:00", "model": "m", "in": 1, "out": 1}\n')
    (root / "control.json").write_bytes(control)
    cfg = root / "config.toml"
    cfg.write_text(config, errors="replace")
    for args in (["status", "--json"], ["report", "--format", "json"], ["control", "show"]):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([*args, "--config", str(cfg), "--ledger", str(ledger), "--db", str(root / "s.duckdb")])
            except SystemExit as exc:  # argparse's own exit
                code = exc.code
        assert "Traceback" not in err.getvalue(), err.getvalue()
        assert code in (0, 1, 2, 10, 11), (args, code, err.getvalue())
        if code in (1, 2):
            assert err.getvalue().count("\n") <= 3, err.getvalue()
