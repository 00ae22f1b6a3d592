"""BM25 over a generation's chunks, in memory, scored with numpy.

Why not SQLite FTS5 (what navsearch used first): FTS5 calls its bm25() function on every
row that matches any OR-ed query term, and a question's common words match half an
index: at 100k chunks that took 44 ms a query, more than the whole latency budget.
Dropping common terms to save that cost lost up to 0.09 nDCG@10 on ObliQA (measured:
docs/DESIGN.md). Here each (term, chunk) weight is computed once when the generation is
built, so a query sums a few posting lists with ``np.bincount``: the same BM25 scores
(FTS5's formula: k1 1.2, b 0.75, idf = ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6)
in a few milliseconds. The index is built with the FAISS generation from the catalog and
stored beside it, so dense and lexical search always see the same chunks.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from navsearch.errors import IndexMismatch
from navsearch.terms import analyze

K1 = 1.2
B = 0.75
FORMAT = "navsearch-bm25/1"


@dataclass(frozen=True)
class Bm25Index:
    ids: np.ndarray  # chunk rowids, ascending; a chunk's position is its row in the index
    vocab: dict[str, int]
    indptr: np.ndarray  # postings of term t: rows indptr[t]:indptr[t + 1] of docs/weights
    docs: np.ndarray  # int32 positions into ids
    weights: np.ndarray  # float32 BM25 weight of the term in that chunk

    @property
    def count(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls, rows: Iterable[tuple[int, str]], progress: Callable[[int], None] | None = None
    ) -> Bm25Index:
        """Index (chunk rowid, text) pairs given in ascending rowid order."""
        vocab: dict[str, int] = {}
        ids: list[int] = []
        lengths: list[int] = []
        keys: list[np.ndarray] = []  # per chunk: its distinct term ids
        counts: list[np.ndarray] = []
        for rowid, text in rows:
            if ids and rowid <= ids[-1]:
                raise ValueError(f"chunk rowids must ascend: {rowid} after {ids[-1]}")
            terms = analyze(text)
            tids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), dtype=np.int64, count=len(terms))
            uniq, tf = np.unique(tids, return_counts=True)
            ids.append(rowid)
            lengths.append(len(terms))
            keys.append(uniq)
            counts.append(tf)
            if progress and len(ids) % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(ids) % 1000)
        n = len(ids)
        if n == 0:
            return cls(np.zeros(0, np.int64), {}, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        term = np.concatenate(keys)
        tf = np.concatenate(counts).astype(np.float64)
        doc = np.repeat(np.arange(n, dtype=np.int32), [len(k) for k in keys])
        dl = np.asarray(lengths, dtype=np.float64)
        avgdl = max(dl.mean(), 1e-9)
        df = np.bincount(term, minlength=len(vocab)).astype(np.float64)
        idf = np.log((n - df + 0.5) / (df + 0.5))
        idf[idf <= 0] = 1e-6
        weights = idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl[doc] / avgdl))
        order = np.argsort(term, kind="stable")  # chunks stay ascending within a term
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term, minlength=len(vocab)), out=indptr[1:])
        return cls(
            np.asarray(ids, dtype=np.int64), vocab, indptr, doc[order], weights[order].astype(np.float32)
        )

    def search(
        self, terms: list[str], k: int, allowed: np.ndarray | None = None, boosts: list[float] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk rowid, BM25 score) of the best ``k`` chunks holding any of the (analysed)
        terms, best first; ``allowed`` restricts to those rowids; ``boosts`` weigh each term's
        BM25 weight (an expanded query: feedback terms count less than the typed ones)."""
        boost = dict(zip(terms, boosts)) if boosts is not None else {}
        cols = [(self.vocab[t], boost.get(t, 1.0)) for t in dict.fromkeys(terms) if t in self.vocab]
        if not cols or k <= 0:
            return []
        docs = np.concatenate([self.docs[self.indptr[c] : self.indptr[c + 1]] for c, _ in cols])
        parts = [self.weights[self.indptr[c] : self.indptr[c + 1]] for c, _ in cols]
        weights = np.concatenate(parts if boosts is None else [p * np.float32(b) for p, (_, b) in zip(parts, cols)])
        scores = np.bincount(docs, weights=weights, minlength=self.count)
        if allowed is not None:
            keep = np.zeros(self.count, dtype=bool)
            pos = np.searchsorted(self.ids, allowed)
            inside = pos < self.count
            pos, wanted = pos[inside], allowed[inside]
            keep[pos[self.ids[pos] == wanted]] = True
            scores[~keep] = 0.0
        hit = np.flatnonzero(scores > 0)
        if len(hit) > k:
            hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
        hit = hit[np.lexsort((hit, -scores[hit]))]  # best first; ties in chunk order
        return [(int(self.ids[i]), float(scores[i])) for i in hit]

    def df(self, term: str) -> int:
        """Chunks holding the (analysed) term."""
        col = self.vocab.get(term)
        return 0 if col is None else int(self.indptr[col + 1] - self.indptr[col])

    def idf(self, terms: list[str]) -> list[float]:
        """BM25's idf of each (analysed) term, as search weighs it; a term no chunk holds
        gets the largest idf there is (ln((N + 0.5) / 0.5)): it is the rarest of all."""
        out = []
        for t in terms:
            col = self.vocab.get(t)
            df = 0 if col is None else int(self.indptr[col + 1] - self.indptr[col])
            out.append(max(float(np.log((self.count - df + 0.5) / (df + 0.5))), 1e-6))
        return out

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez(
            buf,
            format=np.array(FORMAT),
            ids=self.ids,
            terms=np.array(json.dumps(terms, ensure_ascii=False)),
            indptr=self.indptr,
            docs=self.docs,
            weights=self.weights,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Bm25Index:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if str(z["format"]) != FORMAT:
                raise IndexMismatch(f"BM25 index format {z['format']!s}, this navsearch reads {FORMAT}")
            terms = json.loads(str(z["terms"]))
            return cls(z["ids"], {t: i for i, t in enumerate(terms)}, z["indptr"], z["docs"], z["weights"])

