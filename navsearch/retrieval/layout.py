"""Which document each chunk of a generation belongs to, in memory: what grouping the
fused candidates needs, so a search reads full rows only for the passages it shows.

A search fuses ~200 candidate passages and shows ~10 documents with a few passages each.
Reading every candidate's row and its document's metadata from the store to group them
cost ~15 ms at 100k chunks (SQLite on 2 cores), more than the search itself after
encoding. A generation never changes, so the (rowid -> document, kind) map and each
patent's family are read once, when the searcher first needs them (~1 s at 1M chunks),
and grouping is done from here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np


class Owner(NamedTuple):
    """What grouping needs of a candidate passage."""

    rowid: int
    doc_id: str
    kind: str


class DocKey(NamedTuple):
    """What grouping needs of a document (``family`` as family_groups reads it)."""

    doc_type: str
    family: tuple[str, ...]


class Layout:
    """The chunks of one generation: rowid -> (document, kind); document -> type, family."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str, str | None]]) -> None:
        rowids: list[int] = []
        owners: list[int] = []
        kinds: list[int] = []
        kind_codes: dict[str, int] = {}
        doc_index: dict[str, int] = {}
        self.docs: list[str] = []
        self._types: list[str] = []
        self._families: dict[int, tuple[str, ...]] = {}  # only documents that have one
        for rowid, doc_id, kind, doc_type, family in rows:
            d = doc_index.get(doc_id)
            if d is None:
                d = doc_index[doc_id] = len(self.docs)
                self.docs.append(doc_id)
                self._types.append(doc_type)
                if family and family != "[]":
                    self._families[d] = tuple(json.loads(family))
            rowids.append(rowid)
            owners.append(d)
            kinds.append(kind_codes.setdefault(kind, len(kind_codes)))
        self._doc_index = doc_index
        self._kinds = list(kind_codes)
        self.rowids = np.asarray(rowids, dtype=np.int64)  # ascending (the query orders by rowid)
        self._owner = np.asarray(owners, dtype=np.int32)
        self._kind = np.asarray(kinds, dtype=np.int16)

    def owners(self, rowids: list[int]) -> dict[int, Owner]:
        """Owner of each rowid this generation holds (others are left out)."""
        if not rowids or len(self.rowids) == 0:
            return {}
        wanted = np.asarray(rowids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.rowids, wanted), len(self.rowids) - 1)
        out = {}
        for r, p, here in zip(wanted.tolist(), pos.tolist(), (self.rowids[pos] == wanted).tolist()):
            if here:
                out[r] = Owner(r, self.docs[self._owner[p]], self._kinds[self._kind[p]])
        return out

    def doc(self, doc_id: str) -> DocKey:
        d = self._doc_index[doc_id]
        return DocKey(self._types[d], self._families.get(d, ()))

    def docs_of(self, doc_ids: Iterable[str]) -> dict[str, DocKey]:
        return {d: self.doc(d) for d in doc_ids if d in self._doc_index}
