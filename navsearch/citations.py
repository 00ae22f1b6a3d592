"""How a passage is cited: document, number and structural path, the way readers cite."""

from __future__ import annotations

from dataclasses import dataclass

from navsearch.errors import InvalidInput
from navsearch.types import Chunk, DocumentMeta


def document_label(meta: DocumentMeta) -> str:
    """The document part of a citation. A missing title is said to be unknown, not invented."""
    if meta.doc_type == "patent":
        return meta.number or meta.doc_id
    title = meta.title
    number = meta.number
    if meta.doc_type == "statute" and number:
        return number  # "35 U.S.C.", "Regulation (EU) 2016/679": what lawyers write
    if not title:
        issued = meta.publication_date
        title = "[title unknown]" + (f" circular of {issued.isoformat()}" if issued else "")
    return f"{title}, {number}" if number else title


def cite(meta: DocumentMeta, chunk: Chunk) -> str:
    """e.g. ``Circular of ... Pilot Project, G. ZH. F. G. Z. [2013] No. 27, IV.i.3``,
    ``35 U.S.C. § 102(a)(1)``, ``US8926509B2, claim 3``, ``US9545412, [0012], col. 3, ll. 10-25``.

    A patent PDF's passage is cited by where it is printed (column and line, or the
    printed page number) when the parser found that; the viewer's physical page is the
    fallback, since it is not what the document prints."""
    label = document_label(meta)
    path = chunk.path
    if path.startswith("§"):
        out = f"{label} {path}"  # "35 U.S.C. § 102(a)(1)"
    else:
        out = f"{label}, {path}"
    if chunk.location:
        out += f", {chunk.location}"
    elif chunk.page is not None:
        out += f", p. {chunk.page}"
    return out


@dataclass(frozen=True)
class PassageContext:
    """A cited span of a document with the text around it."""

    doc_id: str
    start: int
    end: int
    before: str
    passage: str
    after: str
    paths: list[str]  # structural paths of the chunks the span overlaps


def passage_context(doc_id: str, text: str, chunks: list[Chunk], start: int, end: int, window: int) -> PassageContext:
    """The cited span with ``window`` characters of text either side, cut at whitespace,
    and the paths of the chunks it overlaps, so a reader can check a citation in place.
    (The largest window allowed is a setting, checked by the service.)"""
    if not 0 <= start < end <= len(text):
        raise InvalidInput(f"offsets must satisfy 0 <= start < end <= {len(text)}; got start={start}, end={end}")
    lo = max(0, start - window)
    hi = min(len(text), end + window)
    if lo > 0 and " " in text[lo:start]:
        lo = text.index(" ", lo) + 1
    if hi < len(text) and " " in text[end:hi]:
        hi = text.rindex(" ", end, hi)
    return PassageContext(
        doc_id=doc_id,
        start=start,
        end=end,
        before=text[lo:start],
        passage=text[start:end],
        after=text[end:hi],
        paths=[c.path for c in chunks if c.start < end and c.end > start],
    )
