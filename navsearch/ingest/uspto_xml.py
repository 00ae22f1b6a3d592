"""Parse USPTO full-text XML: grants and applications (DTD v4.0–v4.5) and 2004 applications.

USPTO ships weekly bulk files (``ipgYYMMDD.xml``, ``ipaYYMMDD.xml``) that are not one XML
document but many concatenated ones, each with its own ``<?xml ...?>`` declaration and
``<!DOCTYPE ... SYSTEM "....dtd" [ ]>``. We split on the declarations and parse each piece
on its own with defusedxml: the external DTD is never loaded (expat does not read external
subsets unless asked) and any entity declaration is refused, so billion-laughs and XXE
documents fail with a ParseError instead of expanding.

Named entities that only the DTD defines (``&mdash;``) would make expat fail on an
undefined entity, since the DTD is not read. They are rewritten to numeric character
references before parsing, which needs no entity expansion at all.

Supported roots:
- ``us-patent-grant`` / ``us-patent-application`` (v4.0 2004-12-02 to v4.5 2014-04-03);
- ``patent-application-publication`` (pap-v16, applications published 2001–2004);
- ``sequence-cwu`` (a grant's sequence listing, shipped as a separate document right after
  the grant it belongs to): skipped, with a note on that grant.
"""

from __future__ import annotations

import html.entities
import logging
import re
from collections.abc import Iterable, Iterator
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

__all__ = ["iter_uspto_documents", "parse_uspto_xml", "split_documents"]

log = logging.getLogger(__name__)

# A declaration starts every document of a bulk file; `\s` keeps `<?xml-stylesheet` out.
_XML_DECL = re.compile(rb"<\?xml\s")
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_REPLACEMENT_REF = b"&#xFFFD;"

_GRANT_ROOTS = frozenset({"us-patent-grant", "us-patent-application"})
_PAP_ROOT = "patent-application-publication"
_SEQUENCE_ROOT = "sequence-cwu"

# Elements that start a new line in print: their text must not run into the neighbour's
# (`<li>a</li><li>b</li>` is "a b", not "ab"). Inline tags (b, i, sub, sup) stay glued.
_BLOCK_TAGS = frozenset(
    {"p", "paragraph", "claim-text", "heading", "li", "entry", "row", "br", "dd", "dt", "title"}
)
_CLAIM_NUMBER_PREFIX = re.compile(r"^\d+\s*\.(?!\d)\s*")
_US_NUMBER = re.compile(r"^([A-Z]*)0*(\d.*)$")


# ---------------------------------------------------------------------------
# Public API


def parse_uspto_xml(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse one USPTO XML file (single document or weekly bulk file) into Documents."""
    name = source if source is not None else Path(path).as_posix()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ParseError(name, "read", str(exc)) from exc
    return list(iter_uspto_documents(data, name))


def iter_uspto_documents(data: bytes, source: str) -> Iterator[Document]:
    """Yield one Document per patent document in ``data``, in file order.

    A document is yielded only once the next piece has been looked at, because a grant's
    sequence listing follows it as a separate piece and is recorded in the grant's notes.
    """
    pieces = split_documents(data)
    if not pieces:
        raise ParseError(source, "split", "no XML document found")
    total = len(pieces)
    pending: Document | None = None
    for index, (offset, piece) in enumerate(pieces, start=1):
        where = f"document {index}/{total} (byte {offset})"
        root, notes = _parse_piece(piece, source, where)
        if root.tag == _SEQUENCE_ROOT:
            _note_sequence_listing(root, pending, source)
            continue
        doc = _build_document(root, source, where, notes)
        if pending is not None:
            yield pending
        pending = doc
    if pending is not None:
        yield pending


def split_documents(data: bytes) -> list[tuple[int, bytes]]:
    """Cut a bulk file at each ``<?xml`` declaration: ``(byte offset, piece)`` pairs."""
    starts = [m.start() for m in _XML_DECL.finditer(data)]
    if not starts or data[: starts[0]].strip():
        # No declaration at all, or content before the first one: keep it as a piece so
        # that it is parsed (and fails loudly) rather than silently dropped.
        starts.insert(0, 0)
    ends = starts[1:] + [len(data)]
    return [(a, data[a:b]) for a, b in zip(starts, ends) if data[a:b].strip()]


# ---------------------------------------------------------------------------
# Safe parsing


def _parse_piece(piece: bytes, source: str, where: str) -> tuple[Element, list[str]]:
    notes: list[str] = []
    piece = _replace_named_entities(piece, notes)
    try:
        # forbid_dtd=False: every USPTO document has a DOCTYPE. Entity declarations and
        # external references stay forbidden, which is what defuses the attacks.
        root = SafeET.fromstring(piece, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(source, f"{where}: xml security", f"refused: {exc}") from exc
    except XMLSyntaxError as exc:
        raise ParseError(source, f"{where}: xml syntax", str(exc)) from exc
    return root, notes


def _replace_named_entities(piece: bytes, notes: list[str]) -> bytes:
    """Rewrite DTD-only named entities (``&mdash;``) as numeric character references.

    The DTD that defines them is never read, so expat would reject them as undefined.
    Numeric references need no entity machinery; unknown names become U+FFFD (noted)
    rather than losing the whole patent over one character.
    """
    replaced = 0
    unknown: set[str] = set()

    def substitute(match: re.Match[bytes]) -> bytes:
        nonlocal replaced
        name = match.group(1)
        if name in _XML_PREDEFINED:
            return match.group(0)
        chars = html.entities.html5.get(name.decode("ascii") + ";")
        if chars is None:
            unknown.add(name.decode("ascii"))
            return _REPLACEMENT_REF
        replaced += 1
        return "".join(f"&#x{ord(c):X};" for c in chars).encode("ascii")

    if b"&" not in piece:
        return piece
    out = _NAMED_ENTITY.sub(substitute, piece)
    if replaced:
        notes.append(f"{replaced} named entities replaced by their characters")
    if unknown:
        notes.append(f"unknown named entities replaced by U+FFFD: {', '.join(sorted(unknown))}")
    return out


def _note_sequence_listing(root: Element, previous: Document | None, source: str) -> None:
    """Sequence listings are not patents; record on their grant that one was skipped."""
    doc_id = root.find("publication-reference/document-id")
    number = _format_number(_child_text(doc_id, "country") or "US", _child_text(doc_id, "doc-number"))
    if previous is not None and re.fullmatch(re.escape(number) + r"[A-Z]\d?", previous.number or ""):
        previous.notes.append("sequence listing (sequence-cwu) skipped")
    else:
        # Sample files drop grants but keep their listings: nothing to attach the note to.
        log.info("%s: sequence listing of %s skipped; its patent is not the previous one", source, number)


# ---------------------------------------------------------------------------
# Metadata common to both schemas


@dataclass
class _Meta:
    country: str | None = None
    doc_number: str | None = None
    kind: str | None = None
    title: str | None = None
    publication_date: date | None = None
    application_date: date | None = None
    priority_date: date | None = None
    ipc: list[str] = field(default_factory=list)
    cpc: list[str] = field(default_factory=list)
    assignee: str | None = None
    cited: list[str] = field(default_factory=list)


@dataclass
class _Body:
    abstract: Element | None
    claims: list[Element]
    description: Element | None
    dependency_tags: tuple[tuple[str, str], ...]  # (tag, attribute) naming a parent claim


def _build_document(root: Element, source: str, where: str, notes: list[str]) -> Document:
    if root.tag in _GRANT_ROOTS:
        meta, body = _read_v4(root, notes)
    elif root.tag == _PAP_ROOT:
        meta, body = _read_pap(root, notes)
    else:
        raise ParseError(source, f"{where}: root", f"unsupported root element <{root.tag}>")
    if not meta.doc_number:
        raise ParseError(source, f"{where}: publication number", "no doc-number in publication reference")
    builder = TextBuilder()
    _add_abstract(builder, body, notes)
    _add_claims(builder, body, notes)
    _add_description(builder, body, notes)
    if not meta.title and not builder.sections:
        raise ParseError(source, f"{where}: content", "document has neither a title nor any text")
    if not builder.sections:
        notes.append("no abstract, claims or description text")
    number = _format_number(meta.country or "US", meta.doc_number) + (meta.kind or "")
    return Document(
        doc_id=number,
        doc_type="patent",
        title=meta.title,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=number,
        publication_date=meta.publication_date,
        application_date=meta.application_date,
        priority_date=meta.priority_date,
        jurisdiction=meta.country,
        language="en",
        ipc=meta.ipc,
        cpc=meta.cpc,
        assignee=meta.assignee,
        cited=meta.cited,
        notes=notes,
    )


# ---------------------------------------------------------------------------
# v4.x grants and applications


def _read_v4(root: Element, notes: list[str]) -> tuple[_Meta, _Body]:
    # A missing block leaves doc_number empty, which _build_document reports.
    biblio = next((c for c in root if c.tag.startswith("us-bibliographic-data")), Element("none"))
    meta = _Meta()
    pub = biblio.find("publication-reference/document-id")
    meta.country = _child_text(pub, "country")
    meta.doc_number = _child_text(pub, "doc-number")
    meta.kind = _child_text(pub, "kind")
    meta.publication_date = _parse_date(_child_text(pub, "date"), "publication date", notes)
    app = biblio.find("application-reference/document-id")
    meta.application_date = _parse_date(_child_text(app, "date"), "application date", notes)
    meta.priority_date = _earliest(
        _parse_date(_child_text(pc, "date"), "priority date", notes)
        for pc in biblio.iterfind("priority-claims/priority-claim")
    )
    title = biblio.find("invention-title")
    meta.title = _text(title) or None
    meta.ipc = _v4_ipc(biblio, notes)
    # Only the document's own CPC: the search-field and citation blocks carry CPC too.
    meta.cpc = _unique(
        _symbol(c)
        for block in ("main-cpc", "further-cpc")
        for c in biblio.iterfind(f"classifications-cpc/{block}/classification-cpc")
    )
    meta.assignee = _v4_assignee(biblio)
    meta.cited = _v4_cited(biblio)
    body = _Body(
        abstract=root.find("abstract"),
        claims=root.findall("claims/claim"),
        description=root.find("description"),
        dependency_tags=(("claim-ref", "idref"),),
    )
    return meta, body


def _v4_ipc(biblio: Element, notes: list[str]) -> list[str]:
    # IPC reform (2006) brought structured `classifications-ipcr`; v4.0 and early v4.1
    # documents only carry the fixed-width `classification-ipc` strings.
    ipcr = biblio.findall("classifications-ipcr/classification-ipcr")
    if ipcr:
        return _unique(_symbol(c) for c in ipcr)
    old = biblio.find("classification-ipc")
    if old is None:
        return []
    raw = [e.text or "" for e in old if e.tag in ("main-classification", "further-classification")]
    return _normalise_ipc_strings(raw, notes)


def _v4_assignee(biblio: Element) -> str | None:
    assignee = biblio.find(".//assignees/assignee")
    if assignee is None:
        return None
    org = assignee.find(".//orgname")
    if org is not None and _text(org):
        return _text(org)
    # Individuals own some patents: addressbook has first-name/last-name instead.
    person = " ".join(
        _text(e) for tag in ("first-name", "last-name") for e in assignee.iterfind(f".//{tag}")
    )
    return person.strip() or None


def _v4_cited(biblio: Element) -> list[str]:
    numbers: list[str] = []
    for container in ("references-cited", "us-references-cited"):  # before / from v4.3
        refs = biblio.find(container)
        if refs is None:
            continue
        for doc_id in refs.iterfind(".//patcit/document-id"):
            country = _child_text(doc_id, "country")
            number = _child_text(doc_id, "doc-number")
            if country and number:
                numbers.append(_format_number(country, number))
    return _unique(numbers)


# ---------------------------------------------------------------------------
# pap-v16 applications (2001–2004)


def _read_pap(root: Element, notes: list[str]) -> tuple[_Meta, _Body]:
    biblio = root.find("subdoc-bibliographic-information")
    if biblio is None:
        biblio = Element("subdoc-bibliographic-information")
    meta = _Meta()
    pub = biblio.find("document-id")
    meta.doc_number = _child_text(pub, "doc-number")
    meta.kind = _child_text(pub, "kind-code")
    meta.country = _child_text(pub, "country-code")
    if not meta.country:
        # pap-v16 only states a country for foreign documents; its own are US.
        meta.country = "US"
        notes.append("publication country not stated; assumed US")
    meta.publication_date = _parse_date(_child_text(pub, "document-date"), "publication date", notes)
    meta.application_date = _parse_date(
        biblio.findtext("domestic-filing-data/filing-date"), "application date", notes
    )
    meta.priority_date = _earliest(
        _parse_date(fp.findtext("filing-date"), "priority date", notes)
        for fp in biblio.iter("foreign-priority-data")
    )
    title = biblio.find("technical-information/title-of-invention")
    meta.title = _text(title) or None
    raw_ipc = [e.text or "" for e in biblio.iterfind("technical-information/classification-ipc//ipc")]
    meta.ipc = _normalise_ipc_strings(raw_ipc, notes)
    meta.assignee = _pap_assignee(biblio)
    body = _Body(
        abstract=root.find("subdoc-abstract"),
        claims=root.findall("subdoc-claims/claim"),
        description=root.find("subdoc-description"),
        dependency_tags=(("dependent-claim-reference", "depends_on"), ("claim-ref", "idref")),
    )
    return meta, body


def _pap_assignee(biblio: Element) -> str | None:
    assignee = biblio.find("assignee")
    if assignee is None:
        return None
    org = assignee.findtext("organization-name")
    if org and org.strip():
        return " ".join(org.split())
    return _text(assignee.find("name")) or None


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


# ---------------------------------------------------------------------------
# Small helpers


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


def _parse_date(value: str | None, what: str, notes: list[str]) -> date | None:
    if not value:
        return None
    value = value.strip()
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        notes.append(f"invalid {what} {value!r} ignored")
        return None


def _earliest(dates: Iterable[date | None]) -> date | None:
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def _symbol(c: Element) -> str:
    """IPCR / CPC element → ``H01M2/10``: section+class+subclass+group/subgroup."""
    head = "".join((c.findtext(t) or "").strip() for t in ("section", "class", "subclass"))
    group = (c.findtext("main-group") or "").strip()
    subgroup = (c.findtext("subgroup") or "").strip()
    return f"{head}{group}/{subgroup}" if group and subgroup else head


_IPC_HEAD = re.compile(r"^([A-H])\s*(\d{1,2})\s*([A-Z])(.*)$")


def _normalise_ipc(raw: str) -> str | None:
    """Old-style IPC strings → ``A45F5/04``.

    Two spellings occur: v4.0's fixed-width ``"A45F  504"`` (subclass in 4 columns, main
    group right-aligned in 3, subgroup after) and pap-v16's ``"A41B001/00"``.
    """
    s = raw.strip().upper()
    m = _IPC_HEAD.match(s)
    if not m:
        return None
    head = f"{m.group(1)}{int(m.group(2)):02d}{m.group(3)}"
    rest = m.group(4)
    if not rest.strip():
        return head
    if "/" in rest:
        group, subgroup = (part.strip() for part in rest.split("/", 1))
    else:
        # Fixed width counts from the start of the string, so spaces are significant.
        rest = s[4:]
        group, subgroup = rest[:3].strip(), rest[3:].strip()
    if not (group.isdigit() and subgroup.isdigit()):
        return None
    return f"{head}{int(group)}/{subgroup}"


def _normalise_ipc_strings(raw: list[str], notes: list[str]) -> list[str]:
    codes: list[str] = []
    for value in raw:
        if not value.strip():
            continue
        code = _normalise_ipc(value)
        if code is None:
            notes.append(f"IPC {value.strip()!r} not understood; skipped")
        else:
            codes.append(code)
    return _unique(codes)


def _format_number(country: str, doc_number: str | None) -> str:
    """Country + number as cited: ``US`` + ``06836899`` → ``US6836899``.

    Cited numbers sometimes repeat the country (``WO 03/015838``, ``WO-2008137319``) and
    carry spaces (``0 906 947``). US numbers lose leading zeros after their series letters
    (``D0534340`` → ``D534340``) and the slash of pre-2004 publications (``2001/0003163``);
    other offices keep their zeros (``EP0906947`` is how EP numbers are written).
    """
    country = country.strip().upper()
    number = "".join((doc_number or "").split())
    if number.upper().startswith(country) and len(number) > len(country):
        number = number[len(country) :].lstrip("-")
    if country == "US":
        number = number.replace("/", "")
        m = _US_NUMBER.match(number)
        if m:
            number = m.group(1) + m.group(2)
    return f"{country}{number}"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
