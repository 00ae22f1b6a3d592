"""What a search returns is built from: a hit per document (or chunk) with its passages,
each cited, and the text "more like this" and a bare citation search near."""

from __future__ import annotations

from dataclasses import replace

from navsearch.citations import cite
from navsearch.types import Chunk, DocumentMeta, Hit, Passage

LIKE_CHARS = 2000  # text of a document that "more like this" searches with


def like_text(meta: DocumentMeta, chunks: list[Chunk]) -> str:
    """What 'more like this' and a bare citation search near: the title and the first text."""
    parts = [meta.title or ""]
    for c in chunks:
        if c.kind == "title":
            continue
        parts.append(c.text)
        if sum(len(p) for p in parts) > LIKE_CHARS:
            break
    return " ".join(" ".join(parts).split())[:LIKE_CHARS]


def passage(
    meta: DocumentMeta, chunk: Chunk, score: float, dense_rank: int | None, lexical_rank: int | None, relevance: float
) -> Passage:
    return Passage(
        chunk_id=chunk.chunk_id,
        kind=chunk.kind,
        path=chunk.path,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        page=chunk.page,
        heading=chunk.heading,
        score=score,
        dense_rank=dense_rank,
        lexical_rank=lexical_rank,
        citation=cite(meta, chunk),
        location=chunk.location,
        relevance=relevance,
    )


def hit_of(
    meta: DocumentMeta,
    passages: tuple[Passage, ...],
    score: float,
    relevance: float,
    *,
    weak: bool = False,
    cited: bool = False,
    more: int = 0,
) -> Hit:
    return Hit(
        doc_id=meta.doc_id,
        doc_type=meta.doc_type,
        title=meta.title,
        number=meta.number,
        score=score,
        publication_date=meta.publication_date,
        application_date=meta.application_date,
        jurisdiction=meta.jurisdiction,
        ipc=meta.ipc,
        issuer=meta.issuer,
        assignee=meta.assignee,
        passages=passages,
        relevance=relevance,
        weak=weak,
        cited=cited,
        more_passages=max(0, more),
    )


def in_view(hits: list[Hit], floor: float) -> list[Hit]:
    """A hit's further passages are left out when they are below the relevance floor and a
    relevant document further down scores better than they do: grouped by document, they
    would push that document's matching passage down the page behind the first document's
    weak provisions (an English question on the Chinese Patent Law lost its article behind
    five sections of 35 U.S.C. it did not match). Otherwise they stay: the sibling a clause
    question needs is often weak itself, and still outscores the documents after it."""
    out: list[Hit] = []
    best_after = float("-inf")  # the best score of a relevant hit further down
    for hit in reversed(hits):
        if len(hit.passages) > 1 and best_after > float("-inf"):
            kept = tuple(
                p for p in hit.passages[1:] if p.relevance is None or p.relevance >= floor or p.score >= best_after
            )
            hit = replace(hit, passages=hit.passages[:1] + kept)
        out.append(hit)
        if not hit.weak:
            best_after = max(best_after, hit.score)
    return out[::-1]
