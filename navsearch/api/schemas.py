"""Request and response models of the HTTP API.

Response models are plain; request models carry the limits, so they are built by
``request_models(settings)`` from the settings the app was created with (a limit set in
the environment changes what the API accepts, and OpenAPI shows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from navsearch.filters import IPC_PATTERN, JURISDICTION_PATTERN
from navsearch.settings import Settings
from navsearch.types import CrossBuildState, DateField, DocType, Grouping, Mode

IpcPrefix = Annotated[str, StringConstraints(pattern=IPC_PATTERN, max_length=16)]
Jurisdiction = Annotated[str, StringConstraints(pattern=JURISDICTION_PATTERN)]
# Requests are strict: "10" is not the number 10, and an unknown field is an error.
STRICT = ConfigDict(extra="forbid", strict=True)


class PassageOut(BaseModel):
    chunk_id: str
    kind: str
    path: str
    citation: str
    text: str
    start: int
    end: int
    page: int | None
    location: str | None = Field(
        default=None, description="Printed location in a patent PDF: 'col. 3, ll. 10-25', 'p. 3'."
    )
    heading: str | None
    score: float
    dense_rank: int | None
    lexical_rank: int | None
    relevance: float | None = Field(
        None, description="Cosine of query and passage (Chinese queries: share of the query's terms it holds)."
    )


class HitOut(BaseModel):
    doc_id: str
    doc_type: str
    title: str | None
    number: str | None
    score: float
    publication_date: date | None
    application_date: date | None
    jurisdiction: str | None
    ipc: list[str]
    issuer: str | None
    assignee: str | None
    passages: list[PassageOut]
    relevance: float | None = Field(None, description="Its best passage's relevance; 1.0 for a unit the query cites.")
    weak: bool = Field(False, description="Below the relevance floor: the nearest there is, not a match.")
    cited: bool = Field(False, description="The query names it by number (patent number, article, section, rule).")
    more_passages: int = Field(0, description="Passages of a cited unit left out of passages.")
    family_members: list[str] = Field(default_factory=list, description="Other members of its patent family.")


class SearchResponse(BaseModel):
    query: str
    k: int
    group: str
    mode: str
    took_ms: float
    generation: int
    candidates: dict[str, int]
    hits: list[HitOut]
    relevant: bool = Field(
        True, description="False: nothing in the corpus is relevant (no hit reaches the relevance floor); notes say so."
    )
    relevance: float | None = Field(None, description="The best searched hit's relevance.")
    floor: float = Field(0.0, description="The relevance floor it was compared with.")
    notes: list[str] = Field(default_factory=list)
    cited: list[str] = Field(default_factory=list, description="References recognised in the query and where they lead.")


class ChunkOut(BaseModel):
    chunk_id: str
    ordinal: int
    kind: str
    path: str
    text: str
    start: int
    end: int
    page: int | None
    location: str | None = None
    heading: str | None
    claim_number: int | None
    parent_claim: int | None


class DocumentOut(BaseModel):
    doc_id: str
    doc_type: str
    title: str | None
    number: str | None
    source: str
    publication_date: date | None
    application_date: date | None
    priority_date: date | None
    jurisdiction: str | None
    language: str | None
    ipc: list[str]
    cpc: list[str]
    issuer: str | None
    assignee: str | None
    family: list[str]
    cited: list[str]
    notes: list[str]
    text: str | None = Field(None, description="Full text, when asked with include_text=true.")
    chunks: list[ChunkOut]


class CrossLanguageOut(BaseModel):
    state: CrossBuildState = Field(
        description="The published generation's cross-language index: built, being built in the background, "
        "missing, or its last build failed (searches go on without the leg meanwhile)."
    )
    generation: int | None
    embedded: int | None = Field(None, description="Passages with a multilingual vector so far (cached ones included).")
    total: int | None = Field(None, description="Passages of the generation (None until counted).")
    error: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok", "not ready"]
    ready: bool
    model: str | None
    generation: int | None
    counts: dict[str, int]
    detail: str | None = None
    degraded: str | None = Field(
        None, description="Why an older index generation than the published one is serving (it is being rebuilt)."
    )
    cross_language: CrossLanguageOut | None = Field(
        None, description="The cross-language index and its background build's progress; null when the leg is off."
    )


class ReportOut(BaseModel):
    doc_id: str
    source: str
    doc_type: str
    title: str | None
    number: str | None
    found: dict[str, object]
    changed: list[str] = Field(description="The parser's repairs: hyphen joins, removed headers/footers, ...")
    split: list[str] = Field(description="Sections longer than the model's limit, cut into several chunks.")
    chunks: int


class FailureOut(BaseModel):
    path: str
    step: str
    error: str
    at: str


class ContextOut(BaseModel):
    doc_id: str
    start: int
    end: int
    before: str
    passage: str
    after: str
    paths: list[str]


class QuoteOut(BaseModel):
    text: str = Field(description="Verbatim: the document's text[start:end].")
    doc_id: str
    title: str | None
    number: str | None
    path: str
    page: int | None
    start: int
    end: int
    citation: str
    score: float


class SourceOut(BaseModel):
    doc_id: str
    citation: str
    path: str
    text: str
    start: int
    end: int
    score: float


class AnswerOut(BaseModel):
    question: str
    answered: bool = Field(description="False: the corpus does not cover the question; sources are the nearest clauses.")
    answer: str
    quotes: list[QuoteOut]
    sources: list[SourceOut]
    evidence: float
    threshold: float
    mode: Literal["extractive", "generated"]
    notes: list[str]
    generated: dict[str, object] | None = Field(None, description="The checked model answer, when one was asked for.")


class ElementMatchOut(BaseModel):
    element: int = Field(description="Index of the idea's element (0-based).")
    status: Literal["disclosed", "partly", "not found"]
    score: float
    quote: str
    kind: str
    path: str
    page: int | None
    start: int
    end: int
    citation: str
    verified: bool = Field(description="The quote was found at those offsets in the stored text.")


class ReferenceOut(BaseModel):
    rank: int
    doc_id: str
    number: str | None
    title: str | None
    score: float
    publication_date: date | None
    application_date: date | None
    priority_date: date | None
    jurisdiction: str | None
    ipc: list[str]
    assignee: str | None
    family_members: list[str]
    passages: list[PassageOut]
    matches: list[ElementMatchOut]
    relevance: float | None = None
    weak: bool = Field(False, description="Below the relevance floor: listed, but discloses no element for coverage.")


class CutoffOut(BaseModel):
    date_field: str
    before: str
    patents: int = Field(description="Patents the other filters leave.")
    undated: int = Field(description="Of those, the ones without the cutoff's date.")
    removed: int = Field(description="Removed by the cutoff, undated ones included.")
    eligible: int


class CoverageOut(BaseModel):
    anticipating: list[str]
    novelty_candidates: list[int]
    weakly_covered: list[int]
    covering_pairs: list[tuple[str, str]]


class PriorArtOut(BaseModel):
    idea: str
    elements: list[str]
    filters: dict[str, object]
    references: list[ReferenceOut]
    coverage: CoverageOut
    policy: list[HitOut]
    model: str
    generation: int
    corpus_fingerprint: str
    thresholds: dict[str, float]
    created_at: str
    notes: list[str]
    novelty_call: bool = Field(
        True, description="False: the corpus (after the cutoff) cannot support a novelty call; novelty_note says why."
    )
    novelty_note: str | None = None
    relevant: bool = Field(True, description="Some reference reaches the relevance floor.")
    cutoff: CutoffOut | None = None


@dataclass(frozen=True)
class RequestModels:
    search: type[BaseModel]
    prior_art: type[BaseModel]
    ask: type[BaseModel]


def request_models(settings: Settings) -> RequestModels:
    """The request bodies, with the limits of these settings."""
    api, pa = settings.api, settings.prior_art
    n = api.max_filter_values

    class SearchRequest(BaseModel):
        model_config = STRICT

        like: str | None = Field(
            None, min_length=1, max_length=200, description="A doc id: documents like it (query may then be empty)."
        )
        query: str = Field(
            ...,
            max_length=api.max_search_chars,
            description='An idea, a question or keywords (or a whole claim set or case description); may cite by number (US6078496, 35 U.S.C. 102), exclude '
            '(-word), and require ("a phrase", a AND b). Empty only with like.',
        )

        @field_validator("query")
        @classmethod
        def _query_or_like(cls, value: str, info: ValidationInfo) -> str:
            if not value.strip() and not info.data.get("like"):
                raise ValueError("query is empty (it may be empty only with like)")
            return value
        k: int = Field(10, ge=1, le=api.max_k, description="Number of results (documents, or chunks with group='chunk').")
        group: Grouping = Field("document", description="One hit per document, or per passage.")
        mode: Mode = Field("hybrid", description="Retrievers to use.")
        doc_types: list[DocType] = Field(default_factory=list, max_length=3)
        date_field: DateField = "publication"
        date_from: date | None = Field(None, description="Only documents dated on or after this day.", strict=False)
        date_to: date | None = Field(None, description="Only documents dated on or before this day.", strict=False)
        ipc: list[IpcPrefix] = Field(
            default_factory=list, max_length=n, description="IPC prefixes such as 'H01M' or 'G06F1/16'."
        )
        jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=n, description="e.g. US, EP, WO, CN, EU.")
        assignees: list[Annotated[str, StringConstraints(min_length=2, max_length=200)]] = Field(
            default_factory=list, max_length=n, description="Assignee names or parts of them (any case)."
        )
        format: Literal["json", "csv"] = Field("json", description="csv: one row per passage.")

    class PriorArtRequest(BaseModel):
        model_config = STRICT

        idea: str = Field(..., min_length=1, max_length=pa.max_idea_chars, description="A paragraph or a draft claim.")
        elements: list[Annotated[str, StringConstraints(min_length=1, max_length=pa.max_element_chars)]] | None = Field(
            None, max_length=pa.max_elements, description="The idea's elements, if you want to give them yourself."
        )
        priority_date: date | None = Field(
            None, description="Only references dated before this day count.", strict=False
        )
        cutoff_field: DateField = Field("publication", description="Which date of a reference the cutoff applies to.")
        ipc: list[IpcPrefix] = Field(default_factory=list, max_length=n)
        jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=n)
        k: int = Field(10, ge=1, le=pa.max_k, description="Patent families to return.")
        policy_k: int = Field(
            pa.policy_k, ge=0, le=pa.max_policy_k, description="Policy and statute clauses to return."
        )
        format: Literal["json", "csv"] = Field("json", description="csv: reference x element rows for filing.")

    class AskRequest(BaseModel):
        model_config = STRICT

        question: str = Field(..., min_length=1, max_length=api.max_query_chars)
        doc_types: list[DocType] = Field(default_factory=list, max_length=3)
        jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=n)
        date_from: date | None = Field(None, strict=False)
        date_to: date | None = Field(None, strict=False)
        generate: bool = Field(False, description="Also ask the configured LLM endpoint and verify its answer.")
        stream: bool = Field(False, description="With generate: stream server-sent events (sources, token..., final).")

    return RequestModels(search=SearchRequest, prior_art=PriorArtRequest, ask=AskRequest)
