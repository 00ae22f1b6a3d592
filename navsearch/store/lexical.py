"""BM25 over a generation's chunks, in memory, scored with numpy.

Why not SQLite FTS5 (what navsearch used first): FTS5 calls its bm25() function on every
row that matches any OR-ed query term, and a question's common words match half an
index: at 100k chunks that took 44 ms a query, more than the whole latency budget.
Dropping common terms to save that cost lost up to 0.09 nDCG@10 on ObliQA (measured:
docs/DESIGN.md). Here each (term, chunk) weight is computed once when the generation is
built, so a query sums a few posting lists (rows of a sparse terms x chunks matrix): the same BM25 scores
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


SAMPLE_EVERY = 64  # _top: one score in this many bounds the k-th best from below


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best positive scores (all positive ones if fewer), unordered.
    The k-th best of every 64th score cannot exceed the k-th best of all, so only scores at
    or above it are partitioned: at 1M chunks ~half of them are positive, and partitioning
    those took 5 ms of a 14 ms search."""
    floor = 0.0
    sample = scores[::SAMPLE_EVERY]
    if len(sample) > k:
        floor = max(floor, float(np.partition(sample, len(sample) - k)[len(sample) - k]))
    hit = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores > 0)
    if len(hit) > k:
        hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
    return hit


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
        hit, scores = self._best(cols, k, allowed)
        order = np.lexsort((hit, -scores))  # best first; ties in chunk order
        return [(int(self.ids[hit[i]]), float(scores[i])) for i in order]

    def _best(self, cols: list[tuple[int, float]], k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of every term summed: (positions, scores) of the best ``k``. No
        pruning (MaxScore was here): once the sum and the selection below were fast, the
        pruned search was slower at every query size measured (1M chunks: 4-20 ms summed
        whole against 11-37 ms pruned: docs/DESIGN.md)."""
        scores = self._sum(cols)
        if allowed is None:
            hit = _top(scores, k)
        else:  # the best among the allowed positions only: no pass over every chunk's score
            pos = self._positions(allowed)
            hit = pos[_top(scores[pos], k)]
        return hit, scores[hit]

    def _positions(self, rowids: np.ndarray) -> np.ndarray:
        """Distinct positions in this index of those rowids it holds."""
        pos = np.searchsorted(self.ids, rowids)
        inside = pos < self.count
        pos, wanted = pos[inside], rowids[inside]
        pos = pos[self.ids[pos] == wanted]
        if len(pos) > 1 and not bool((pos[1:] > pos[:-1]).all()):
            pos = np.unique(pos)  # rowids not ascending and distinct (the stores' always are)
        return pos

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

