"""Settings of ingestion: what is read, how, and the caps that keep one file from taking the machine."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class IngestSettings(BaseModel):
    """What one file may cost and change at ingestion. Each file is parsed in a worker
    process under these limits; a file over one is recorded as failed, and the run goes on."""

    parse_timeout_s: float = Field(
        300.0,
        gt=0,
        le=86_400,
        description="Seconds a file's parse may take; the parser process is killed after that and the file recorded as failed.",
    )
    parse_memory_mb: int = Field(
        4096,
        ge=128,
        description=(
            "Address space of the parser process in MB (RLIMIT_AS): a parse needing more is "
            "stopped and the file recorded as failed. Raise it for USPTO weekly bulk files."
        ),
    )
    max_file_mb: float = Field(
        512.0, gt=0, description="Files larger than this (in MB) are refused before they are read."
    )
    max_shrink_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Largest share of a file's stored documents one re-ingest may remove (a truncated copy "
            "would otherwise delete the rest silently); more is refused for that file unless "
            "`navsearch ingest --allow-shrink`."
        ),
    )
    commit_every: int = Field(
        256,
        ge=1,
        le=100_000,
        description=(
            "Embedded chunks kept in the catalog together while a file is embedded, so a killed "
            "ingest loses at most this many and the next one resumes."
        ),
    )
    # types.DOC_TYPES spelled out: settings import nothing of navsearch (a test checks they agree).
    kinds: dict[str, Literal["patent", "policy", "statute"]] = Field(
        default_factory=dict,
        description=(
            "Force the kind of files whose source matches a glob, e.g. {\"memos/*\": \"policy\"} "
            "('*' crosses folders; first match wins). Otherwise the kind is read from the content: "
            "a PDF with a patent front page or claims is a patent, any other document is policy."
        ),
    )
    ocr: bool = Field(
        True,
        description=(
            "Read PDF pages without a text layer with OCRmyPDF + Tesseract when installed "
            "(apt-get install ocrmypdf tesseract-ocr-eng tesseract-ocr-chi-sim); without them "
            "such files are reported, never indexed empty."
        ),
    )
    ocr_languages: str = Field(
        "eng+chi_sim", pattern=r"^[a-z_]+(\+[a-z_]+)*$", description="Tesseract languages for OCR."
    )
    ocr_timeout_s: float = Field(
        240.0, gt=0, le=86_400, description="Seconds OCR of one PDF may take (kept below parse_timeout_s)."
    )
    archive_max_members: int = Field(
        10_000, ge=1, description="Most files one zip archive may hold; more: the archive is refused."
    )
    archive_max_member_mb: float = Field(
        4096.0, gt=0, description="Largest uncompressed file inside a zip archive, in MB (counted as read)."
    )
    archive_max_total_mb: float = Field(
        8192.0, gt=0, description="Most uncompressed MB one zip archive may expand to (counted as read)."
    )
    archive_max_ratio: float = Field(
        100.0,
        gt=1,
        description=(
            "Largest uncompressed/compressed size ratio of a zip member (USPTO bulk XML: about 15); "
            "higher is a zip bomb and is refused."
        ),
    )
