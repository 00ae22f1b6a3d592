"""Ingestion: files -> Documents -> Chunks -> vectors -> catalog, then a new index generation.

A file whose bytes are unchanged is not even parsed; a document whose content is
unchanged is not re-chunked; a chunk whose id is already stored is not re-embedded.
Each file is written in one transaction, so a failure leaves what was stored intact.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from navsearch.chunking.chunker import Chunker
from navsearch.embedding.base import Embedder
from navsearch.errors import IndexMismatch, NavsearchError, ParseError
from navsearch.ingest.registry import iter_files, parse_file
from navsearch.progress import Progress, track
from navsearch.store.catalog import Catalog
from navsearch.store.records import FileRecord
from navsearch.store.generation import IndexStore, Manifest
from navsearch.types import Chunk, Document

log = logging.getLogger("navsearch.ingest")
EMBED_SLICE = 256  # texts per progress step


@dataclass
class FileReport:
    path: str
    status: str  # "indexed", "unchanged", "failed"
    documents: int = 0
    documents_changed: int = 0
    documents_removed: int = 0
    chunks: int = 0
    embedded: int = 0
    error: str | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)  # doc_id -> parser notes


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    documents_pruned: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    generation: int | None = None

    @property
    def embedded(self) -> int:
        return sum(f.embedded for f in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Indexer:
    def __init__(self, catalog: Catalog, embedder: Embedder, chunker: Chunker, store: IndexStore) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self.chunker = chunker
        self.store = store  # where the catalog's index generations are published
        self.chunker_key = (
            f"{embedder.model_id}|max_tokens={chunker.max_tokens}|overlap={chunker.overlap_tokens}|v3"
        )

    def _source_name(self, path: Path, roots: Sequence[Path]) -> str:
        # Sources are recorded relative to the folder given, so a clone elsewhere matches.
        resolved = path.resolve()
        for root in roots:
            base = root.resolve() if root.is_dir() else root.resolve().parent
            if resolved.is_relative_to(base):
                return f"{base.name}/{resolved.relative_to(base).as_posix()}"
        return resolved.as_posix()

    def ingest(self, paths: Sequence[Path], *, prune: bool = False, progress: bool = True) -> IngestReport:
        started = time.perf_counter()
        self.catalog.check_model(self.embedder.model_id, self.embedder.dimension)
        report = IngestReport()
        files = list(iter_files(list(paths)))
        seen_sources: set[str] = set()
        for path in track(files, desc="files", unit="file", enabled=progress and len(files) > 1):
            source = self._source_name(path, paths)
            seen_sources.add(source)
            try:
                report.files.append(self._ingest_file(path, source, progress, report))
            except NavsearchError as exc:
                log.error("%s: not ingested: %s", source, exc)
                report.files.append(FileReport(source, "failed", error=str(exc)))
                step = exc.step if isinstance(exc, ParseError) else "ingest"
                self.catalog.record_failure(source, step, str(exc))
        if prune:
            report.documents_pruned = self._prune(paths, seen_sources)
        changed = any(f.documents_changed or f.documents_removed for f in report.files) or report.documents_pruned
        if changed or self._needs_publish():
            report.generation = self.publish().generation
        else:
            manifest = self.store.current()
            report.generation = manifest.generation if manifest else None
        report.seconds = time.perf_counter() - started
        return report

    def _needs_publish(self) -> bool:
        """No generation, one older than the catalog, or a damaged one (which searches
        would otherwise refuse or serve from an older generation for good)."""
        try:
            manifest = self.store.current()
        except IndexMismatch:  # an unreadable manifest
            return True
        if manifest is None or manifest.corpus_fingerprint != self.catalog.fingerprint():
            return True
        return self.store.problem(manifest) is not None

    def publish(self) -> Manifest:
        """Build the dense and lexical indexes of a generation from every chunk in the
        catalog and publish them."""
        manifest = self.store.publish(self.embedder.model_id, self.embedder.dimension)
        log.info("published vector index generation %d (%d vectors)", manifest.generation, manifest.count)
        return manifest

    def _ingest_file(self, path: Path, source: str, progress: bool, report: IngestReport) -> FileReport:
        digest = sha256_file(path)
        record = self.catalog.file_record(source)
        if record and record.sha256 == digest and record.settings == self.chunker_key:
            return FileReport(source, "unchanged", documents=len(record.doc_ids))
        log.info("%s: parse", source)
        docs = parse_file(path, source)
        out = FileReport(source, "indexed", documents=len(docs))
        changed: list[Document] = []
        for doc in docs:
            state = self.catalog.document_state(doc.doc_id)
            if state and state.source != source and state.source in self.catalog.files():
                raise ParseError(
                    source, f"document {doc.doc_id}", f"already ingested from {state.source}; remove one of the two"
                )
            if doc.notes:
                out.notes[doc.doc_id] = doc.notes
            if state and state.content_hash == doc.content_hash() and state.chunker == self.chunker_key:
                continue
            changed.append(doc)
        log.info("%s: chunk %d changed document(s)", source, len(changed))
        chunks_by_doc = {doc.doc_id: self.chunker.chunk(doc) for doc in changed}
        all_chunks = [c for chunks in chunks_by_doc.values() for c in chunks]
        vectors = self.catalog.stored_vectors(c.chunk_id for c in all_chunks)
        todo = [c for c in all_chunks if c.chunk_id not in vectors]
        t0 = time.perf_counter()
        vectors.update(self._embed(todo, source, progress))
        report.embed_seconds += time.perf_counter() - t0
        previous = set(record.doc_ids) if record else set()
        current = tuple(d.doc_id for d in docs)
        removed = previous - set(current)
        self.catalog.commit_file(
            FileRecord(source, digest, current, self.chunker_key),
            [(doc, chunks_by_doc[doc.doc_id]) for doc in changed],
            vectors,
            removed,
        )
        out.documents_changed = len(changed)
        out.documents_removed = len(removed)
        out.chunks = len(all_chunks)
        out.embedded = len(todo)
        log.info(
            "%s: %d document(s), %d changed, %d removed, %d chunk(s), %d embedded",
            source, len(docs), len(changed), len(removed), len(all_chunks), len(todo),
        )
        return out

    def _embed(self, chunks: list[Chunk], source: str, progress: bool) -> dict[str, bytes]:
        if not chunks:
            return {}
        # Similar lengths in a batch waste less padding.
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].embed_text))
        out: dict[str, bytes] = {}
        bar = Progress(total=len(chunks), desc=f"embed {source}", unit="chunk", enabled=progress)
        try:
            for i in range(0, len(order), EMBED_SLICE):
                part = [chunks[j] for j in order[i : i + EMBED_SLICE]]
                try:
                    vecs = self.embedder.embed([c.embed_text for c in part])
                except Exception as exc:  # the encoder's own errors, named with the file
                    raise ParseError(source, "embed", f"{type(exc).__name__}: {exc}") from exc
                for c, v in zip(part, np.asarray(vecs, dtype=np.float32)):
                    out[c.chunk_id] = v.tobytes()
                bar.update(len(part))
        finally:
            bar.close()
        return out

    def _prune(self, roots: Sequence[Path], seen: set[str]) -> int:
        """Remove documents of files that were under ``roots`` but are gone now."""
        prefixes = [f"{(r.resolve() if r.is_dir() else r.resolve().parent).name}/" for r in roots]
        gone = {
            source: doc_ids
            for source, doc_ids in self.catalog.files().items()
            if source not in seen and any(source.startswith(p) for p in prefixes)
        }
        for source, doc_ids in gone.items():
            log.info("%s: gone from the corpus, %d document(s) removed", source, len(doc_ids))
        return self.catalog.remove_files(gone)
