"""What the service facade returns besides the library's own results: plain records
(kept apart so service.py stays the facade's logic)."""

from __future__ import annotations

from dataclasses import dataclass

from navsearch.store.generation import Manifest
from navsearch.store.protocol import Store
from navsearch.types import DocumentMeta


@dataclass(frozen=True)
class RepairReport:
    problem: str | None  # what was wrong with the index generation before (None: nothing)
    generation: int  # the generation published or found intact
    temp_files_removed: int
    manifest: Manifest  # that generation's
    republished: bool = False  # its main index was published anew (else only its cross-language index was built)


@dataclass(frozen=True)
class IndexInfo:
    """What an index folder holds: counts, model, the published generation."""

    index_dir: str
    model: str | None
    dimension: int | None
    counts: dict[str, int]  # documents, chunks, documents_<type>
    generation: int | None
    vectors: int
    index_type: str | None
    corpus_fingerprint: str | None
    index_current: bool  # the generation was built from the catalog as it is now
    degraded: str | None = None  # why an older generation than the published one serves

    @classmethod
    def of(cls, index_dir: str, catalog: Store, manifest: Manifest | None, degraded: str | None) -> IndexInfo:
        """The facts of an index folder from its store and published manifest."""
        return cls(
            index_dir=index_dir,
            model=catalog.get_meta("model_id"),
            dimension=int(catalog.get_meta("dimension") or 0) or None,
            counts=catalog.counts(),
            generation=manifest.generation if manifest else None,
            vectors=manifest.count if manifest else 0,
            index_type=manifest.index_type if manifest else None,
            corpus_fingerprint=manifest.corpus_fingerprint if manifest else None,
            index_current=bool(manifest and manifest.corpus_fingerprint == catalog.fingerprint()),
            degraded=degraded,
        )


@dataclass(frozen=True)
class Shown:
    """A document, or one of its provisions, to read (``navsearch show``)."""

    meta: DocumentMeta
    path: str | None  # the unit asked for; None: the whole document
    citation: str  # how it is cited
    text: str  # the document's text, or the unit's: text[start:end]
    start: int
    end: int
    paths: list[str]  # the structural paths it spans


@dataclass(frozen=True)
class Deletion:
    """What ``NavSearch.delete_document`` removed."""

    doc_id: str
    source: str  # the file the document came from
    uploaded: bool  # the file was sent over HTTP (and is deleted with its last document)
    documents_removed: int
    generation: int  # the generation published without the document
