"""Model prices from genai-prices (its offline snapshot), turned into rate rows SQL can join.

genai-prices prices one request at a time (~100 µs each); a million-row report cannot call it per
row. Within one price tier a request's cost is linear in its token counts, so for every distinct
(provider, model) we ask genai-prices for the per-token rate of each token kind in each tier, and
the store joins those rows. ``tests/test_pricing.py`` checks the SQL against ``calc_price``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version

from .settings import PriceOverride

# Code Puppy's provider names -> the provider genai-prices prices them under.
PROVIDER_ALIASES = {
    "claude": "anthropic",
    "claude_opus": "anthropic",
    "claude_sonnet": "anthropic",
    "claude_haiku": "anthropic",
    "gemini": "google",
    "gemini_flash": "google",
    "gemini_pro": "google",
    "vertex": "google",
    "codex": "openai",
    "chatgpt": "openai",
    "gpt": "openai",
    "grok": "x-ai",
    "xai": "x-ai",
    "glm": "zai",
}

NO_TIER = 1 << 62  # upper bound of the last tier


def genai_prices_version() -> str:
    return version("genai-prices")


@dataclass(frozen=True)
class RateRow:
    """Per-token USD rates that apply while min_input < total input tokens <= max_input."""

    provider: str
    model: str
    min_input: int
    max_input: int
    input_rate: float
    output_rate: float
    cache_read_rate: float
    cache_write_rate: float
    source: str
    cache_write_1h_rate: float
    """1-hour prompt-cache writes (Anthropic); genai-prices' 5-minute rate where it has no 1-hour one."""
    priced_provider: str
    """The provider the price is genai-prices' for (the model's own when ``provider`` is unknown to it)."""


def priced_provider(raw: str, extra: dict[str, str] | None = None) -> str:
    key = (raw or "").strip().lower()
    return (extra or {}).get(key) or PROVIDER_ALIASES.get(key, key)


def rate_rows(
    provider: str,
    model: str,
    overrides: dict[str, PriceOverride],
    model_aliases: dict[str, str],
) -> list[RateRow]:
    """Rate rows for one ledger (provider, model); empty when nobody knows its price."""
    override = overrides.get(f"{provider}/{model}") or overrides.get(model)
    if override is not None:
        return [_override_row(provider, model, override)]
    # Imported here: genai-prices' snapshot costs ~45 MB of memory, and a store that has priced
    # every model it holds never needs it (the dashboard's RSS target is 200 MB).
    from genai_prices import Usage, calc_price

    for ref, provider_id in _candidates(provider, model, model_aliases):
        try:
            calc = calc_price(Usage(input_tokens=1, output_tokens=1), ref, provider_id=provider_id)
        except LookupError:
            continue
        return _tier_rows(provider, model, ref, calc.provider.id, _thresholds(calc.model_price))
    return []


def _candidates(provider: str, model: str, aliases: dict[str, str]) -> list[tuple[str, str | None]]:
    ref = aliases.get(model, model)
    refs = [ref]
    prefix = f"{provider}-"
    if ref.lower().startswith(prefix):  # Code Puppy's "cerebras-glm-4.7" style names
        refs.append(ref[len(prefix):])
    if _known_provider(provider):
        # Never borrow another provider's price for a provider genai-prices knows.
        return [(r, provider) for r in refs]
    return [(r, None) for r in refs]


def _known_provider(provider: str) -> bool:
    from genai_prices import data_snapshot

    return any(p.id == provider for p in data_snapshot.get_snapshot().providers)


def _override_row(provider: str, model: str, o: PriceOverride) -> RateRow:
    per = 1e6
    write = (o.cache_write_mtok if o.cache_write_mtok is not None else o.input_mtok) / per
    return RateRow(
        provider, model, -1, NO_TIER,
        o.input_mtok / per,
        o.output_mtok / per,
        (o.cache_read_mtok if o.cache_read_mtok is not None else o.input_mtok) / per,
        write,
        "override",
        write,
        provider,
    )


def _thresholds(model_price: object) -> list[int]:
    from genai_prices.types import TieredPrices

    starts = {
        tier.start
        for value in vars(model_price).values()
        if isinstance(value, TieredPrices)
        for tier in value.tiers
    }
    return sorted(starts)


def _tier_rows(provider: str, model: str, ref: str, provider_id: str, starts: list[int]) -> list[RateRow]:
    from genai_prices import Usage, calc_price

    bounds = [-1, *starts, NO_TIER]
    rows = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        probe = max(low + 1, 1) if high == NO_TIER else high  # any total input inside (low, high]
        probe = max(probe, 4)

        def price(**usage: int) -> Decimal:
            return calc_price(Usage(**usage), ref, provider_id=provider_id).total_price  # noqa: B023

        base = price(input_tokens=probe)
        input_rate = base / probe
        half = probe // 2
        cache_read_rate = (price(input_tokens=probe, cache_read_tokens=half) - input_rate * (probe - half)) / half
        cache_write_rate = (price(input_tokens=probe, cache_write_tokens=half) - input_rate * (probe - half)) / half
        # genai-prices counts 1-hour writes inside cache_write_tokens (cache_write_1h_tokens is a part of it).
        cache_write_1h_rate = (price(input_tokens=probe, cache_write_tokens=half, cache_write_1h_tokens=half)
                               - input_rate * (probe - half)) / half
        output_rate = (price(input_tokens=probe, output_tokens=1_000_000) - base) / 1_000_000
        rows.append(RateRow(
            provider, model, low, high,
            float(input_rate), float(output_rate), float(cache_read_rate), float(cache_write_rate),
            f"genai-prices {genai_prices_version()}", float(cache_write_1h_rate), provider_id,
        ))
    return rows
