"""Patent families: hits whose family lists connect them are one invention (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from navsearch.types import DocumentMeta

T = TypeVar("T")


def family_groups(items: Sequence[T], doc_id_of, metas: Mapping[str, DocumentMeta]) -> list[list[T]]:  # type: ignore[no-untyped-def]
    """Group items (best first) whose documents' family lists connect them (union-find);
    each group keeps the items' order, and groups come in the order of their best item.

    >>> from navsearch.types import DocumentMeta
    >>> m = {d: DocumentMeta(d, "patent", None, d, "s", family=f) for d, f in
    ...      [("A", ("B",)), ("B", ()), ("C", ())]}
    >>> family_groups(["A", "C", "B"], lambda x: x, m)
    [['A', 'B'], ['C']]
    """
    ids = [doc_id_of(x) for x in items]
    parent = {d: d for d in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for d in ids:
        family = metas[d].family if d in metas else ()
        for member in {d, *family}:
            if member in owner:
                parent[find(d)] = find(owner[member])
            else:
                owner[member] = d
    groups: dict[str, list[T]] = {}
    for x, d in zip(items, ids):
        groups.setdefault(find(d), []).append(x)
    return list(groups.values())


def family_members(doc_ids: Sequence[str], metas: Mapping[str, DocumentMeta]) -> list[str]:
    """Every member the group's documents name (themselves and their family lists), sorted."""
    return sorted({m for d in doc_ids for m in [d, *(metas[d].family if d in metas else ())]})
