"""Request and response models of the HTTP API, with their limits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from navsearch.settings import ApiSettings

LIMITS = ApiSettings()
IPC_PATTERN = r"^[A-H](\d{2}([A-Z](\d{1,4}(/\d{1,6})?)?)?)?$"
IpcPrefix = Annotated[str, StringConstraints(pattern=IPC_PATTERN, max_length=16)]
Jurisdiction = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., min_length=1, max_length=LIMITS.max_query_chars, description="An idea, a question or keywords.")
    k: int = Field(10, ge=1, le=LIMITS.max_k, description="Number of results (documents, or chunks with group='chunk').")
    group: Literal["document", "chunk"] = Field("document", description="One hit per document, or per passage.")
    mode: Literal["hybrid", "dense", "lexical"] = Field("hybrid", description="Retrievers to use.")
    doc_types: list[Literal["patent", "policy", "statute"]] = Field(default_factory=list, max_length=3)
    date_field: Literal["publication", "application", "priority"] = "publication"
    date_from: date | None = Field(None, description="Only documents dated on or after this day.")
    date_to: date | None = Field(None, description="Only documents dated on or before this day.")
    ipc: list[IpcPrefix] = Field(
        default_factory=list, max_length=20, description="IPC prefixes such as 'H01M' or 'G06F1/16'."
    )
    jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=20, description="e.g. US, EP, WO, CN, EU.")


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


class SearchResponse(BaseModel):
    query: str
    k: int
    group: str
    mode: str
    took_ms: float
    generation: int
    candidates: dict[str, int]
    hits: list[HitOut]


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


class HealthOut(BaseModel):
    status: Literal["ok", "not ready"]
    ready: bool
    model: str | None
    generation: int | None
    counts: dict[str, int]
    detail: str | None = None


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


class PriorArtRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idea: str = Field(..., min_length=1, max_length=6000, description="A paragraph or a draft claim.")
    elements: list[Annotated[str, StringConstraints(min_length=1, max_length=1000)]] | None = Field(
        None, max_length=12, description="The idea's elements, if you want to give them yourself."
    )
    priority_date: date | None = Field(None, description="Only references dated before this day count.")
    cutoff_field: Literal["publication", "application", "priority"] = Field(
        "publication", description="Which date of a reference the cutoff applies to."
    )
    ipc: list[IpcPrefix] = Field(default_factory=list, max_length=20)
    jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=20)
    k: int = Field(10, ge=1, le=50, description="Patent families to return.")
    policy_k: int = Field(5, ge=0, le=50, description="Policy and statute clauses to return.")
    format: Literal["json", "csv"] = Field("json", description="csv: reference x element rows for filing.")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=LIMITS.max_query_chars)
    doc_types: list[Literal["patent", "policy", "statute"]] = Field(default_factory=list, max_length=3)
    jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=20)
    date_from: date | None = None
    date_to: date | None = None
    generate: bool = Field(False, description="Also ask the configured LLM endpoint and verify its answer.")
    stream: bool = Field(False, description="With generate: stream server-sent events (sources, token..., final).")
