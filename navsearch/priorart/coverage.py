"""Elements x references: which reference discloses what, and what nobody discloses (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

DISCLOSED, PARTLY, NOT_FOUND = "disclosed", "partly", "not found"


def status_for(score: float, disclosed: float, partly: float) -> str:
    if score >= disclosed:
        return DISCLOSED
    if score >= partly:
        return PARTLY
    return NOT_FOUND


@dataclass(frozen=True)
class Coverage:
    anticipating: tuple[str, ...]  # references disclosing every element
    novelty_candidates: tuple[int, ...]  # elements no reference discloses (not even partly)
    weakly_covered: tuple[int, ...]  # elements only partly disclosed somewhere
    covering_pairs: tuple[tuple[str, str], ...]  # two references that together disclose everything


def coverage(statuses: dict[str, Sequence[str]], n_elements: int, max_pairs: int = 10) -> Coverage:
    """``statuses[ref]`` lists the status of each element for that reference.

    >>> c = coverage({"A": ["disclosed", "not found"], "B": ["partly", "disclosed"]}, 2)
    >>> c.anticipating, c.novelty_candidates, c.covering_pairs
    ((), (), (('A', 'B'),))
    """
    refs = list(statuses)
    full = tuple(r for r in refs if all(s == DISCLOSED for s in statuses[r]))
    best = [
        max((statuses[r][i] for r in refs), key=[NOT_FOUND, PARTLY, DISCLOSED].index, default=NOT_FOUND)
        for i in range(n_elements)
    ]
    novel = tuple(i for i, s in enumerate(best) if s == NOT_FOUND)
    weak = tuple(i for i, s in enumerate(best) if s == PARTLY)
    pairs = []
    for a, b in combinations(refs, 2):
        if a in full or b in full:
            continue  # a single reference already covers it all
        if all(DISCLOSED in (statuses[a][i], statuses[b][i]) for i in range(n_elements)):
            pairs.append((a, b))
            if len(pairs) >= max_pairs:
                break
    return Coverage(full, novel, weak, tuple(pairs))
