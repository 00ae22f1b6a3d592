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
from functools import cached_property

import numpy as np
from scipy import sparse

from navsearch.errors import IndexMismatch
from navsearch.terms import analyze, is_cjk_term

K1 = 1.2
B = 0.75
FORMAT = "navsearch-bm25/1"
# Below this many postings in a query's lists, summing them all is faster than pruning
# (100k chunks: 5.3 vs 6.1 ms p50; 1M chunks, ~4M postings a question: 92 vs 58 ms; AMD EPYC 2 cores).
PRUNE_FROM_POSTINGS = 1_000_000
LAZY_SHARE = 0.25  # of the pruning threshold, the most the lazily completed terms may add (speed only)


@dataclass(frozen=True)
class Bm25Index:
    ids: np.ndarray  # chunk rowids, ascending; a chunk's position is its row in the index
    vocab: dict[str, int]
    indptr: np.ndarray  # postings of term t: rows indptr[t]:indptr[t + 1] of docs/weights
    docs: np.ndarray  # int32 positions into ids
    weights: np.ndarray  # float32 BM25 weight of the term in that chunk
    # Rowids of the chunks written in a CJK script (more than half their terms CJK), ascending;
    # None for an index stored before it was recorded. Passages, not documents: a patent
    # record in English can carry a machine-translated Chinese abstract.
    cjk: np.ndarray | None = None

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
        cjk: list[int] = []
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
            if 2 * sum(1 for t in terms if is_cjk_term(t)) > len(terms):
                cjk.append(rowid)
            keys.append(uniq)
            counts.append(tf)
            if progress and len(ids) % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(ids) % 1000)
        n = len(ids)
        if n == 0:
            empty = np.zeros(0, np.int64)
            return cls(empty, {}, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), empty)
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
            np.asarray(ids, dtype=np.int64), vocab, indptr, doc[order], weights[order].astype(np.float32),
            np.asarray(cjk, dtype=np.int64),
        )

    def script_rowids(self, script: str) -> np.ndarray | None:
        """Rowids of the chunks written in ``script`` ("cjk" or "latin"), ascending; None
        when this index was stored without recording scripts."""
        if self.cjk is None:
            return None
        return self.cjk if script == "cjk" else self._latin

    @cached_property
    def _latin(self) -> np.ndarray:
        assert self.cjk is not None
        return np.setdiff1d(self.ids, self.cjk, assume_unique=True)

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
        postings = sum(int(self.indptr[c + 1] - self.indptr[c]) for c, _ in cols)
        if allowed is None and len(cols) > 1 and postings > PRUNE_FROM_POSTINGS:
            hit, scores = self._pruned(cols, k)
        else:
            hit, scores = self._exhaustive(cols, k, allowed)
        order = np.lexsort((hit, -scores))  # best first; ties in chunk order
        return [(int(self.ids[hit[i]]), float(scores[i])) for i in order]

    def _exhaustive(self, cols: list[tuple[int, float]], k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of every term summed: (positions, scores) of the best ``k``."""
        scores = self._sum(cols)
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
        return hit, scores[hit]

    def _pruned(self, cols: list[tuple[int, float]], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The same top ``k`` without summing the longest posting lists (MaxScore, Turtle &
        Flood 1995, as Lucene and PISA do it): a question's common words ("shall", "person")
        hold millions of postings at 1M chunks (70 ms a query summed whole) but add little.

        1. A threshold: the ``k``-th best full score of a few hundred real chunks (the best by
           the rarest terms), a lower bound of the true ``k``-th score.
        2. Terms by upper bound (their largest weight), ascending: the longest prefix whose
           bounds sum below the threshold is non-essential, since a chunk holding only those
           scores below it and cannot be in the top ``k``.
        3. Chunks holding an essential term are scored on those, kept when their score plus
           the non-essential bounds can reach the threshold, and completed by looking their
           positions up in the non-essential lists (sorted by position).
        Every chunk scoring at least the threshold is completed, so the top ``k`` and their
        order are the exhaustive sum's (up to float rounding of near ties)."""
        upper = np.array([self._upper[c] * b for c, b in cols])
        sizes = np.array([self.indptr[c + 1] - self.indptr[c] for c, _ in cols])
        # 1: seeds from the rarest terms (their postings are short), completed exactly.
        rare = np.argsort(sizes)
        # The shortest lists, until they hold 4k postings: enough chunks for a k-th score.
        seed_terms = [cols[i] for i in rare[: int(np.searchsorted(np.cumsum(sizes[rare]), 4 * k, side="left")) + 1]]
        partial = self._sum(seed_terms)
        seeds = np.flatnonzero(partial)
        if len(seeds) > 4 * k:
            seeds = seeds[np.argpartition(-partial[seeds], 4 * k - 1)[: 4 * k]]
        full = self._complete(seeds, np.zeros(len(seeds)), cols)
        if len(full) < k:
            return self._exhaustive(cols, k, None)  # fewer than k chunks hold the rare terms
        theta = float(np.partition(full, len(full) - k)[len(full) - k])
        # 2: the non-essential terms.
        by_bound = np.argsort(upper, kind="stable")
        bounds = np.cumsum(upper[by_bound])
        # Any prefix below theta keeps the result exact; the smaller its bounds' sum, the
        # fewer chunks must be completed by lookups (each costs a binary search per lazy
        # list), so only the prefix up to a quarter of theta is left lazy: that still holds
        # the stop-word-like lists (weights near zero, half the postings of a question).
        cut = int(np.searchsorted(bounds, theta * LAZY_SHARE, side="left"))  # bounds[:cut] < theta / 4
        if cut == 0:
            return self._exhaustive(cols, k, None)
        lazy = [cols[i] for i in by_bound[:cut]]
        eager = [cols[i] for i in by_bound[cut:]]
        slack = float(bounds[cut - 1])
        # 3: score on the essential terms, keep what can still reach theta, complete it.
        partial = self._sum(eager)
        kept = np.flatnonzero(partial >= theta - slack - 1e-6)
        scores = self._complete(kept, partial[kept], lazy)
        if len(kept) > k:
            best = np.argpartition(-scores, k - 1)[:k]
            kept, scores = kept[best], scores[best]
        return kept, scores

    def _postings(self, col: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[col], self.indptr[col + 1]
        return self.docs[lo:hi], self.weights[lo:hi]

    def _sum(self, cols: list[tuple[int, float]]) -> np.ndarray:
        """Every chunk's score on these (term, boost) columns, float32. The term rows of a
        sparse matrix times the boosts: one C loop over the postings as stored, where
        ``np.bincount`` needed them concatenated and widened to int64 / float64 first (1M
        chunks, ~1M postings a question: 3.2 vs 10.9 ms, AMD EPYC 2 cores)."""
        rows = np.fromiter((c for c, _ in cols), dtype=np.int64, count=len(cols))
        boosts = np.fromiter((b for _, b in cols), dtype=np.float32, count=len(cols))
        return np.asarray(self._matrix[rows].T @ boosts)

    @cached_property
    def _matrix(self) -> sparse.csr_matrix:
        """Terms x chunks over the postings arrays (scipy keeps them, no copy)."""
        return sparse.csr_matrix((self.weights, self.docs, self.indptr), shape=(len(self.vocab), self.count), copy=False)

    def _complete(self, positions: np.ndarray, scores: np.ndarray, cols: list[tuple[int, float]]) -> np.ndarray:
        """``scores`` of the chunks at ``positions`` plus their weights in ``cols``' lists."""
        out = scores.astype(np.float64, copy=True)
        if len(positions) == 0:
            return out
        positions = positions.astype(self.docs.dtype)  # as the lists' type, or numpy converts each list to search it
        for c, b in cols:
            docs, weights = self._postings(c)
            at = np.minimum(np.searchsorted(docs, positions), len(docs) - 1)
            found = docs[at] == positions
            out[found] += weights[at[found]].astype(np.float64) * b
        return out

    @cached_property
    def _upper(self) -> np.ndarray:
        """Each term's largest weight: the most it can add to a chunk's score."""
        if len(self.weights) == 0:
            return np.zeros(len(self.vocab), dtype=np.float32)
        return np.maximum.reduceat(self.weights, self.indptr[:-1])

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
            **({"cjk": self.cjk} if self.cjk is not None else {}),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Bm25Index:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if str(z["format"]) != FORMAT:
                raise IndexMismatch(f"BM25 index format {z['format']!s}, this navsearch reads {FORMAT}")
            terms = json.loads(str(z["terms"]))
            cjk = z["cjk"] if "cjk" in z.files else None  # stored before scripts were recorded
            return cls(z["ids"], {t: i for i, t in enumerate(terms)}, z["indptr"], z["docs"], z["weights"], cjk)

