"""Durations summarised: percentiles (linear interpolation) and fixed histogram buckets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PERCENTILES = (50, 75, 90, 95)


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-th percentile of sorted values, interpolated between neighbours (as numpy does)."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Bucket:
    """Values in (low, high]; the first bucket starts at minus infinity, the last has no top."""

    low: float | None
    high: float | None
    count: int


@dataclass(frozen=True, slots=True)
class Distribution:
    """How long something took over a set of calls, in one unit (minutes or hours)."""

    count: int
    mean: float | None
    percentiles: dict[int, float | None]
    maximum: float | None
    buckets: tuple[Bucket, ...]


def distribution(values: Iterable[float], edges: Sequence[float]) -> Distribution:
    """Percentiles and counts per bucket bounded by `edges` (ascending)."""
    ordered = sorted(values)
    counts = [0] * (len(edges) + 1)
    for value in ordered:
        counts[_bucket_index(value, edges)] += 1
    bounds: list[float | None] = [None, *edges, None]
    return Distribution(
        count=len(ordered),
        mean=sum(ordered) / len(ordered) if ordered else None,
        percentiles={q: percentile(ordered, q) for q in PERCENTILES},
        maximum=ordered[-1] if ordered else None,
        buckets=tuple(Bucket(bounds[i], bounds[i + 1], count) for i, count in enumerate(counts)),
    )


def _bucket_index(value: float, edges: Sequence[float]) -> int:
    for index, edge in enumerate(edges):
        if value <= edge:
            return index
    return len(edges)
