"""Ingestion reports: what a parser found in a document, what it changed, what was rejected."""

from __future__ import annotations

from collections import Counter
from typing import Any

from navsearch.types import Chunk


def document_report(meta: dict[str, Any], text: str, chunks: list[Chunk]) -> dict[str, Any]:
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
    return {
        "doc_id": meta["doc_id"],
        "source": meta["source"],
        "doc_type": meta["doc_type"],
        "title": meta.get("title"),
        "number": meta.get("number"),
        "found": {
            "sections": dict(sorted(by_kind.items())),
            "claims": len(claims),
            "independent_claims": sorted(n for n, parent in claims.items() if parent is None),
            "pages": len(pages),
            "characters": len(text),
            "characters_in_chunks": covered,
        },
        "changed": list(meta.get("notes") or []),
        "split": [f"{path} ({len(parts)} chunks)" for (_, path), parts in sections.items() if len(parts) > 1],
        "chunks": len(chunks),
    }
