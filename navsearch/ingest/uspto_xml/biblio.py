"""Bibliographic data of the two schemas (v4.x, pap-v16) and where their body parts are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from xml.etree.ElementTree import Element

from navsearch.ingest.uspto_xml.body import _Body
from navsearch.ingest.uspto_xml.codes import _format_number, _normalise_ipc_strings, _symbol, _unique
from navsearch.ingest.uspto_xml.xml_text import _child_text, _text

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
# Dates


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
