"""Sections of a patent: the abstract, claims with their dependencies, description paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.uspto_xml.xml_text import _text

_CLAIM_NUMBER_PREFIX = re.compile(r"^\d+\s*\.(?!\d)\s*")


@dataclass
class _Body:
    abstract: Element | None
    claims: list[Element]
    description: Element | None
    dependency_tags: tuple[tuple[str, str], ...]  # (tag, attribute) naming a parent claim


# ---------------------------------------------------------------------------
# Sections


def _add_abstract(builder: TextBuilder, body: _Body, notes: list[str]) -> None:
    text = _text(body.abstract) if body.abstract is not None else ""
    if text:
        builder.add("abstract", "abstract", text)
    else:
        notes.append("no abstract")


def _add_claims(builder: TextBuilder, body: _Body, notes: list[str]) -> None:
    if not body.claims:
        notes.append("no claims")
        return
    numbers = {c.get("id"): _claim_number(c, i) for i, c in enumerate(body.claims, start=1)}
    for ordinal, claim in enumerate(body.claims, start=1):
        number = _claim_number(claim, ordinal)
        text = _CLAIM_NUMBER_PREFIX.sub("", _text(claim), count=1)
        if not text:
            notes.append(f"claim {number} is empty; skipped")
            continue
        parents = _claim_parents(claim, body.dependency_tags, numbers, number)
        if len(parents) > 1:
            # "claim 1 or 2": one parent fits the Section model; the first is cited first.
            listed = ", ".join(map(str, parents))
            notes.append(f"claim {number} refers to claims {listed}; parent is {parents[0]}")
        builder.add(
            "claim",
            f"claim {number}",
            text,
            claim_number=number,
            parent_claim=parents[0] if parents else None,
        )


def _claim_number(claim: Element, ordinal: int) -> int:
    # v4 claims carry num="00003"; pap-v16 only id="CLM-00003"; else count.
    for value in (claim.get("num"), claim.get("id")):
        digits = re.sub(r"\D", "", value or "")
        if digits and int(digits) > 0:
            return int(digits)
    return ordinal


def _claim_parents(
    claim: Element, tags: tuple[tuple[str, str], ...], numbers: dict[str | None, int], own: int
) -> list[int]:
    parents: list[int] = []
    for tag, attribute in tags:
        for ref in claim.iter(tag):
            target = ref.get(attribute)
            number = numbers.get(target)
            if number is None:
                digits = re.sub(r"\D", "", target or "")
                number = int(digits) if digits else None
            if number is not None and number != own and number not in parents:
                parents.append(number)
    return parents


def _add_description(builder: TextBuilder, body: _Body, notes: list[str]) -> None:
    if body.description is None:
        notes.append("no description")
        return
    state = _DescriptionState()
    _walk_description(body.description, builder, state)
    if state.empty:
        notes.append(f"{state.empty} description paragraphs without text (images only) skipped")
    if state.renumbered:
        notes.append(f"{state.renumbered} repeated paragraph numbers cited by position (¶n) instead")
    if state.count == state.empty:
        notes.append("description has no paragraph text")


@dataclass
class _DescriptionState:
    heading: str | None = None
    count: int = 0  # paragraphs seen, for the ¶ path of unnumbered ones
    empty: int = 0
    used: set[str] = field(default_factory=set)
    renumbered: int = 0


def _walk_description(element: Element, builder: TextBuilder, state: _DescriptionState) -> None:
    for child in element:
        if child.tag == "heading":
            state.heading = _text(child) or state.heading
        elif child.tag in ("p", "paragraph"):
            state.count += 1
            _add_paragraph(child, builder, state)
        else:  # description-of-drawings, pap-v16 section wrappers, ...
            _walk_description(child, builder, state)


def _add_paragraph(paragraph: Element, builder: TextBuilder, state: _DescriptionState) -> None:
    # pap-v16 prints the number as a child: <paragraph><number>[0012]</number> text ...
    number_el = paragraph.find("number")
    num = number_el.text if number_el is not None else paragraph.get("num")
    text = _text(paragraph, skip=number_el)
    if not text:
        state.empty += 1
        return
    label = _paragraph_label(num)
    path = f"[{label}]" if label else f"¶{state.count}"
    if path in state.used:
        # v4.0 gives paragraphs that wrap a table the table's number (num="00002"),
        # which repeats a real paragraph's: a path must name one place only.
        state.renumbered += 1
        path = f"¶{state.count}"
    state.used.add(path)
    builder.add("description", path, text, heading=state.heading)


def _paragraph_label(num: str | None) -> str | None:
    """``"0012"`` or ``"[0012]"`` → ``"0012"``; placeholders give None.

    ``num="0000"`` marks unnumbered paragraphs (in-line headings, list items) and v4.0
    writes ``num="heading-00033"`` or ``num="none"``: none of these is a citable number.
    """
    value = (num or "").strip().strip("[]").strip()
    if not value.isdigit() or not value.strip("0"):
        return None
    return value
