"""Inner text of an element, whitespace collapsed, block elements kept apart; a child's text."""

from __future__ import annotations

from xml.etree.ElementTree import Element

# Elements that start a new line in print: their text must not run into the neighbour's
# (`<li>a</li><li>b</li>` is "a b", not "ab"). Inline tags (b, i, sub, sup) stay glued.
_BLOCK_TAGS = frozenset(
    {"p", "paragraph", "claim-text", "heading", "li", "entry", "row", "br", "dd", "dt", "title"}
)


def _text(element: Element | None, skip: Element | None = None) -> str:
    """All inner text, whitespace collapsed; block elements are kept apart by a space."""
    if element is None:
        return ""
    parts: list[str] = []
    _collect_text(element, parts, skip)
    return " ".join("".join(parts).split())


def _collect_text(element: Element, parts: list[str], skip: Element | None) -> None:
    block = element.tag in _BLOCK_TAGS
    if block:
        parts.append(" ")
    if element.text:
        parts.append(element.text)
    for child in element:
        if child is not skip:
            _collect_text(child, parts, skip)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append(" ")


def _child_text(element: Element | None, tag: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(tag)
    return value.strip() or None if value else None
