"""The store protocol: what a storage backend must provide, and nothing of search.

A backend is two objects:

- a ``Store`` (the catalog): documents, chunks with their vectors, files, failures and the
  ingest ledger; idempotent writes keyed by stable chunk and document ids; counts; the
  model it was built with. ``Store.view(g)`` is a ``StoreReader`` bound to generation
  ``g``: every read a search makes, all of one consistent snapshot.
- an ``IndexStore``: publishes generations (a snapshot number and its ``Manifest``) and
  loads one as a ``Generation`` whose ``DenseIndex`` and ``LexicalIndex`` give top-n
  (chunk rowid, score) lists restricted to allowed rowids.

Fusion, grouping, citations, prior art and answers (navsearch.retrieval and above) read
only through these, so ranking is the same whichever backend is configured. The embedded
backend is store/catalog.py (SQLite) with store/generation.py (FAISS + BM25 files); the
PostgreSQL one is store/postgres/ (pgvector HNSW + BM25 postings in tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from navsearch.store.ledger import SourceRoot
from navsearch.store.records import DocumentState, Failure, FileRecord, StoredChunk, StoredDocument
from navsearch.types import Chunk, Document, DocumentMeta, Filters


@dataclass(frozen=True)
class Manifest:
    """A published generation: its number, what it holds and what built it. On the
    embedded backend it names the generation's files (with checksums); elsewhere the files
    are empty strings."""

    generation: int
    file: str
    sha256: str
    count: int
    model_id: str
    dimension: int
    corpus_fingerprint: str
    index_type: str
    created_at: str
    # The generation's BM25 index (store/lexical.py); empty in generations written before it.
    lexical_file: str = ""
    lexical_sha256: str = ""
    # What the encoder was fine-tuned on (`navsearch tune`'s tuned.json); None: not tuned.
    encoder_training: dict[str, Any] | None = None


@dataclass(frozen=True)
class AnnSearch:
    """How an approximate dense index searches (exact ones ignore it): the search's
    settings (settings.retrieval), passed down so the store reads no settings itself."""

    ef_search: int = 128  # HNSW: candidates kept while walking the graph
    nprobe: int = 32  # IVF (generations written by earlier versions): lists visited
    exact_filter_max: int = 32_768  # a filter allowing at most this many vectors is searched exactly
    ef_per_million: int = 0  # HNSW: efSearch at least this per million vectors (a bigger graph needs more)


class DenseIndex(Protocol):
    """What search needs of a generation's dense index."""

    # Results name the generation that answered; the index type picks search parameters.
    @property
    def manifest(self) -> Manifest: ...

    @property
    def count(self) -> int: ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, ann: AnnSearch | None = None
    ) -> list[tuple[int, float]]:
        """(chunk rowid, cosine similarity), best first; ``allowed`` restricts to those rowids."""
        ...


class LexicalIndex(Protocol):
    """What search needs of a generation's lexical index."""

    @property
    def count(self) -> int: ...

    def search(
        self, terms: list[str], k: int, allowed: np.ndarray | None = None, boosts: list[float] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk rowid, score) for analysed query terms (each weighed by its boost), best first."""
        ...

    def df(self, term: str) -> int:
        """How many chunks hold the analysed term."""
        ...

    def idf(self, terms: list[str]) -> list[float]:
        """The inverse document frequency of each analysed term (how rare it is here)."""
        ...

    def script_rowids(self, script: str) -> np.ndarray | None:
        """Rowids of the chunks written in ``script`` ("cjk": more than half their terms
        CJK; "latin": the others), ascending; None when the index does not know."""
        ...


@dataclass(frozen=True)
class Generation:
    """A loaded generation: both indexes of the same chunks and the manifest naming them.
    ``degraded`` says why an older generation than the published one was loaded."""

    manifest: Manifest
    dense: DenseIndex
    lexical: LexicalIndex
    degraded: str | None = None


class IndexStore(Protocol):
    """Where the generations derived from one catalog are published and loaded."""

    def current(self) -> Manifest | None:
        """The published generation's manifest; None before the first publish."""
        ...

    def publish(self, model_id: str, dimension: int, encoder_training: dict[str, Any] | None = None) -> Manifest:
        """Build both indexes from one snapshot of the catalog and publish them as the
        next generation; ``encoder_training`` is recorded in its manifest."""
        ...

    def load(self, model_id: str, dimension: int) -> Generation:
        """The current generation, or the newest intact one before it when it is damaged
        (then ``degraded`` says why). NotReady when there is none; IndexMismatch when it
        was built with another model or no generation is intact."""
        ...

    def problem(self, manifest: Manifest) -> str | None:
        """Why a published generation cannot be loaded as it is (missing or damaged
        files), or None when it is intact."""
        ...


class StoreReader(Protocol):
    """The catalog as one generation shows it: every read a search, a prior-art report or
    an answer makes, so its hits, quotes and documents always agree."""

    generation: int

    def allowed_ids(self, filters: Filters) -> np.ndarray:
        """Rowids of the chunks whose documents pass the filters."""
        ...

    def chunks_by_rowid(self, rowids: Iterable[int]) -> dict[int, StoredChunk]: ...

    def chunks_with_vectors(self, doc_id: str, dimension: int) -> tuple[list[Chunk], np.ndarray]: ...

    def text_lengths(self, doc_ids: Iterable[str]) -> dict[str, int]: ...

    def documents_matching(self, doc_ids: Iterable[str], filters: Filters) -> set[str]: ...

    def document_text(self, doc_id: str) -> str: ...

    def documents_meta(self, doc_ids: Iterable[str]) -> dict[str, DocumentMeta]: ...

    def document(self, doc_id: str) -> StoredDocument: ...

    def document_keys(self) -> list[DocumentMeta]: ...

    def provision_paths(self) -> list[tuple[int, str, str]]: ...

    def cutoff_counts(self, filters: Filters) -> tuple[int, int, int]: ...

    def chunk_layout(self) -> Iterable[tuple[int, str, str, str, str | None]]:
        """(chunk rowid, doc id, chunk kind, doc type, family as JSON) of every chunk, by rowid."""
        ...

    def vectors_by_rowid(self, rowids: list[int], dimension: int) -> dict[int, np.ndarray]: ...


class Ledger(Protocol):
    """What ingestion keeps besides documents (store/ledger.py): the roots sources are
    named by, and vectors of a file embedded but not committed yet."""

    def roots(self) -> list[SourceRoot]: ...

    def add_roots(self, roots: Iterable[SourceRoot]) -> None: ...

    def put_pending(self, vectors: Mapping[str, bytes]) -> None: ...

    def pending_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]: ...

    def clear_pending(self, chunk_ids: Iterable[str]) -> None: ...

    def clear_committed(self) -> None: ...

    def pending_count(self) -> int: ...


class Store(Protocol):
    """The catalog: the source of truth for documents, chunks and their vectors. Every
    write owns its transaction. A document written again replaces its current version
    (kept for the generations that still show it); a chunk id is stable (a hash of what
    is embedded), so writing the same chunks twice stores them once."""

    read_only: bool

    def check_model(self, model_id: str, dimension: int) -> None:
        """Record the model on first use; IndexMismatch for a store built with another one."""
        ...

    def get_meta(self, key: str) -> str | None: ...

    def file_record(self, path: str) -> FileRecord | None: ...

    def files(self) -> dict[str, list[str]]: ...

    def commit_file(
        self,
        record: FileRecord,
        changed: Sequence[tuple[Document, Sequence[Chunk]]],
        vectors: Mapping[str, bytes],
        removed: Iterable[str] = (),
    ) -> None:
        """One file's ingest in one transaction: changed documents with their chunks
        (``vectors``: chunk id -> float32 bytes), removed documents, its record."""
        ...

    def put_documents(
        self, items: Sequence[tuple[Document, Sequence[Chunk]]], chunker: str, vectors: Mapping[str, bytes]
    ) -> None: ...

    def remove_files(self, paths: Iterable[str]) -> int: ...

    def forget_document(self, doc_id: str) -> int: ...

    def record_failure(self, path: str, step: str, error: str) -> None: ...

    def failures(self) -> list[Failure]: ...

    def document_state(self, doc_id: str) -> DocumentState | None: ...

    def stored_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]: ...

    def counts(self) -> dict[str, int]:
        """Current documents (in all and by type, ``documents_<type>``) and chunks."""
        ...

    def fingerprint(self, at: int | None = None) -> str: ...

    def document(self, doc_id: str, at: int | None = None) -> StoredDocument: ...

    def view(self, generation: int) -> StoreReader:
        """The reads of one generation's snapshot."""
        ...

    def ledger(self) -> Ledger: ...

    def check_integrity(self) -> None: ...

    def close(self) -> None: ...
