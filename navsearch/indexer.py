"""Ingestion: files -> Documents -> Chunks -> vectors -> catalog, then a new index generation.

A file whose bytes are unchanged is not even parsed; a document whose content is
unchanged is not re-chunked; a chunk whose id is already stored is not re-embedded.
Each file is parsed in a worker process under the ingest limits and written in one
transaction, so a failure costs that file only (it is recorded, and the run goes on) and
leaves what was stored intact; its new vectors are kept batch by batch while it is
embedded, so a killed run resumes where it stopped. Nothing is removed silently: a file
that lost more than ``max_shrink_share`` of its documents is refused unless allowed, and
``prune`` removes only gone files under the folders given, never under an empty or
missing one. A dry run parses and compares, and writes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from navsearch.chunking.chunker import Chunker
from navsearch.embedding.base import Embedder
from navsearch.errors import IndexMismatch, InvalidInput, NavsearchError, ParseError, UnsupportedFormat
from navsearch.ingest.options import OCR_NOTE, ParseOptions
from navsearch.ingest.registry import format_for, iter_files
from navsearch.ingest.worker import ParseLimits, ParseWorker
from navsearch.progress import Progress, track
from navsearch.settings import IngestSettings
from navsearch.store.records import FileRecord
from navsearch.store.ledger import SourceRoot, owner, plan_roots, root_of
from navsearch.store.protocol import IndexStore, Ledger, Manifest, Store
from navsearch.types import Chunk, Document

log = logging.getLogger("navsearch.ingest")


@dataclass
class FileReport:
    path: str
    status: str  # "indexed", "unchanged", "failed", "unsupported"; "planned" in a dry run
    documents: int = 0
    documents_added: int = 0  # not stored before (counted in documents_changed too)
    documents_changed: int = 0
    documents_removed: int = 0
    chunks: int = 0
    embedded: int = 0
    error: str | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)  # doc_id -> parser notes
    format: str | None = None  # the registry's format name ("pdf", "docx", "zip", ...)
    kinds: list[str] = field(default_factory=list)  # document kinds found: patent, policy, statute
    ocr: bool = False  # some of its text was read by OCR


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    documents_pruned: int = 0
    pruned: list[str] = field(default_factory=list)  # sources prune removed (in a dry run: would remove)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    generation: int | None = None
    dry_run: bool = False  # nothing was written
    nodes: Counter[str] = field(default_factory=Counter)  # files each Ray node parsed or embedded (a cluster ingest)

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


def located(path: Path) -> Path:
    """Where a path the user gave lies: a folder resolved; a file's folder resolved and
    its own name kept (a symlinked file is named by where it sits, as it is when found
    in its folder)."""
    if path.is_dir():
        return path.resolve()
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name


def chunker_key(model_id: str, chunker: Chunker) -> str:
    """What a document's chunks and vectors depend on, stored with each file and document:
    a change re-chunks them (vectors of unchanged chunks are reused by chunk id)."""
    # v4: provisions carry the lead-in of the provisions enclosing them in their context
    # (chunking/lead_ins.py), so files chunked before are chunked again. A gloss (what an
    # English-only encoder reads of a Chinese passage) is part of what vectors depend on.
    gloss = f"|{chunker.gloss}" if chunker.gloss else ""
    return f"{model_id}|max_tokens={chunker.max_tokens}|overlap={chunker.overlap_tokens}|v4{gloss}"


def chunk_document(chunker: Chunker, doc: Document, source: str) -> list[Chunk]:
    """The chunks of ``doc``; a chunker bug costs its file (a ParseError naming it), not the run."""
    try:
        return chunker.chunk(doc)
    except NavsearchError:
        raise
    except Exception as exc:
        raise ParseError(source, f"chunk {doc.doc_id}", f"{type(exc).__name__}: {exc}") from exc


def embed_chunks(
    embedder: Embedder,
    chunks: Sequence[Chunk],
    source: str,
    step: int,
    on_batch: Callable[[dict[str, bytes]], None] | None = None,
) -> dict[str, bytes]:
    """float32 vector bytes of ``chunks`` by chunk id, encoded ``step`` at a time in order
    of length (similar lengths in a call waste less padding). Wherever it runs, a file's
    chunks meet the encoder in the same calls, so the vectors are the same bytes: int8
    activations are quantised per call, and another grouping would change them."""
    order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].embed_text))
    out: dict[str, bytes] = {}
    for i in range(0, len(order), step):
        part = [chunks[j] for j in order[i : i + step]]
        try:
            vecs = embedder.embed([c.embed_text for c in part])
        except Exception as exc:  # the encoder's own errors, named with the file
            raise ParseError(source, "embed", f"{type(exc).__name__}: {exc}") from exc
        batch = {c.chunk_id: v.tobytes() for c, v in zip(part, np.asarray(vecs, dtype=np.float32))}
        if on_batch is not None:
            on_batch(batch)
        out.update(batch)
    return out


@dataclass(frozen=True)
class PlannedFile:
    """A file to parse: its format and hash, and what is stored of it (None: nothing)."""

    path: Path
    source: str
    format: str
    digest: str
    record: FileRecord | None


@dataclass(frozen=True)
class IngestPlan:
    """The files of one ingest run with their source names, and what pruning needs."""

    files: list[tuple[Path, str]]
    roots: list[SourceRoot]
    folders: list[Path]  # the folders given: prune looks under these only
    seen: set[Path]  # where every file found lies
    prune: bool
    dry_run: bool


class Indexer:
    def __init__(
        self,
        catalog: Store,
        embedder: Embedder,
        chunker: Chunker,
        store: IndexStore,
        settings: IngestSettings | None = None,
        encoder_training: dict[str, Any] | None = None,
    ) -> None:
        self.catalog = catalog
        self.encoder_training = encoder_training  # a tuned encoder's record, for the manifests
        self.embedder = embedder
        self.chunker = chunker
        self.store = store  # where the catalog's index generations are published
        self.settings = settings or IngestSettings()
        self.chunker_key = chunker_key(embedder.model_id, chunker)

    @cached_property
    def ledger(self) -> Ledger:
        # Made on first use: publishing alone (a server's start) writes no table.
        return self.catalog.ledger()

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        prune: bool = False,
        progress: bool = True,
        dry_run: bool = False,
        allow_shrink: bool = False,
        on_file: Callable[[FileReport], None] | None = None,
    ) -> IngestReport:
        """Index files and folders. ``on_file`` is told each file's report as it is done
        (the live progress of an ingest run over HTTP)."""
        started = time.perf_counter()
        report = IngestReport(dry_run=dry_run)
        plan = self.plan(paths, prune=prune, dry_run=dry_run)
        limits = ParseLimits(self.settings.parse_timeout_s, self.settings.parse_memory_mb, self.settings.max_file_mb)
        with ParseWorker(limits) as worker:
            for path, source in track(plan.files, desc="files", unit="file", enabled=progress and len(plan.files) > 1):
                try:
                    report.files.append(
                        self._ingest_file(worker, path, source, progress, report, dry_run, allow_shrink)
                    )
                except NavsearchError as exc:
                    report.files.append(self.failed(source, exc, dry_run))
                if on_file is not None:
                    on_file(report.files[-1])
        self.finish(report, plan, started)
        return report

    def plan(self, paths: Sequence[Path], *, prune: bool = False, dry_run: bool = False) -> IngestPlan:
        """The files to ingest, each with its source name (recording the roots of new
        folders unless ``dry_run``), after checking the encoder against the catalog's."""
        if not dry_run or self.catalog.get_meta("model_id") is not None:  # a dry run records no model
            self.catalog.check_model(self.embedder.model_id, self.embedder.dimension)
        found = self._find([Path(p) for p in paths], prune)
        recorded = self.ledger.roots()
        new_roots = plan_roots([located(p) for p in paths], recorded)
        if new_roots and not dry_run:
            self.ledger.add_roots(new_roots)
        roots = [*recorded, *new_roots]
        files = []
        for path, location in found:
            root = owner(location, roots)
            assert root is not None, location  # every given path has a root by now
            files.append((path, root.source(location)))
        folders = [located(p) for p in paths if Path(p).is_dir()]
        return IngestPlan(files, roots, folders, {loc for _, loc in found}, prune, dry_run)

    def failed(self, source: str, exc: NavsearchError, dry_run: bool = False) -> FileReport:
        """The report of a file that could not be ingested; its failure is recorded (an
        unsupported format is reported with its reason only: there is nothing to retry)."""
        if isinstance(exc, UnsupportedFormat):
            log.warning("%s: not ingested: %s", source, exc.reason)
            return FileReport(source, "unsupported", error=str(exc))
        log.error("%s: not ingested: %s", source, exc)
        if not dry_run:
            step = exc.step if isinstance(exc, ParseError) else "ingest"
            self.catalog.record_failure(source, step, str(exc))
        return FileReport(source, "failed", error=str(exc))

    def finish(self, report: IngestReport, plan: IngestPlan, started: float) -> None:
        """After the files: prune what is gone, then publish a generation when the
        catalog changed (or the published one is missing, stale or damaged)."""
        dry_run = plan.dry_run
        if plan.prune:
            report.pruned, report.documents_pruned = self._prune(plan.folders, plan.seen, plan.roots, dry_run)
        if not dry_run and self.ledger.pending_count():
            self.ledger.clear_committed()
        if dry_run:
            manifest = self.store.current()
            report.generation = manifest.generation if manifest else None
        else:
            changed = any(f.documents_changed or f.documents_removed for f in report.files) or report.documents_pruned
            if changed or self._needs_publish():
                report.generation = self.publish().generation
            else:
                manifest = self.store.current()
                report.generation = manifest.generation if manifest else None
        report.seconds = time.perf_counter() - started

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
        catalog and publish them. The generation's cross-language index is the service's
        to build after it (cross_build.py: now, later or in the background), so searches
        use the new generation at once and that leg joins when its index is there."""
        manifest = self.store.publish(self.embedder.model_id, self.embedder.dimension, self.encoder_training)
        log.info("published vector index generation %d (%d vectors)", manifest.generation, manifest.count)
        return manifest

    @staticmethod
    def _find(paths: list[Path], prune: bool) -> list[tuple[Path, Path]]:
        """(path, where it lies) of every file to ingest, each once. With ``prune``, an
        empty or missing folder is refused before anything is written: an unmounted share
        or a mistyped path would otherwise remove every document under it."""
        found: dict[Path, Path] = {}
        for given in paths:
            if prune and not given.exists():
                raise InvalidInput(f"--prune refused: {given} does not exist; nothing was ingested or removed")
            files = list(iter_files([given]))
            if prune and given.is_dir() and not files:
                raise InvalidInput(
                    f"--prune refused: {given} holds no file to ingest (an unmounted share?); "
                    "nothing was ingested or removed"
                )
            base = located(given)
            for path in files:
                found.setdefault(base / path.relative_to(given) if given.is_dir() else base, path)
        return [(path, location) for location, path in found.items()]

    def _ingest_file(
        self,
        worker: ParseWorker,
        path: Path,
        source: str,
        progress: bool,
        report: IngestReport,
        dry_run: bool,
        allow_shrink: bool,
    ) -> FileReport:
        planned = self.plan_file(path, source, worker)
        if isinstance(planned, FileReport):
            return planned
        log.info("%s: parse", source)
        docs = worker.parse(path, source, ParseOptions.for_file(source, self.settings))
        return self.store_parsed(planned, docs, report, dry_run=dry_run, allow_shrink=allow_shrink, progress=progress)

    def plan_file(self, path: Path, source: str, worker: ParseWorker) -> PlannedFile | FileReport:
        """What is known of a file before it is parsed: its format and hash, and its
        stored record; the report of an unchanged file (nothing to do). UnsupportedFormat
        or ParseError (over the size limit) name the file."""
        try:
            fmt = format_for(path).name
        except UnsupportedFormat as exc:  # reported with its reason, named by its source
            raise UnsupportedFormat(source, exc.step, exc.reason) from None
        worker.check_size(path, source)  # before hashing: reading a huge file costs too
        digest = sha256_file(path)
        record = self.catalog.file_record(source)
        if record and record.sha256 == digest and record.settings == self.chunker_key:
            return FileReport(source, "unchanged", documents=len(record.doc_ids), format=fmt)
        return PlannedFile(path, source, fmt, digest, record)

    def store_parsed(
        self,
        planned: PlannedFile,
        docs: list[Document],
        report: IngestReport,
        *,
        dry_run: bool = False,
        allow_shrink: bool = False,
        progress: bool = False,
        chunked: Mapping[str, list[Chunk]] | None = None,
        embedded: Mapping[str, bytes] | None = None,
    ) -> FileReport:
        """Compare a parsed file's documents with the stored ones, chunk and embed the
        changed ones and commit the file in one transaction. ``chunked`` (doc id -> its
        chunks) and ``embedded`` (chunk id -> vector) are what a cluster already did for
        every document of the file; without them it is done here."""
        source = planned.source
        out = FileReport(
            source,
            "planned" if dry_run else "indexed",
            documents=len(docs),
            format=planned.format,
            kinds=sorted({doc.doc_type for doc in docs}),
            ocr=any(note.startswith(OCR_NOTE) for doc in docs for note in doc.notes),
        )
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
            out.documents_added += state is None
            changed.append(doc)
        record = planned.record
        previous = set(record.doc_ids) if record else set()
        current = tuple(d.doc_id for d in docs)
        removed = previous - set(current)
        self._check_shrink(source, len(removed), len(previous), allow_shrink)
        out.documents_changed = len(changed)
        out.documents_removed = len(removed)
        if dry_run:
            return out
        log.info("%s: chunk %d changed document(s)", source, len(changed))
        chunks_by_doc = {
            doc.doc_id: list(chunked[doc.doc_id]) if chunked is not None else chunk_document(self.chunker, doc, source)
            for doc in changed
        }
        all_chunks = [c for chunks in chunks_by_doc.values() for c in chunks]
        ids = [c.chunk_id for c in all_chunks]
        vectors = self.catalog.stored_vectors(ids)
        kept = self.ledger.pending_vectors(i for i in ids if i not in vectors)  # from a run that was stopped
        vectors.update(kept)
        todo = [c for c in all_chunks if c.chunk_id not in vectors]
        t0 = time.perf_counter()
        if embedded is not None:
            missing = [c.chunk_id for c in todo if c.chunk_id not in embedded]
            if missing:
                raise ParseError(source, "embed", f"{len(missing)} chunk(s) came back without a vector, e.g. {missing[0]}")
            vectors.update((c.chunk_id, embedded[c.chunk_id]) for c in todo)
        else:
            vectors.update(self._embed(todo, source, progress))
        report.embed_seconds += time.perf_counter() - t0
        self.catalog.commit_file(
            FileRecord(source, planned.digest, current, self.chunker_key),
            [(doc, chunks_by_doc[doc.doc_id]) for doc in changed],
            vectors,
            removed,
        )
        self.ledger.clear_pending([*kept, *(c.chunk_id for c in todo)])
        out.chunks = len(all_chunks)
        out.embedded = len(todo)
        log.info(
            "%s: %d document(s), %d changed, %d removed, %d chunk(s), %d embedded (%d kept from a stopped run)",
            source, len(docs), len(changed), len(removed), len(all_chunks), len(todo), len(kept),
        )
        return out

    def _check_shrink(self, source: str, removed: int, stored: int, allow: bool) -> None:
        """Refuse to remove more than ``max_shrink_share`` of a file's documents: a
        truncated copy must not delete the rest without anyone deciding so."""
        limit = self.settings.max_shrink_share
        if allow or not stored or removed / stored <= limit:
            return
        raise ParseError(
            source,
            "shrink",
            f"would remove {removed} of its {stored} stored documents ({removed / stored:.0%}), more than "
            f"ingest.max_shrink_share ({limit:.0%}); nothing was removed. If the file really lost them, "
            "ingest it again with --allow-shrink",
        )

    def _embed(self, chunks: list[Chunk], source: str, progress: bool) -> dict[str, bytes]:
        """Vectors of ``chunks``. Batches of ``commit_every`` are kept in the catalog as
        they are done (when the file has more than one), so a kill loses one at most."""
        bar = Progress(total=len(chunks), desc=f"embed {source}", unit="chunk", enabled=progress and bool(chunks))
        keep = len(chunks) > self.settings.commit_every

        def done(batch: dict[str, bytes]) -> None:
            if keep:
                self.ledger.put_pending(batch)
            bar.update(len(batch))

        try:
            return embed_chunks(self.embedder, chunks, source, self.settings.commit_every, done)
        finally:
            bar.close()

    def _prune(
        self, folders: list[Path], seen: set[Path], roots: Sequence[SourceRoot], dry_run: bool
    ) -> tuple[list[str], int]:
        """Remove what is recorded of files under ``folders`` that this run did not find:
        their documents and any failure. Sources no recorded root names (an old catalog's,
        before any root of that name) are never pruned: where they lie is unknown."""
        stored = self.catalog.files()
        sources = set(stored) | {f.path for f in self.catalog.failures()}
        gone: list[str] = []
        for source in sorted(sources):
            root = root_of(source, roots)
            if root is None:
                continue
            where = root.location(source)
            if where not in seen and any(where == f or where.is_relative_to(f) for f in folders):
                gone.append(source)
        removed = "would be removed (dry run)" if dry_run else "removed"
        for source in gone:
            log.info("%s: gone from the corpus, %d document(s) %s", source, len(stored.get(source, [])), removed)
        if dry_run:
            return gone, sum(len(stored.get(s, [])) for s in gone)
        return gone, self.catalog.remove_files(gone)
