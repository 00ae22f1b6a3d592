"""Reciprocal rank fusion of several rankings: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Fused:
    key: int
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank


def rrf(
    rankings: Mapping[str, Sequence[int]],
    *,
    k: int = 60,
    weights: Mapping[str, float] | None = None,
    key_weights: Mapping[str, Mapping[int, float]] | None = None,
) -> list[Fused]:
    """Fuse rankings (lists of keys, best first) by weighted reciprocal rank;
    ``key_weights[name][key]``, where given, replaces that retriever's weight for one key.

    >>> [f.key for f in rrf({"dense": [1, 2, 3], "lexical": [3, 1]}, k=60)]
    [1, 3, 2]
    """
    if k <= 0:
        raise ValueError(f"k must be greater than 0. Currently, k is {k}")
    fused: dict[int, Fused] = {}
    for name, ranking in rankings.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        per_key = (key_weights or {}).get(name, {})
        for rank, key in enumerate(ranking, start=1):
            item = fused.setdefault(key, Fused(key, 0.0))
            if name in item.ranks:
                continue  # a retriever ranking a key twice counts once
            item.ranks[name] = rank
            item.score += per_key.get(key, w) / (k + rank)
    return sorted(fused.values(), key=lambda f: (-f.score, min(f.ranks.values()), f.key))
