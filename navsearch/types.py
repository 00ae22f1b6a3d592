"""Plain data passed between the layers: documents, their sections, chunks, hits.

Nothing here does I/O. Offsets are character offsets into ``Document.text``, so any
passage can be quoted verbatim and checked against the stored text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args

# The allowed values of the words users and layers exchange, each defined once here: the
# settings, the HTTP schemas, the CLI's checks and the catalog's columns all derive theirs.
DocType = Literal["patent", "policy", "statute"]
DOC_TYPES: tuple[DocType, ...] = get_args(DocType)
DateField = Literal["publication", "application", "priority"]  # a patent's three dates
DATE_FIELDS: tuple[DateField, ...] = get_args(DateField)
Mode = Literal["hybrid", "dense", "lexical"]  # which retrievers rank
MODES: tuple[Mode, ...] = get_args(Mode)
Grouping = Literal["document", "chunk"]  # one hit per document, or per passage
# A generation's cross-language index: built, being built (in the background), missing, or its build failed.
CrossBuildState = Literal["missing", "building", "done", "failed"]
GROUPINGS: tuple[Grouping, ...] = get_args(Grouping)

# Section kinds. Structural units a reader cites.
SectionKind = Literal[
    "title",
    "abstract",
    "claim",
    "description",
    "clause",  # a numbered provision of a circular or regulation
    "article",  # an article / section / paragraph of a statute
    "preamble",  # text before the first numbered provision (addressees, recitals)
    "closing",  # signature, date lines
    "page",  # a PDF page whose structure is unknown
    "heading",  # a heading line: in the text and cited by number, not retrieved on its own
    "text",  # anything else
]
SECTION_KINDS: tuple[SectionKind, ...] = get_args(SectionKind)


@dataclass(frozen=True)
class Section:
    """One citable unit of a document's text.

    ``path`` is what a reader cites: ``IV.ii.1``, ``§ 102(a)(1)``, ``Article 17(1)``,
    ``claim 3``, ``abstract``, ``[0012]``. ``start``/``end`` index ``Document.text``.
    ``page`` is the physical page of a PDF; ``location`` is where the text is printed, as
    patent agents cite it: ``col. 3, ll. 10-25`` (US grant), ``p. 3`` (printed page
    number), or None when the document prints neither.
    """

    kind: SectionKind
    path: str
    text: str
    start: int
    end: int
    page: int | None = None
    heading: str | None = None  # heading of the provision (or of its enclosing one)
    claim_number: int | None = None
    parent_claim: int | None = None  # the claim a dependent claim refers to
    location: str | None = None  # printed location: "col. 3, ll. 10-25", "p. 3"


@dataclass
class Document:
    """A parsed document: full text, its citable sections and its metadata."""

    doc_id: str  # stable, URL-safe: a patent's publication number, or a slug
    doc_type: DocType
    title: str | None
    text: str
    sections: list[Section]
    source: str  # file the document came from (relative to the corpus when possible)
    number: str | None = None  # publication number / document number / statute citation
    publication_date: date | None = None
    application_date: date | None = None
    priority_date: date | None = None
    jurisdiction: str | None = None  # "US", "EP", "CN", "EU", "WO", ...
    language: str = "en"
    ipc: list[str] = field(default_factory=list)
    cpc: list[str] = field(default_factory=list)
    issuer: str | None = None
    assignee: str | None = None
    family: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the parser repaired or could not tell

    def content_hash(self) -> str:
        """Hash of everything that shapes the chunks, to skip unchanged documents."""
        h = hashlib.sha256()
        h.update(self.text.encode("utf-8"))
        for s in self.sections:
            h.update(f"\x00{s.kind}\x00{s.path}\x00{s.start}\x00{s.end}\x00{s.page}".encode())
            if s.location is not None:  # only then, so documents without locations keep their hash
                h.update(f"\x00{s.location}".encode())
        return h.hexdigest()


@dataclass(frozen=True)
class DocumentMeta:
    """A stored document's metadata: what hits, citations and reports show of it (the
    catalog's row, lists decoded, dates as ``date``)."""

    doc_id: str
    doc_type: DocType
    title: str | None
    number: str | None
    source: str
    publication_date: date | None = None
    application_date: date | None = None
    priority_date: date | None = None
    jurisdiction: str | None = None
    language: str | None = None
    ipc: tuple[str, ...] = ()
    cpc: tuple[str, ...] = ()
    issuer: str | None = None
    assignee: str | None = None
    family: tuple[str, ...] = ()
    cited: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    content_hash: str = ""  # what the catalog compares to skip an unchanged document
    chunker: str = ""  # the chunker settings its chunks were cut with


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval: a section, or a token-bounded piece of one."""

    chunk_id: str
    doc_id: str
    ordinal: int  # position within the document
    kind: str
    path: str
    text: str  # verbatim: Document.text[start:end]
    start: int
    end: int
    page: int | None = None
    heading: str | None = None
    claim_number: int | None = None
    parent_claim: int | None = None
    context: str = ""  # title / heading chain prepended for embedding and BM25, not quoted
    location: str | None = None  # its section's printed location (Section.location)

    @property
    def embed_text(self) -> str:
        return embedded_text(self.context, self.text)


def embedded_text(context: str, text: str) -> str:
    """What is embedded and indexed for BM25: the chunk's context line, then its text."""
    return f"{context}\n{text}" if context else text


def chunk_id_for(doc_id: str, path: str, text: str) -> str:
    """Deterministic chunk id: same document, path and text give the same id."""
    digest = hashlib.sha256(f"{doc_id}\x00{path}\x00{text}".encode("utf-8")).hexdigest()
    return digest[:24]


@dataclass(frozen=True)
class Filters:
    """Search filters. Dates compare ISO strings of the chosen date field."""

    doc_types: tuple[str, ...] = ()
    date_field: DateField = "publication"
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    ipc_prefixes: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    # Also let documents with no jurisdiction through (a jurisdiction inferred from a
    # question's words should not hide a corpus whose documents do not state theirs).
    unknown_jurisdiction_ok: bool = False
    # Assignee names (or parts of them, any case): a document matches one of them.
    assignees: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (
            self.doc_types or self.date_from or self.date_to or self.ipc_prefixes or self.jurisdictions
            or self.assignees
        )


@dataclass(frozen=True)
class Passage:
    """A matching chunk inside a hit, with everything needed to cite it."""

    chunk_id: str
    kind: str
    path: str
    text: str
    start: int
    end: int
    page: int | None
    heading: str | None
    score: float
    dense_rank: int | None
    lexical_rank: int | None
    citation: str
    location: str | None = None  # printed location of its chunk (Chunk.location)
    # How relevant it is whatever its rank (navsearch/retrieval/relevance.py): the cosine of
    # query and passage, or for a Chinese query the share of its terms the passage holds.
    relevance: float | None = None


@dataclass(frozen=True)
class Hit:
    """A search result: a document with its best passages (or a single one)."""

    doc_id: str
    doc_type: str
    title: str | None
    number: str | None
    score: float
    publication_date: date | None
    application_date: date | None
    jurisdiction: str | None
    ipc: tuple[str, ...]
    issuer: str | None
    assignee: str | None
    passages: tuple[Passage, ...]
    relevance: float | None = None  # its best passage's relevance (1.0: a unit the query cites)
    weak: bool = False  # below the relevance floor: the nearest there is, not a match
    cited: bool = False  # the query names it by number (patent number, article, section, rule)
    more_passages: int = 0  # passages of a cited unit left out of ``passages``
    family_members: tuple[str, ...] = ()  # the other members of its patent family (collapsed into it)
