"""Hard negatives by BM25: for each pair, the passage BM25 ranks highest for its anchor
that comes from a document the pair does not exclude. Such a passage shares the anchor's
words but is not its answer: the distinction a small encoder most needs to learn."""

from __future__ import annotations

import random
from collections.abc import Sequence

from navsearch.progress import track
from navsearch.settings import TuneSettings
from navsearch.store.lexical import Bm25Index
from navsearch.store.reads import CorpusChunk
from navsearch.terms import query_terms
from navsearch.tune.pairs import TrainingPair, with_negative


def add_hard_negatives(
    pairs: Sequence[TrainingPair], chunks: Sequence[CorpusChunk], settings: TuneSettings, *, progress: bool = False
) -> tuple[list[TrainingPair], int]:
    """The pairs with a negative each, and how many of those BM25 found; a pair BM25 finds
    none for gets a random passage of another document (the loss needs one per pair)."""
    index = Bm25Index.build((c.rowid, c.text) for c in chunks)
    by_row = {c.rowid: c for c in chunks}
    rng = random.Random(settings.seed)
    out, found = [], 0
    for pair in track(pairs, desc="hard negatives", unit="pair", enabled=progress):
        negative = None
        for rowid, _ in index.search(query_terms(pair.anchor), settings.bm25_candidates):
            c = by_row[rowid]
            if (
                c.doc_id not in pair.exclude
                and c.doc_id != pair.doc_id
                and c.text.strip() != pair.positive.strip()
                and len(c.text.split()) > settings.max_heading_words  # a bare heading is no hard negative
            ):
                negative = c.text
                break
        if negative is not None:
            found += 1
        else:
            for _ in range(20):  # a corpus of one document has no negative to give
                c = chunks[rng.randrange(len(chunks))]
                if c.doc_id not in pair.exclude and c.doc_id != pair.doc_id:
                    negative = c.text
                    break
        out.append(with_negative(pair, negative if negative is not None else ""))
    return out, found
