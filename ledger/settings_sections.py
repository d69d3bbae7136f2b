"""The sections of packwatch's settings, one model each: ``[budgets]``, ``[sources]``, ``[probes]``, ``[hooks]``,
``[pack]``, ``[alerts]``, ``[team]`` and the price overrides. ``ledger.settings`` puts them together."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator


class PriceOverride(BaseModel):
    """USD per million tokens, for a model genai-prices does not know (or priced differently)."""

    model_config = {"extra": "forbid"}

    input_mtok: float = Field(ge=0, allow_inf_nan=False)
    """Uncached input tokens."""
    output_mtok: float = Field(ge=0, allow_inf_nan=False)
    """Output tokens."""
    cache_read_mtok: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Prompt-cache reads; defaults to the input price."""
    cache_write_mtok: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Prompt-cache writes; defaults to the input price."""


class Budget(BaseModel):
    """Spending limits for one scope (``all`` or a provider): USD per day, month and rolling hour, and
    USD and tokens per task."""

    model_config = {"extra": "forbid"}

    daily_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Per local day."""
    monthly_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Per calendar month."""
    hourly_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Per rolling 60 minutes."""
    task_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Per task: one session or run id (seed 003: max cost per task)."""
    task_tokens: int | None = Field(default=None, ge=0)
    """Tokens per task (input + output + cache; seed 003: max tokens per task)."""


SourceSwitch = bool | Literal["auto"]


class Sources(BaseModel):
    """Other agents' own logs, read beside the ledgers. Each switch is true (read, and say when the
    folder is missing), false (never) or ``auto`` (read when its folder exists)."""

    model_config = {"extra": "forbid"}

    claude_code: SourceSwitch = "auto"
    """Claude Code's session logs (``projects/**/*.jsonl``)."""
    claude_code_dirs: list[Path] = Field(default_factory=list)
    """Claude Code config folders, each holding ``projects/``; default: ``CLAUDE_CONFIG_DIR``
    (comma-separated), else ``~/.config/claude`` and ``~/.claude``."""
    codex: SourceSwitch = "auto"
    """Codex CLI's session logs (``sessions/YYYY/MM/DD/rollout-*.jsonl``)."""
    codex_home: Path | None = None
    """Codex's home folder; default: ``CODEX_HOME``, else ``~/.codex``."""
    gemini_cli: SourceSwitch = "auto"
    """Gemini CLI's chat recordings (``tmp/*/chats/``)."""
    gemini_cli_home: Path | None = None
    """Gemini CLI's folder (the one holding ``tmp/``); default: ``$GEMINI_CLI_HOME/.gemini``, else ``~/.gemini``."""
    opencode: SourceSwitch = "auto"
    """OpenCode's database (``opencode.db``) and legacy ``storage/message/`` files."""
    opencode_data: Path | None = None
    """OpenCode's data folder; default: ``$XDG_DATA_HOME/opencode``, else ``~/.local/share/opencode``
    (the database: ``OPENCODE_DB`` when set)."""
    qwen_code: SourceSwitch = "auto"
    """Qwen Code's chat recordings (``projects/*/chats/*.jsonl``)."""
    qwen_code_home: Path | None = None
    """Qwen Code's runtime folder; default: ``QWEN_RUNTIME_DIR``, else ``QWEN_HOME``, else ``~/.qwen``."""
    copilot_cli: SourceSwitch = "auto"
    """GitHub Copilot CLI's session events (``session-state/*/events.jsonl``) and OpenTelemetry file export."""
    copilot_cli_home: Path | None = None
    """Copilot CLI's folder; default: ``COPILOT_HOME``, else ``~/.copilot``."""
    copilot_cli_otel_files: list[Path] = Field(default_factory=list)
    """Copilot CLI's OpenTelemetry file exports; default: ``COPILOT_OTEL_FILE_EXPORTER_PATH`` when set."""

    @field_validator("claude_code_dirs", "copilot_cli_otel_files")
    @classmethod
    def _expand_dirs(cls, value: list[Path]) -> list[Path]:
        return [p.expanduser() for p in value]

    @field_validator("codex_home", "gemini_cli_home", "opencode_data", "qwen_code_home", "copilot_cli_home")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None


class ProbeEndpoint(BaseModel):
    """One provider's health probe. Setting ``url`` alone (no key) probes without credentials."""

    model_config = {"extra": "forbid"}

    url: str | None = None
    """The URL to GET; default: the provider's model-list endpoint."""
    api_key: SecretStr | None = None
    """The key to send; default: the provider's environment variable (e.g. OPENAI_API_KEY)."""
    auth: Literal["bearer", "x-api-key", "x-goog-api-key", "none"] | None = None
    """How the key is sent; default: the provider's own scheme."""
    enabled: bool = True
    """False: never probe this provider, even with a key in the environment."""


class ProbeSettings(BaseModel):
    """Provider health probes. Nothing is probed without a key or an explicit endpoint."""

    model_config = {"extra": "forbid"}

    interval: float = Field(default=60.0, ge=1)
    """Seconds between probes of a healthy provider."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds a probe may take in all (connect, send, answer) before it counts as a timeout."""
    concurrency: int = Field(default=4, ge=1)
    """Probes in flight at once."""
    max_backoff: float = Field(default=900.0, ge=1)
    """While a provider fails, the gap between its probes doubles up to this many seconds."""
    keys_from_environment: bool = True
    """Take keys from OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY/GOOGLE_API_KEY,
    CEREBRAS_API_KEY and OPENROUTER_API_KEY."""
    endpoints: dict[str, ProbeEndpoint] = Field(default_factory=dict)
    """Per provider (openai, anthropic, google, cerebras, openrouter, or any name with a url)."""


class HookSettings(BaseModel):
    """What ``packwatch hook`` refuses. The hook reads this table with ``tomllib`` (it loads no settings
    model), so only the config file sets it."""

    mutating_tools: dict[str, list[str]] = Field(default_factory=lambda: {
        "claude-code": ["Write", "Edit", "MultiEdit", "NotebookEdit", "Bash"], "codex": ["Bash", "apply_patch"]})
    """Per agent, the tools review-only refuses (every other tool goes through)."""


class PackSettings(BaseModel):
    """The pack governor (seed 000 §1.3) the Pack view measures against."""

    model_config = {"extra": "forbid"}

    limits: dict[str, int] = Field(default_factory=dict)
    """Concurrent agents per role, over the seed's (orchestrator 1, reasoner 2, coder 2, librarian 3,
    summarizer 2), e.g. ``[pack.limits] coder = 3``."""
    roles: dict[str, str] = Field(default_factory=dict)
    """Pack member -> role, over the seed's registry (``husky`` is a coder...)."""
    deadlock_timeout: float = Field(default=30.0, gt=0)
    """Seconds a queued agent waits for a slot before it is flagged stuck."""
    long_running: float = Field(default=600.0, gt=0)
    """Seconds after which a running agent is flagged long-running."""

    def limit_of(self, role: str) -> int | None:
        from .pack import ROLE_LIMITS

        return self.limits.get(role, ROLE_LIMITS.get(role))


class AlertSettings(BaseModel):
    """Where alerts go besides the dashboard's toast: a webhook and the desktop's notifications."""

    model_config = {"extra": "forbid"}

    webhook: SecretStr | None = None
    """A URL that takes a JSON POST (``{"text": ...}``: a Slack incoming webhook works); kept secret
    (``packwatch alerts`` shows its host only)."""
    desktop: SourceSwitch = "auto"
    """Desktop notifications (``desktop-notifier``): true, false, or ``auto`` (when the session has a
    notification service)."""
    bell: bool = False
    """Ring the terminal bell with each toast."""
    timeout: float = Field(default=5.0, gt=0)
    """Seconds one webhook attempt may take."""
    retries: int = Field(default=2, ge=0, le=10)
    """Webhook attempts after the first that failed."""
    anomaly_factor: float = Field(default=3.0, gt=1)
    """Spend is anomalous when the last hour's USD is this many times the hourly mean of the last 7 days."""

    @field_validator("webhook")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        try:
            parts = urlsplit(value.get_secret_value())
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:  # never the value itself: it is a secret
            raise ValueError("the webhook must be an http:// or https:// URL with a host")
        return value


class TeamSettings(BaseModel):
    """The team database (``--team`` and ``PACKWATCH_TEAM_URL`` win over it)."""

    model_config = {"extra": "forbid"}

    url: SecretStr | None = None
    """A libpq URL, e.g. ``postgresql://alice@db.example:5432/packwatch``; the password from the URL,
    PGPASSWORD or ~/.pgpass."""
    machine: str | None = None
    """This machine's name in the team database (default: the host name)."""
    retry_seconds: float = Field(default=30.0, gt=0)
    """While the team database is away, ``collect --push`` tries it again this often (collecting goes on)."""
