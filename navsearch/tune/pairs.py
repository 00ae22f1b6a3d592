"""Training pairs from a corpus's own structure: a title and its abstract, a heading and a
clause under it, a claim and the description passage that supports it best.

Each pair names the documents a hard negative must not come from (its own, and those
that are as right an answer as it: the other clauses under the same heading), so the
in-batch and BM25 negatives are not answers in disguise.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

from navsearch.settings import TuneSettings
from navsearch.store.lexical import Bm25Index
from navsearch.store.reads import CorpusChunk
from navsearch.terms import query_terms

PairKind = Literal["qrels", "title-abstract", "heading-clause", "claim-description"]
PAIR_KINDS: tuple[PairKind, ...] = get_args(PairKind)
HEADING_KINDS = ("clause", "article", "text", "preamble")  # passages a numbered heading can head
SENTENCE_ENDS = (".", ":", ";", "。", "：", "；", "!", "?")


@dataclass(frozen=True)
class TrainingPair:
    kind: PairKind
    anchor: str  # the query side
    positive: str
    doc_id: str  # the positive's document
    exclude: frozenset[str]  # documents no negative may come from
    negative: str | None = None


def structure_pairs(chunks: Sequence[CorpusChunk], settings: TuneSettings) -> list[TrainingPair]:
    """Every structure pair the corpus offers, kind by kind (sampling comes later)."""
    rng = random.Random(settings.seed)
    by_doc: dict[str, list[CorpusChunk]] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    return [
        *_title_abstract(by_doc),
        *_under_headings(chunks, rng),
        *_numbered_headings(chunks, settings, rng),
        *_claim_description(by_doc, settings),
    ]


def _title_abstract(by_doc: dict[str, list[CorpusChunk]]) -> list[TrainingPair]:
    out = []
    for doc_id, parts in by_doc.items():
        abstract = next((c for c in parts if c.kind == "abstract"), None)
        title = (parts[0].title or "").strip()
        if abstract and title and title != abstract.text.strip():
            out.append(TrainingPair("title-abstract", title, abstract.text, doc_id, frozenset({doc_id})))
    return out


def _under_headings(chunks: Sequence[CorpusChunk], rng: random.Random) -> list[TrainingPair]:
    """Chunks the parser gave a heading (circulars, statutes): one clause per heading, so a
    batch never holds the same heading twice."""
    groups: dict[tuple[str, str], list[CorpusChunk]] = defaultdict(list)
    for c in chunks:
        if c.heading and c.heading.strip() != c.text.strip():
            groups[(c.doc_id, c.heading.strip())].append(c)
    out = []
    for (doc_id, heading), members in groups.items():
        pick = rng.choice(members)
        out.append(TrainingPair("heading-clause", heading, pick.text, doc_id, frozenset({doc_id})))
    return out


def _is_heading(c: CorpusChunk, max_words: int) -> bool:
    text = c.text.strip()
    return (
        bool(c.path)
        and c.kind in HEADING_KINDS
        and 0 < len(text.split()) <= max_words
        and not text.endswith(SENTENCE_ENDS)
        and any(ch.isalpha() for ch in text)
    )


def _under(path: str, head: str) -> bool:
    return path != head and path.startswith(head.rstrip(".") + ".")


def _numbered_headings(
    chunks: Sequence[CorpusChunk], settings: TuneSettings, rng: random.Random
) -> list[TrainingPair]:
    """Pre-split passages (ObliQA: one passage a document, rule numbers as paths): a short
    passage without a full stop heads the passages numbered under it ("1.1 Jurisdiction"
    heads "1.1.1.(1)"); the anchor is that heading with the one above it."""
    children: dict[tuple[str, int], list[CorpusChunk]] = defaultdict(list)
    anchors: dict[tuple[str, int], str] = {}
    stack: list[CorpusChunk] = []
    group = None
    for c in chunks:
        if c.group != group:  # a new regulation
            stack, group = [], c.group
        if c.heading:  # the parser gave it a heading: _under_headings pairs it
            continue
        while stack and not _under(c.path, stack[-1].path):
            stack.pop()
        if _is_heading(c, settings.max_heading_words):
            stack.append(c)
        elif stack and c.kind in HEADING_KINDS:
            key = (c.group, stack[-1].rowid)
            children[key].append(c)
            anchors[key] = " - ".join(h.text.strip() for h in stack[-2:])
    out = []
    for key, members in children.items():
        pick = rng.choice(members)
        siblings = frozenset(m.doc_id for m in members)
        out.append(TrainingPair("heading-clause", anchors[key], pick.text, pick.doc_id, siblings))
    return out


def _claim_description(by_doc: dict[str, list[CorpusChunk]], settings: TuneSettings) -> list[TrainingPair]:
    """Each claim (independent ones first) with the description passage BM25 ranks first
    for it, within the same patent."""
    out = []
    for doc_id, parts in by_doc.items():
        claims = [c for c in parts if c.kind == "claim"]
        described = [c for c in parts if c.kind == "description"]
        if not claims or not described:
            continue
        index = Bm25Index.build((c.rowid, c.text) for c in described)
        text_of = {c.rowid: c.text for c in described}
        claims.sort(key=lambda c: (c.parent_claim is not None, c.claim_number or 0))
        for claim in claims[: settings.max_claims_per_document]:
            best = index.search(query_terms(claim.text), 1)
            if best:
                out.append(TrainingPair("claim-description", claim.text, text_of[best[0][0]], doc_id, frozenset({doc_id})))
    return out


def sample(labelled: list[TrainingPair], structure: list[TrainingPair], settings: TuneSettings) -> list[TrainingPair]:
    """At most ``max_pairs``: the labelled pairs first (they are the better signal), then
    the structure kinds in turn, each shuffled, so no kind crowds out the others."""
    rng = random.Random(settings.seed)
    labelled = list(labelled)
    rng.shuffle(labelled)
    chosen = labelled[: settings.max_pairs]
    by_kind: dict[str, list[TrainingPair]] = defaultdict(list)
    for p in structure:
        by_kind[p.kind].append(p)
    queues = []
    for kind in sorted(by_kind):
        rng.shuffle(by_kind[kind])
        queues.append(by_kind[kind])
    position = 0
    while len(chosen) < settings.max_pairs and any(position < len(q) for q in queues):
        for q in queues:
            if position < len(q) and len(chosen) < settings.max_pairs:
                chosen.append(q[position])
        position += 1
    return chosen


def counts(pairs: Sequence[TrainingPair]) -> dict[str, int]:
    """Pairs by kind, every kind named (0 when the corpus offered none)."""
    out = dict.fromkeys(PAIR_KINDS, 0)
    for p in pairs:
        out[p.kind] += 1
    return out


def with_negative(pair: TrainingPair, negative: str) -> TrainingPair:
    return replace(pair, negative=negative)
