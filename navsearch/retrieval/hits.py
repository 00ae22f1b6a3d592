"""What a search returns is built from: a hit per document (or chunk) with its passages,
each cited, and the text "more like this" and a bare citation search near."""

from __future__ import annotations

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
