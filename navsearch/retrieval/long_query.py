"""Queries longer than the encoder reads (a whole claim set, a case description, a
citing patent's abstract): what each leg of hybrid search sees of them.

- Dense: the encoder truncates its input at ``max_tokens``; a longer query is cut into
  windows at sentence (then word) boundaries, each fitting the window, and searched
  with the normalised mean of their vectors ('windows'), or with its first window only
  ('head', what truncation gave). At most ``max_query_windows`` windows are embedded, so
  one query's cost is bounded.
- Lexical: BM25 sums one posting list per distinct term; a query with more distinct
  terms than ``max_query_terms`` keeps its most informative ones, by tf x idf in the
  index searched (a long text repeats its subject's words and holds many common ones);
  terms the index lacks come last, since they match nothing.
"""

from __future__ import annotations

import re

import numpy as np

from navsearch.embedding.base import Embedder
from navsearch.settings import RetrievalSettings
from navsearch.store.generation import LexicalIndex
from navsearch.terms import query_term_counts

SENTENCE_END = re.compile(r"(?<=[.!?;:。！？；])\s+|\n+|(?<=[。！？；])")
_SPECIAL: dict[str, int] = {}  # model id -> tokens the encoder adds to any text ([CLS], [SEP])


def _special(embedder: Embedder) -> int:
    """Tokens the encoder adds to every text: counted once per model, not at every query
    (a tokenizer call is a lock and a fraction of a millisecond on the search's path)."""
    if (n := _SPECIAL.get(embedder.model_id)) is None:
        n = _SPECIAL[embedder.model_id] = embedder.count_tokens([""])[0]
    return n


def _pieces(text: str, embedder: Embedder, budget: int) -> list[tuple[str, int]]:
    """Sentences of the text with their token counts (special tokens left out); one longer
    than the budget is cut into runs of words that fit it."""
    sentences = [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]
    if not sentences:
        return []
    special = _special(embedder)
    counts = [n - special for n in embedder.count_tokens(sentences)]
    out: list[tuple[str, int]] = []
    for sentence, n in zip(sentences, counts):
        if n <= budget:
            out.append((sentence, n))
            continue
        words = sentence.split()
        # Words per run from the sentence's tokens per word, halved until each run fits.
        step = max(1, int(len(words) * budget / max(n, 1)))
        while step > 1:
            runs = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
            run_counts = [c - special for c in embedder.count_tokens(runs)]
            if max(run_counts) <= budget:
                out += list(zip(runs, run_counts))
                break
            step //= 2
        else:  # single words over the budget (a long formula): the encoder truncates each
            out += [(w, min(budget, c - special)) for w, c in zip(words, embedder.count_tokens(words))]
    return out


def query_windows(text: str, embedder: Embedder, max_windows: int) -> list[str]:
    """The query cut into consecutive windows that each fit the encoder (one window when
    it fits whole), at most ``max_windows``."""
    budget = embedder.max_tokens - _special(embedder)
    if embedder.count_tokens([text])[0] <= embedder.max_tokens:
        return [text]
    windows: list[str] = []
    current: list[str] = []
    used = 0
    for piece, n in _pieces(text, embedder, budget):
        # +1: a joining space can merge into a token boundary differently; stay under.
        if current and used + n + 1 > budget:
            windows.append(" ".join(current))
            if len(windows) == max_windows:
                return windows
            current, used = [], 0
        current.append(piece)
        used += n + 1
    if current and len(windows) < max_windows:
        windows.append(" ".join(current))
    return windows or [text]


def query_vector(text: str, embedder: Embedder, settings: RetrievalSettings) -> np.ndarray:
    """The query's vector for the dense leg (see the module's docstring)."""
    windows = query_windows(text, embedder, settings.max_query_windows)
    if len(windows) == 1 or settings.long_query_dense == "head":
        return embedder.embed_queries(windows[:1])[0]
    mean = embedder.embed_queries(windows).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm else mean).astype(np.float32)


def lexical_terms(text: str, lexical: LexicalIndex, limit: int) -> list[str]:
    """The distinct terms BM25 searches with: all of them up to ``limit``, else the
    ``limit`` with the highest tf x idf (terms in no chunk last), in the query's order."""
    counts = query_term_counts(text)
    terms = list(counts)
    if len(terms) <= limit:
        return terms
    # A term no chunk holds matches nothing: it would take a slot for naught (and its idf,
    # the largest there is, would put it first).
    idf = [w if lexical.df(t) else 0.0 for t, w in zip(terms, lexical.idf(terms))]
    score = {t: counts[t] * w for t, w in zip(terms, idf)}
    keep = set(sorted(terms, key=lambda t: (-score[t], terms.index(t)))[:limit])
    return [t for t in terms if t in keep]
