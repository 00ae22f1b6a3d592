"""Ingestion reports: what a parser found in a document, what it changed, what was rejected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from navsearch.types import Chunk, DocumentMeta


@dataclass(frozen=True)
class DocumentReport:
    """What ingestion found in, changed in and split of one stored document."""

    doc_id: str
    source: str
    doc_type: str
    title: str | None
    number: str | None
    found: dict[str, object]  # counts by what was found: sections by kind, claims, pages, characters
    changed: list[str]  # the parser's repairs
    split: list[str]  # sections cut into several chunks
    chunks: int


def document_report(meta: DocumentMeta, text: str, chunks: list[Chunk]) -> DocumentReport:
    """Summarise one stored document for a reviewer.

    ``found`` counts sections by kind (a section split into several chunks counts once),
    pages and claims; ``changed`` lists the parser's repairs (hyphen joins, removed
    headers and footers, inferred numbers); ``split`` names sections longer than the
    model's limit, which were cut into several chunks.
    """
    sections: dict[tuple[str, str], list[Chunk]] = {}
    for c in chunks:
        sections.setdefault((c.kind, c.path), []).append(c)
    by_kind = Counter(kind for kind, _ in sections)
    claims = {c.claim_number: c.parent_claim for c in chunks if c.kind == "claim" and c.claim_number}
    pages = sorted({c.page for c in chunks if c.page is not None})
    covered = 0  # characters inside at least one chunk (window chunks may overlap)
    reach = 0
    for c in sorted(chunks, key=lambda c: c.start):
        covered += max(0, c.end - max(c.start, reach))
        reach = max(reach, c.end)
    return DocumentReport(
        doc_id=meta.doc_id,
        source=meta.source,
        doc_type=meta.doc_type,
        title=meta.title,
        number=meta.number,
        found={
            "sections": dict(sorted(by_kind.items())),
            "claims": len(claims),
            "independent_claims": sorted(n for n, parent in claims.items() if parent is None),
            "pages": len(pages),
            "characters": len(text),
            "characters_in_chunks": covered,
        },
        changed=list(meta.notes),
        split=[f"{path} ({len(parts)} chunks)" for (_, path), parts in sections.items() if len(parts) > 1],
        chunks=len(chunks),
    )
