"""What a parser is told besides the file: the kind forced on it, OCR, archive caps.

The indexer builds one ParseOptions per file from ``settings.ingest`` and sends it to the
parse worker with the file, so a parser never reads the settings (or the environment)
itself and a service built with other settings parses with those.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from navsearch.settings import IngestSettings
from navsearch.types import DocType

# The note prefix that marks a document whose text (some of it) came from OCR; the
# ingestion report's "ocr" column is read from it.
OCR_NOTE = "OCR:"


@dataclass(frozen=True)
class ParseOptions:
    """The values come from ``settings.ingest`` (their one owner): see ``for_file``."""

    kind: DocType | None  # forced document kind; None: decided from the content
    ocr: bool  # run OCR on pages without a text layer (when OCRmyPDF is installed)
    ocr_languages: str
    ocr_timeout_s: float
    archive_max_members: int
    archive_max_member_mb: float
    archive_max_total_mb: float
    archive_max_ratio: float

    @classmethod
    def for_file(cls, source: str, ingest: IngestSettings | None = None) -> "ParseOptions":
        """The options ``ingest`` (default: the defaults) gives the file named ``source``."""
        ingest = ingest or IngestSettings()
        return cls(
            kind=forced_kind(source, ingest.kinds),
            ocr=ingest.ocr,
            ocr_languages=ingest.ocr_languages,
            ocr_timeout_s=min(ingest.ocr_timeout_s, ingest.parse_timeout_s),
            archive_max_members=ingest.archive_max_members,
            archive_max_member_mb=ingest.archive_max_member_mb,
            archive_max_total_mb=ingest.archive_max_total_mb,
            archive_max_ratio=ingest.archive_max_ratio,
        )


def forced_kind(source: str, kinds: dict[str, DocType]) -> DocType | None:
    """The kind the first matching glob forces on ``source`` ("memos/*", "*.pdf"), or None.

    Globs are matched against the source name as stored (root label + path under it); ``*``
    also crosses folders, so "policy/*" covers everything under policy/."""
    for pattern, kind in kinds.items():
        if fnmatchcase(source, pattern):
            return kind
    return None
