"""The report as a typed model: built once (``build.build_report``), rendered by every format.

Field order is output order: ``to_json`` dumps the model as it stands, so the JSON shape of
DESIGN.md (``timezone``, ``days``, ``models``, ``rejected_lines``) and the keys added after it stay
where they are, byte for byte.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

NAMED_UNPRICED = 10  # the prices line names this many unpriced models (it is on every CSV row)
COST_DECIMALS = 6  # micro-dollars: stable across runs (float sums may differ in the 15th digit)


def cost(value: object) -> float:
    return round(float(value or 0), COST_DECIMALS)


class Counts(BaseModel):
    """What every grouping of requests adds up."""

    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    """Part of ``output_tokens`` (never added on top)."""
    cost_usd: float = 0.0
    unpriced_requests: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens


class _Day(BaseModel):
    date: str


class DayRow(Counts, _Day):
    """One local day (``date``: YYYY-MM-DD)."""


class _Provider(BaseModel):
    provider: str | None = None


class ProviderRow(Counts, _Provider):
    pass


class _Agent(BaseModel):
    agent: str
    """The agent program (``code-puppy`` for the ledgers, ``claude-code``, ``codex``, ...)."""


class AgentRow(Counts, _Agent):
    pass


class MachineRow(Counts):
    machine: str
    """The machine a team row came from (``--machine`` of its push)."""


class UserRow(Counts):
    user: str
    """The user who pushed a team row."""


class _Subagent(BaseModel):
    agent: str
    subagent: str | None = None
    """Who inside the agent made the requests (a pack member, a Claude Code subagent); None: the
    agent itself."""


class SubagentRow(Counts, _Subagent):
    pass


class _Session(BaseModel):
    session: str | None = None
    agent: str


class SessionRow(Counts, _Session):
    first_seen: str | None = None
    last_seen: str | None = None


class ModelRow(BaseModel):
    model: str
    provider: str
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0
    cost_usd: float
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


class PricesUsed(BaseModel):
    """What priced this report: the genai-prices snapshot and the user's overrides and aliases."""

    genai_prices_version: str
    overrides: dict[str, dict[str, Any]]
    model_aliases: dict[str, str]
    provider_aliases: dict[str, str]


class BudgetUsed(BaseModel):
    daily_usd: float | None = None
    monthly_usd: float | None = None


class UnpricedModel(BaseModel):
    provider: str
    model: str
    requests: int


class BlockRow(BaseModel):
    """One estimated 5-hour block of a subscription agent (ccusage's ``blocks``): what it cost."""

    agent: str
    start: str
    end: str
    requests: int
    tokens: int
    cost_usd: float
    active: bool


class Report(BaseModel):
    timezone: str
    days: list[DayRow]
    models: list[ModelRow]
    rejected_lines: int
    since: str | None
    until: str | None
    generated_at: str
    by: str
    totals: Counts
    prices: PricesUsed
    budget: BudgetUsed
    unpriced_models: list[UnpricedModel]
    providers: list[ProviderRow]
    agents: list[AgentRow]
    subagents: list[SubagentRow]
    top_sessions: list[SessionRow]
    sessions: list[SessionRow] | None = None
    """Every session, only when the report is grouped by session."""
    blocks: list[BlockRow] = []
    """Cost per 5-hour block for the subscription agents (Claude Code, Codex), oldest first."""
    machines: list[MachineRow] | None = None
    """On a team cache (``--team``): per machine."""
    users: list[UserRow] | None = None
    """On a team cache: per user."""

    def plain(self) -> dict[str, Any]:
        """The report as JSON-ready data (``sessions`` only when it was asked for)."""
        skip = {k for k in ("sessions", "machines", "users") if getattr(self, k) is None}
        return self.model_dump(mode="json", exclude=skip)

    @property
    def all_sessions(self) -> list[SessionRow]:
        return self.sessions if self.sessions is not None else self.top_sessions

    def unpriced_by_model(self) -> dict[tuple[str, str], int]:
        return {(u.provider, u.model): u.requests for u in self.unpriced_models}

    def prices_line(self) -> str:
        """One line, without commas (it is also a CSV column): what priced the report."""
        text = f"genai-prices {self.prices.genai_prices_version}"
        if self.prices.overrides:
            text += "; overrides: " + " ".join(self.prices.overrides)
        if self.unpriced_models:
            named = " ".join(f"{u.provider}/{u.model}" for u in self.unpriced_models[:NAMED_UNPRICED])
            more = len(self.unpriced_models) - NAMED_UNPRICED
            text += f"; unpriced: {named}" + (f" and {more:,} more" if more > 0 else "")
        return text

    def summary_line(self) -> str:
        t = self.totals
        span = f"{self.since or '…'} to {self.until or '…'}"
        return (f"{span}, local days in {self.timezone}: {t.requests:,} requests, {t.tokens:,} tokens, "
                f"${t.cost_usd:,.2f}; {t.unpriced_requests:,} unpriced requests, "
                f"{self.rejected_lines:,} rejected ledger lines.")
