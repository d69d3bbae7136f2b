"""packwatch settings: one model, three sources.

Precedence, lowest first: the TOML config file < ``PACKWATCH_*`` environment variables < CLI flags.
``explain()`` reports where each effective value came from (``packwatch config``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .secrets import KEY_ENV_VARS
from .settings_sections import (
    AlertSettings,
    Budget,
    HookSettings,
    PackSettings,
    PriceOverride,
    ProbeEndpoint,
    ProbeSettings,
    Sources,
    TeamSettings,
)

__all__ = ["AlertSettings", "Budget", "HookSettings", "PackSettings", "PriceOverride", "ProbeEndpoint",
           "ProbeSettings", "Settings", "Sources", "TeamSettings", "explain", "load_settings"]

APP = "packwatch"
DEFAULT_LEDGER = Path("~/.code_puppy/.codepuppy/usage.jsonl")


def default_error_log() -> Path:
    """Where Code Puppy writes errors.log: its state folder, which honours XDG_STATE_HOME only when
    that is set (code_puppy/config.py), else ``~/.code_puppy``."""
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) / "code_puppy" if state else Path("~/.code_puppy")
    return base / "logs" / "errors.log"


def default_config_path() -> Path:
    return Path(os.environ.get("PACKWATCH_CONFIG") or platformdirs.user_config_path(APP) / "config.toml")


def default_db_path() -> Path:
    return platformdirs.user_data_path(APP) / "packwatch.duckdb"


def local_timezone() -> str:
    """The machine's IANA zone name (honours ``TZ``); naive ledger times are read in it."""
    from tzlocal import get_localzone_name

    try:
        return get_localzone_name() or "UTC"
    except Exception:  # an unreadable /etc/localtime must not stop packwatch
        return "UTC"


class Settings(BaseSettings):
    """Everything packwatch can be told. Each field documents itself in ``packwatch config``."""

    model_config = SettingsConfigDict(
        # extra="forbid": a typo'd key in the config file ([budgts]) is an error, not silently nothing;
        # environment variables that name no setting are never read, so they cannot trip it.
        env_prefix="PACKWATCH_", env_nested_delimiter="__", extra="forbid", validate_default=True,
    )

    ledgers: Annotated[list[Path], NoDecode] = Field(default_factory=lambda: [DEFAULT_LEDGER])
    """Usage ledgers to follow: files, or folders searched for ``usage*.jsonl``."""
    db: Path = Field(default_factory=default_db_path)
    """The DuckDB store: a derived index of the ledgers (``packwatch rebuild`` recreates it)."""
    timezone: str = Field(default_factory=local_timezone)
    """IANA zone for naive timestamps and for what a "day" is."""
    max_line_bytes: int = Field(default=64 << 20, ge=1024)
    """Longer ledger lines are rejected (kept for inspection), never parsed; the memory bound of a read.
    A valid record is far shorter: its long texts are stored cut to 2,000 characters."""
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    """Price overrides keyed ``provider/model`` or ``model``; they win over genai-prices."""
    model_aliases: dict[str, str] = Field(default_factory=dict)
    """Ledger model name -> the name genai-prices knows it by (e.g. ``claude-haiku-3.5``)."""
    provider_aliases: dict[str, str] = Field(default_factory=dict)
    """Extra ledger provider -> priced provider mappings, on top of Code Puppy's own."""
    daily_token_limits: dict[str, int] = Field(default_factory=lambda: {"cerebras": 24_000_000})
    """Tokens per day each provider allows (Cerebras Code Pro: 24M)."""
    input_budgets: dict[str, int] = Field(default_factory=lambda: {"cerebras": 50_000, "anthropic": 180_000})
    """Largest prompt (tokens) each provider should get before compaction (seed 000 §3.1)."""
    budgets: dict[str, Budget] = Field(default_factory=dict)
    """USD budgets keyed ``all`` or a provider, e.g. ``[budgets.all] daily_usd = 50``."""
    alert_levels: list[int] = Field(default_factory=lambda: [50, 75, 90, 100])
    """Budget use (percent) at which spend turns info, warning, critical, exceeded."""
    poll_interval: float = Field(default=0.25, gt=0)
    """Seconds between catch-ups when file events are unavailable."""
    sources: Sources = Field(default_factory=Sources)
    """Other agents' own logs (Claude Code, Codex, Gemini CLI, OpenCode, Qwen Code, Copilot CLI), e.g.
    ``[sources] claude_code = false``, ``codex_home = "~/.codex"``."""
    error_log: Path = Field(default_factory=default_error_log)
    """Code Puppy's errors.log (rotated to errors.log.1); its errors become ``error`` events. A
    missing file is normal."""
    quota_block_tokens: dict[str, int] = Field(default_factory=dict)
    """Tokens a 5-hour block allows, per agent (``claude-code``, ``codex``), for the estimated window of an
    agent that reports none; default: its largest block of the last 30 days."""
    pack: PackSettings = Field(default_factory=PackSettings)
    """``[pack]``: concurrent agents per role (``[pack.limits]``), roles, deadlock timeout."""
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    """``[alerts]``: webhook URL, desktop notifications, terminal bell, retries, anomaly factor."""
    hooks: HookSettings = Field(default_factory=HookSettings)
    """``[hooks.mutating_tools]``: per agent, the tools review-only refuses."""
    team: TeamSettings = Field(default_factory=TeamSettings)
    """``[team]`` url and machine: the PostgreSQL database a team shares (``packwatch push``, ``--team``)."""
    probes: ProbeSettings = Field(default_factory=ProbeSettings)
    """Provider health probes: ``[probes]`` interval, timeout, concurrency, max_backoff and
    ``[probes.endpoints.<provider>]`` url, api_key, auth, enabled."""

    @field_validator("ledgers", mode="before")
    @classmethod
    def _split_ledgers(cls, value: Any) -> Any:
        if isinstance(value, str):  # PACKWATCH_LEDGERS="a.jsonl:b/" as well as a JSON list
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v for v in value.split(os.pathsep) if v]
        return value

    @field_validator("ledgers")
    @classmethod
    def _expand_ledgers(cls, value: list[Path]) -> list[Path]:
        return [p.expanduser() for p in value]

    @field_validator("db", "error_log")
    @classmethod
    def _expand_path(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Paris)") from exc
        return value

    def secrets(self) -> tuple[str, ...]:
        """Every API key packwatch knows of, so ``ledger.secrets.scrub`` can mask it anywhere."""
        keys = [e.api_key.get_secret_value() for e in self.probes.endpoints.values() if e.api_key]
        if self.alerts.webhook is not None:
            keys.append(self.alerts.webhook.get_secret_value())
        if self.probes.keys_from_environment:
            keys += [os.environ.get(name, "") for names in KEY_ENV_VARS.values() for name in names]
        return tuple(k for k in keys if k)

    @property
    def control_dir(self) -> Path:
        """control.json and events.jsonl live beside the first ledger."""
        first = self.ledgers[0]
        return first if first.is_dir() else first.parent


def load_settings(config_path: Path | None = None, **cli: Any) -> Settings:
    """Settings from the config file, the environment and ``cli`` (unset flags are ``None``)."""
    path = config_path or default_config_path()
    flags = {k: v for k, v in cli.items() if v is not None}

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource, **_: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            toml = TomlConfigSettingsSource(settings_cls, toml_file=path)
            return (init_settings, env_settings, toml)

    return _freeze(_Loaded(**flags), path, flags)


def _freeze(loaded: Settings, path: Path, flags: dict[str, Any]) -> Settings:
    settings = Settings.model_construct(**{k: getattr(loaded, k) for k in Settings.model_fields})
    object.__setattr__(settings, "_origin", _origins(path, flags))
    object.__setattr__(settings, "_config_path", path)
    return settings


def _origins(path: Path, flags: dict[str, Any]) -> dict[str, str]:
    file_values = TomlConfigSettingsSource(Settings, toml_file=path)() if path.exists() else {}
    env_values = EnvSettingsSource(Settings)()
    origin = {}
    for name in Settings.model_fields:
        if name in flags:
            origin[name] = "command line"
        elif name in env_values:
            origin[name] = f"environment (PACKWATCH_{name.upper()})"
        elif name in file_values:
            origin[name] = f"config file ({path})"
        else:
            origin[name] = "default"
    return origin


def explain(settings: Settings) -> list[tuple[str, Any, str, str]]:
    """(name, value, where it came from, what it means) for every setting."""
    from .field_docs import field_docstrings  # (only here: it reads the source)

    origin: dict[str, str] = getattr(settings, "_origin", {})
    meaning = field_docstrings(Settings)
    return [(name, getattr(settings, name), origin.get(name, "default"), meaning.get(name, ""))
            for name in Settings.model_fields]
