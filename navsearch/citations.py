"""How a passage is cited: document, number and structural path, the way readers cite."""

from __future__ import annotations

from typing import Any

from navsearch.types import Chunk


def document_label(meta: dict[str, Any]) -> str:
    """The document part of a citation. A missing title is said to be unknown, not invented."""
    if meta["doc_type"] == "patent":
        return meta.get("number") or meta["doc_id"]
    title = meta.get("title")
    number = meta.get("number")
    if meta["doc_type"] == "statute" and number:
        return number  # "35 U.S.C.", "Regulation (EU) 2016/679": what lawyers write
    if not title:
        issued = meta.get("publication_date")
        title = "[title unknown]" + (f" circular of {issued.isoformat()}" if issued else "")
    return f"{title}, {number}" if number else title


def cite(meta: dict[str, Any], chunk: Chunk) -> str:
    """e.g. ``Circular of ... Pilot Project, G. ZH. F. G. Z. [2013] No. 27, IV.i.3``,
    ``35 U.S.C. § 102(a)(1)``, ``US8926509B2, claim 3``."""
    label = document_label(meta)
    path = chunk.path
    if path.startswith("§"):
        out = f"{label} {path}"  # "35 U.S.C. § 102(a)(1)"
    else:
        out = f"{label}, {path}"
    if chunk.page is not None:
        out += f", p. {chunk.page}"
    return out
