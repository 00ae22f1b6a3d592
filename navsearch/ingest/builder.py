"""Assemble a document's text section by section, so offsets are right by construction."""

from __future__ import annotations

from navsearch.types import Section

SEPARATOR = "\n\n"


class TextBuilder:
    """Appends sections to one text and records each section's offsets.

    >>> b = TextBuilder()
    >>> s = b.add("abstract", "abstract", "A battery pack.")
    >>> b.text[s.start:s.end]
    'A battery pack.'
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.sections: list[Section] = []

    def add(
        self,
        kind: str,
        path: str,
        text: str,
        *,
        page: int | None = None,
        heading: str | None = None,
        claim_number: int | None = None,
        parent_claim: int | None = None,
        location: str | None = None,
    ) -> Section:
        text = text.strip()
        if not text:
            raise ValueError(f"empty section {path!r}")
        if self._parts:
            self._parts.append(SEPARATOR)
            self._length += len(SEPARATOR)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        section = Section(
            kind=kind,
            path=path,
            text=text,
            start=start,
            end=self._length,
            page=page,
            heading=heading,
            claim_number=claim_number,
            parent_claim=parent_claim,
            location=location,
        )
        self.sections.append(section)
        return section

    @property
    def text(self) -> str:
        return "".join(self._parts)
