"""Where a failover should go, from what the store has seen: per workload, the models it used,
best ranked first. A real agent's models come from its own rows, never from the demo."""

from __future__ import annotations

from .rankings import ModelRank

ALL_MODELS = "models seen"


def failover_chains(workload_models: list[tuple[str, list[str]]], ranks: list[ModelRank]) -> dict[str, list[str]]:
    """Per workload, the models it used in the last day, best ranked first; then every ranked model
    under ``models seen`` (rows that name no workload: Claude Code, Codex, plain ledgers)."""
    order = {r.model: i for i, r in enumerate(ranks)}  # ranks come best first
    chains = {w: sorted(models, key=lambda m: (order.get(m, len(order)), m)) for w, models in workload_models}
    if ranks:
        chains[ALL_MODELS] = [r.model for r in ranks]
    return chains


def best_alternative(source: str, chains: dict[str, list[str]], providers: dict[str, str]) -> str | None:
    """The best-ranked model to move ``source`` (a model or a provider) to: in the first chain that
    holds it, the first model that is neither ``source`` nor on the provider ``source`` names."""
    for chain in chains.values():
        if any(m == source or providers.get(m) == source for m in chain):
            return next((m for m in chain if m != source and providers.get(m) != source), None)
    return None
