"""A title of the U.S. Code in USLM XML (the Office of the Law Revision Counsel's format).

One Document per title. The citable unit is the finest level a reader usually cites in a
search result: a section without subsections, a subsection, or a paragraph when the
subsection has them (``§ 102(a)(1)``). Deeper levels (subparagraphs, clauses) stay inside
their paragraph's text as separate lines, so a paragraph reads whole.

Notes, source credits, tables of contents and editorial footnotes are not statute text and
are left out; repealed or renumbered sections are skipped and listed in ``Document.notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml
import defusedxml.ElementTree as SafeET

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.types import Document

# Containers above the section level that we walk through to find sections.
_CONTAINERS = frozenset(
    {"title", "subtitle", "part", "subpart", "division", "subdivision", "chapter", "subchapter", "article"}
)
# Editorial apparatus: never statute text.
_EDITORIAL = frozenset({"notes", "note", "sourceCredit", "toc", "meta"})
# Levels of the statute hierarchy: each starts a new line when rendered.
_LEVELS = frozenset({"subsection", "paragraph", "subparagraph", "clause", "subclause", "item", "subitem"})
# Which children of a level are emitted as their own Section (paragraph is the finest unit).
_SPLIT_AT: dict[str, frozenset[str]] = {
    "section": frozenset({"subsection", "paragraph"}),
    "subsection": frozenset({"paragraph"}),
}
_LABEL_TAGS = frozenset({"num", "heading"})
_SMALL_WORDS = frozenset({"a", "an", "and", "for", "in", "of", "on", "or", "the", "to"})
_GONE = re.compile(r"^\W*(repealed|renumbered|transferred|omitted|reserved)\b", re.IGNORECASE)


def _tag(elem: Element) -> str:
    """Local name of an element: USLM is namespaced, and the namespace URI varies by version."""
    return elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""


def _norm(text: str) -> str:
    # The XML wraps lines and uses narrow no-break spaces ("§\u202f102"); one plain space reads
    # the same and lets a lexical search for "§ 102" match.
    return re.sub(r"\s+", " ", text).strip()


def _is_editorial(elem: Element) -> bool:
    tag = _tag(elem)
    return tag in _EDITORIAL or (tag == "ref" and elem.get("class") == "footnoteRef")


class _Lines:
    """Collects rendered text line by line: one line per level, chapeau with its label."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._cur: list[str] = []
        self.line_has_body = False  # current line holds more than a "(a) Heading.—" label
        self.has_body = False  # any statute text at all, not only labels

    def add(self, text: str | None, *, label: bool) -> None:
        if not text:
            return
        self._cur.append(text)
        if not label and text.strip():
            self.line_has_body = self.has_body = True

    def newline(self) -> None:
        line = _norm("".join(self._cur))
        if line:
            self.lines.append(line)
        self._cur = []
        self.line_has_body = False

    def text(self) -> str:
        self.newline()
        return "\n".join(self.lines)


def _visit(elem: Element, out: _Lines, footnotes: list[str], *, label: bool = False) -> None:
    tag = _tag(elem)
    if _is_editorial(elem):
        if tag == "note" and elem.get("type") == "footnote":
            footnotes.append(_norm("".join(elem.itertext())))
        out.add(elem.tail, label=label)
        return
    # A new level always starts a line; a <p> only when the line already has text, so that
    # "(a) In General.—" and its first paragraph stay on one line as printed.
    breaks = tag in _LEVELS or tag == "continuation" or (tag == "p" and out.line_has_body)
    if breaks:
        out.newline()
    inner_label = label or tag in _LABEL_TAGS
    out.add(elem.text, label=inner_label)
    for child in elem:
        _visit(child, out, footnotes, label=inner_label)
    if tag in _LEVELS or tag in ("p", "continuation"):
        out.newline()
    out.add(elem.tail, label=label)


def _render(children: list[Element], footnotes: list[str], *, skip_label: bool = False) -> tuple[str, bool]:
    """Text of a run of sibling elements, and whether it holds more than labels."""
    out = _Lines()
    for child in children:
        if skip_label and _tag(child) in _LABEL_TAGS:
            continue  # a section's own "§ 101." and heading go to Section.heading, not the text
        _visit(child, out, footnotes)
    text = out.text()
    return text, out.has_body


def _num(elem: Element) -> str:
    num = next((c for c in elem if _tag(c) == "num"), None)
    if num is None:
        return "?"
    value = num.get("value")
    if value:
        return value.strip()
    # No value attribute: strip the printed decoration "(a)", "§ 101.", "[§ 104." to the bare number.
    return _norm("".join(num.itertext())).strip("[]().§ \u202f") or "?"


def _heading(elem: Element) -> str | None:
    head = next((c for c in elem if _tag(c) == "heading"), None)
    if head is None:
        return None
    return _norm("".join(head.itertext())) or None


@dataclass
class _Emitter:
    """Adds sections to the builder, keeping paths unique and recording what was odd."""

    builder: TextBuilder = field(default_factory=TextBuilder)
    notes: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, path: str, text: str, heading: str | None) -> None:
        if not text.strip():
            return
        unique, n = path, 1
        while unique in self.seen:  # e.g. two subsections both numbered "(f)" after an amendment
            n += 1
            unique = f"{path} [{n}]"
        if unique != path:
            self.notes.append(f"{path} appears more than once: later one cited as {unique}")
        self.seen.add(unique)
        self.builder.add("article", unique, text, heading=heading)


def _emit(
    elem: Element, path: str, heading: str | None, out: _Emitter, footnotes: list[str], prefix: str = ""
) -> None:
    """Emit one level: whole if it has no split children, else its lead, its children and flush text."""
    split = _SPLIT_AT.get(_tag(elem), frozenset())
    skip_label = _tag(elem) == "section"
    children = list(elem)
    first = next((i for i, c in enumerate(children) if _tag(c) in split), None)
    if first is None:
        text, _ = _render(children, footnotes, skip_label=skip_label)
        out.add(path, _join(prefix, text), heading)
        return
    lead, has_body = _render(children[:first], footnotes, skip_label=skip_label)
    if has_body:
        out.add(path, _join(prefix, lead), heading)  # the chapeau: "A person shall be entitled ... unless—"
        prefix = ""
    else:
        # Only a label such as "(b) Exceptions.—": keep it in the text, in front of the first child,
        # rather than as a section that says nothing.
        prefix = _join(prefix, lead)
    pending: list[Element] = []
    for child in children[first:]:
        if _tag(child) in split:
            _emit_flush(pending, path, heading, out, footnotes)
            pending = []
            _emit(child, f"{path}({_num(child)})", heading, out, footnotes, prefix)
            prefix = ""
        else:
            pending.append(child)
    _emit_flush(pending, path, heading, out, footnotes)


def _emit_flush(
    children: list[Element], path: str, heading: str | None, out: _Emitter, footnotes: list[str]
) -> None:
    # Text after the paragraphs that applies to the whole subsection ("flush language") cannot
    # share the chapeau's section (it is not contiguous with it), so it is cited on its own.
    text, has_body = _render(children, footnotes)
    if has_body:
        out.add(f"{path} (flush language)", text, heading)


def _join(prefix: str, text: str) -> str:
    return f"{prefix}\n{text}" if prefix and text else prefix or text


def _iter_sections(elem: Element) -> list[Element]:
    """Sections of the statute, in order, without descending into notes (which quote old text)."""
    found: list[Element] = []
    for child in elem:
        tag = _tag(child)
        if tag == "section":
            found.append(child)
        elif tag in _CONTAINERS:
            found.extend(_iter_sections(child))
    return found


def _is_gone(section: Element) -> bool:
    status = (section.get("status") or "").lower()
    return status in {"repealed", "renumbered", "transferred", "omitted", "reserved"} or bool(
        _GONE.match(_heading(section) or "")
    )


def _emit_section(section: Element, emitter: _Emitter) -> None:
    cite = f"§ {_num(section)}"
    if _is_gone(section):
        # The heading says what happened ("Repealed. Pub. L. 112–29, § 3(d), ...]").
        why = (_heading(section) or section.get("status") or "").strip("[] ")
        emitter.notes.append(f"{cite} skipped: {why}")
        return
    footnotes: list[str] = []
    before = len(emitter.builder.sections)
    _emit(section, cite, _heading(section), emitter, footnotes)
    if len(emitter.builder.sections) == before:
        emitter.notes.append(f"{cite} skipped: no statute text")
    # Footnotes are the editors' ("So in original."), not the statute's: left out, but recorded.
    emitter.notes.extend(f"{cite}: editorial footnote left out: {f}" for f in footnotes)


def _meta_date(root: Element) -> date | None:
    meta = next((c for c in root if _tag(c) == "meta"), None)
    if meta is None:
        return None
    for child in meta:
        if _tag(child) in ("created", "date", "issued") and child.text:
            try:
                return date.fromisoformat(child.text.strip()[:10])
            except ValueError:
                continue
    return None


def _meta_text(root: Element, name: str) -> str | None:
    meta = next((c for c in root if _tag(c) == "meta"), None)
    child = next((c for c in meta if _tag(c) == name), None) if meta is not None else None
    if child is None:
        return None
    return _norm(child.text or "") or None


def _load(path: Path, source: str) -> Element:
    try:
        # defusedxml refuses entity declarations and external references, so nothing is fetched
        # and no entity expansion bomb can run.
        tree = SafeET.parse(str(path), forbid_entities=True, forbid_external=True)
    except OSError as exc:
        raise ParseError(source, "read", str(exc)) from exc
    except XMLSyntaxError as exc:
        raise ParseError(source, "parse XML", str(exc)) from exc
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(source, "parse XML", f"forbidden XML construct: {exc}") from exc
    root = tree.getroot()
    if _tag(root) != "uscDoc":
        raise ParseError(source, "parse XML", f"root element is <{_tag(root)}>, not a USLM <uscDoc>")
    return root


def _title_element(root: Element, source: str) -> Element:
    main = next((c for c in root if _tag(c) == "main"), None)
    title = next((c for c in main if _tag(c) == "title"), None) if main is not None else None
    if title is None:
        raise ParseError(source, "structure", "no <main><title> element")
    return title


def _title_name(heading: str | None) -> str | None:
    # The XML prints the title heading in capitals ("PATENTS"); a citation reads better as "Patents".
    if heading and heading.isupper():
        words = heading.lower().split()
        return " ".join(w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words))
    return heading


def parse_uslm(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse one USLM title file into a single statute Document.

    >>> [doc] = parse_uslm(Path("usc35.xml"))  # doctest: +SKIP
    >>> next(s.text for s in doc.sections if s.path == "§ 102(a)")  # doctest: +SKIP
    '(a) Novelty; Prior Art.—A person shall be entitled to a patent unless—'
    """
    source = source or str(path)
    root = _load(path, source)
    title_elem = _title_element(root, source)
    number = _num(title_elem)
    if number == "?":
        number = _meta_text(root, "docNumber") or "?"
    emitter = _Emitter()
    for section in _iter_sections(title_elem):
        _emit_section(section, emitter)
    if not emitter.builder.sections:
        raise ParseError(source, "structure", "no sections with statute text")
    published = _meta_date(root)
    if published is None:
        emitter.notes.append("no creation date in <meta>: publication_date unknown")
    name = _title_name(_heading(title_elem))
    return [
        Document(
            doc_id=f"usc-{number}".lower(),
            doc_type="statute",
            title=f"{number} U.S.C. — {name}" if name else f"{number} U.S.C.",
            text=emitter.builder.text,
            sections=emitter.builder.sections,
            source=source,
            number=f"{number} U.S.C.",
            publication_date=published,
            jurisdiction="US",
            language="en",
            issuer="United States Congress",
            notes=emitter.notes,
        )
    ]
