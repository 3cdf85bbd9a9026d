"""A backend's own counters for a session's manifest entry: where a run's model time went."""

from __future__ import annotations

from typing import Any


def engine_stats(backend: Any) -> dict[str, Any] | None:
    """The backend's `stats` (decode calls and seconds, prefilled, generated and scored tokens), or None."""
    stats = getattr(backend, "stats", None)
    if not isinstance(stats, dict):
        return None
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in stats.items()}
