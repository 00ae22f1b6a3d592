"""The composition root: the one place that picks concrete backends from settings."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from navsearch.chunking.chunker import Chunker, chunker_for
from navsearch.citations import PassageContext, cite, document_label, passage_context
from navsearch.cross_build import BuildStatus, CrossIndexing, CrossMode
from navsearch.embedding.base import Embedder
from navsearch.embedding.provenance import training_of
from navsearch.embedding.registry import make_embedder
from navsearch.embedding.sentence_transformer import resolve_model
from navsearch.errors import IndexMismatch, InvalidInput, NavsearchError, NotFound, NotReady
from navsearch.eval.runner import format_table as eval_table  # the facade's table of evaluate()'s results
from navsearch.filters import build_filters
from navsearch.index_state import main_problem, published
from navsearch.indexer import FileReport, Indexer, IngestReport
from navsearch.ingest.registry import iter_files
from navsearch.report import DocumentReport, document_report
from navsearch.retrieval.citation_lookup import provision_chunks
from navsearch.retrieval.cross_language import CrossLanguage
from navsearch.retrieval.query_vectors import QueryVectors
from navsearch.retrieval.searcher import Searcher, SearchResult
from navsearch.settings import Settings
from navsearch.store.records import Failure, StoredDocument
from navsearch.store import backends
from navsearch.store.generation import KEEP_GENERATIONS, sweep_temp_files
from navsearch.store.protocol import IndexStore, Manifest, Store
from navsearch.service_results import Deletion, IndexInfo, RepairReport, Shown
from navsearch.types import MODES, DateField, DocumentMeta, Filters, Grouping, Mode


if TYPE_CHECKING:
    from navsearch.answer.extractive import Answer
    from navsearch.priorart.workbench import PriorArtResult, Workbench
    from navsearch.tune.run import TuneReport

EVAL_MODES: tuple[str, ...] = (*MODES, "prior-art")  # what `navsearch eval --mode` ranks with
UPLOADS = "uploads"  # folder of the index folder that holds files sent over HTTP
OnFile = Callable[[FileReport], None]


class NavSearch:
    """Ingest, search and read documents of one index folder.

    >>> ns = NavSearch(Settings())  # doctest: +SKIP
    >>> ns.search("how many pilot enterprises will be cultivated", k=3).hits[0].number  # doctest: +SKIP
    'G. ZH. F. G. Z. [2013] No. 27'
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()
        # One writer at a time in this process: ingests, deletions and repairs each end by
        # publishing a generation, and two publishing at once would race for its number.
        self._write_lock = threading.Lock()
        self._searcher: Searcher | None = None
        self.query_vectors = QueryVectors(self.settings.retrieval.query_cache_size)  # kept across generations
        # The published generation the loaded searcher was loaded for: when that one was
        # damaged and an older one serves, it is not reloaded on every search.
        self._loaded_for: tuple[int, bool] | None = None
        # When a published generation's cross-language index is built (cross_build.py; the server: "background").
        self.cross_mode: CrossMode = settings.embedding.cross_language_build

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings.embedding)
        return self._embedder

    @cached_property
    def cross_language(self) -> CrossLanguage | None:
        return CrossLanguage.configured(self.settings, self.catalog)

    @cached_property
    def cross_indexing(self) -> CrossIndexing | None:
        return CrossIndexing(self.cross_language) if self.cross_language is not None else None

    @cached_property
    def catalog(self) -> Store:
        """The configured store (settings.store.backend): the SQLite catalog in the index
        folder, or a PostgreSQL database that several servers share."""
        return backends.open_store(self.settings)

    @property
    def vector_dir(self) -> Path:
        return self.settings.index_dir / "vectors"

    def index_store(self) -> IndexStore:
        """Where the catalog's index generations are published and loaded from."""
        return backends.index_store(self.catalog, self.settings, self.vector_dir)

    def chunker(self) -> Chunker:
        return chunker_for(self.embedder, self.settings.chunking)

    def indexer(self) -> Indexer:
        try:  # a tuned encoder's record, for the manifests
            training = training_of(resolve_model(self.settings.embedding.model)[0])
        except NavsearchError:  # a model package that is not installed: the embedder says so
            training = None
        return Indexer(self.catalog, self.embedder, self.chunker(), self.index_store(), self.settings.ingest, training)

    @property
    def uploads_dir(self) -> Path:
        """Where files sent over HTTP are kept (one folder per content hash)."""
        return self.settings.index_dir / UPLOADS

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        prune: bool = False,
        progress: bool = True,
        dry_run: bool = False,
        allow_shrink: bool = False,
        on_file: OnFile | None = None,
    ) -> IngestReport:
        """Index files and folders; returns when their documents are committed and the new
        generation is published. ``on_file`` is called after each file."""
        return self._written(lambda: self.indexer().ingest(
            paths, prune=prune, progress=progress, dry_run=dry_run, allow_shrink=allow_shrink, on_file=on_file
        ), progress)

    def ingest_on_ray(
        self, paths: Sequence[Path], *, address: str | None = None, workers: int | None = None,
        prune: bool = False, progress: bool = True, allow_shrink: bool = False,
    ) -> IngestReport:
        """``ingest`` parsing, chunking and embedding on Ray (address None: a local Ray; distributed/)."""
        from navsearch.distributed.ray_ingest import ingest_on_ray  # Ray is imported only here

        return self._written(lambda: ingest_on_ray(
            self.indexer(), self.settings, paths, address=address, workers=workers, prune=prune,
            progress=progress, allow_shrink=allow_shrink,
        ), progress)

    def _written(self, write: Callable[[], IngestReport], progress: bool) -> IngestReport:
        with self._write_lock:  # one writer at a time in this process
            report = write()
        self._forget_searcher()
        if report.generation is not None and not report.dry_run:
            self._cross_after(report.generation, progress)
        return report

    def _cross_after(self, generation: int, progress: bool = False, check: bool = False) -> None:
        """The cross-language index of a generation just published or found, when it lacks
        one (``check``: or it is damaged): built now, later or in the background (cross_mode)."""
        if self.cross_indexing is not None and not self.catalog.read_only:
            self.cross_indexing.after_publish(generation, self.cross_mode, progress=progress, check=check)

    @staticmethod
    def count_files(paths: Sequence[Path]) -> int:
        """How many files an ingest of ``paths`` reads (for progress)."""
        return sum(1 for _ in iter_files(list(paths)))

    def documents_of(self, source: str) -> tuple[str, ...]:
        """The documents an ingested file gave (its source as the ingest report names it)."""
        record = self.catalog.file_record(source)
        return record.doc_ids if record else ()

    def delete_document(self, doc_id: str) -> Deletion:
        """Remove a document and publish a generation without it. Its file's record goes
        with it when it was the file's only document, otherwise the record forgets it and
        is marked for re-reading; so a document whose file is still in an ingested folder
        returns at the next ingest of that folder. An uploaded file is deleted with its
        last document."""
        with self._write_lock:
            state = self.catalog.document_state(doc_id)
            if state is None:
                raise NotFound(f"no document with id {doc_id!r}")
            uploaded = self._uploaded_file(state.source)
            if set(self.documents_of(state.source)) == {doc_id}:
                removed = self.catalog.remove_files([state.source])
            else:
                removed = self.catalog.forget_document(doc_id)
            if uploaded is not None and not self.documents_of(state.source):
                uploaded.unlink(missing_ok=True)
                if uploaded.parent != self.uploads_dir and not any(uploaded.parent.iterdir()):
                    uploaded.parent.rmdir()
            manifest = self.indexer().publish()
        self._forget_searcher()
        self._cross_after(manifest.generation)
        return Deletion(doc_id, state.source, uploaded is not None, removed, manifest.generation)

    def _uploaded_file(self, source: str) -> Path | None:
        """The file under uploads_dir a source names (``.../<sha256>/<name>``), if any."""
        parts = Path(source).parts
        if len(parts) < 2:
            return None
        path = self.uploads_dir / parts[-2] / parts[-1]
        return path if path.is_file() else None

    def _forget_searcher(self) -> None:
        with self._lock:
            self._searcher = None  # next search loads the new generation

    def index_problem(self) -> str | None:
        """Why the published generation cannot serve as it is (none, unreadable, damaged,
        older than the catalog, its cross-language index missing or damaged), or None."""
        problem, manifest = main_problem(self.index_store(), self.catalog)
        if problem is None and manifest is not None and self.cross_indexing is not None and not self.catalog.read_only:
            return self.cross_indexing.problem(manifest.generation)
        return problem

    def ensure_index(self, progress: bool = False) -> Manifest:
        """The published generation; rebuilt from the catalog when missing, stale or damaged.
        Its cross-language index, when missing or damaged, is built as cross_mode says (the
        server: in the background, so this returns after the main index only)."""
        if main_problem(self.index_store(), self.catalog)[0] is not None and not self.catalog.read_only:
            self.catalog.check_model(self.embedder.model_id, self.embedder.dimension)
            manifest = self.indexer().publish()
        elif (manifest := self.index_store().current()) is None:
            raise NotReady("no index generation: run `navsearch ingest` first")
        self._cross_after(manifest.generation, progress, check=True)
        return manifest

    def repair(self, progress: bool = False) -> RepairReport:
        """Check the catalog (SQLite quick_check: a damaged one is refused and left as it
        is), remove what an interrupted publish left, and republish the index generation
        from the catalog when it is missing, damaged or stale."""
        self.catalog.check_integrity()
        with self._write_lock:  # one writer at a time: ingest, delete, repair each publish
            swept = sweep_temp_files(self.vector_dir)
            problem, before = self.index_problem(), published(self.index_store())
            manifest = self.ensure_index(progress)
        self._forget_searcher()
        return RepairReport(problem, manifest.generation, swept, manifest, before is None or before.generation != manifest.generation)

    def cross_language_status(self) -> BuildStatus | None:
        """The published generation's cross-language index: built, missing, being built
        (with progress) or failed; None when the leg is off."""
        manifest = published(self.index_store())
        return self.cross_indexing.status(manifest.generation if manifest else None) if self.cross_indexing else None

    def stop_background_work(self) -> None:
        """Stop a background build at its next batch (a server's shutdown)."""
        if self.cross_indexing is not None:
            self.cross_indexing.close()

    def searcher(self) -> Searcher:
        with self._lock:
            store = self.index_store()
            manifest = published(store)  # unreadable: load() falls back to an intact older generation
            current = self._searcher
            cross, indexing = self.cross_language, self.cross_indexing
            # A generation's cross-language index is published after it: reload once it is there.
            has_cross = cross is not None and manifest is not None and cross.store.has(manifest.generation)
            wanted = (manifest.generation, has_cross) if manifest else None
            if current is None or wanted is None or wanted != self._loaded_for:
                generation = store.load(self.embedder.model_id, self.embedder.dimension)
                loaded = generation.manifest.generation
                leg, note = cross.leg(loaded, self.settings.retrieval, generation.lexical) if cross is not None else (None, None)
                current = Searcher(self.catalog, generation, self.embedder, self.settings.retrieval, leg, note, self.query_vectors)
                self._searcher = current
                # A read replica may still be replaying the newest generation and serve the
                # one before: then the next search looks again. A damaged one is not retried.
                self._loaded_for = wanted if generation.degraded else (loaded, leg is not None)
            if current.cross is None and indexing and (note := indexing.status(current.generation.manifest.generation).note()):
                current.cross_note = note  # its progress, rather than "run navsearch repair"
            return current

    # --- the settings' limits: every interface comes through here, so each is checked
    # once (the searcher checks what no request may break: an empty query, k < 1, a mode).
    def _check_length(self, text: str, name: str, limit: int | None = None) -> None:
        limit = limit or self.settings.api.max_query_chars
        if len(text) > limit:
            raise InvalidInput(f"{name} is {len(text)} characters long; the limit is {limit}")

    def _check_k(self, k: int) -> None:
        if k > self.settings.api.max_k:
            raise InvalidInput(f"k is {k}; the limit is {self.settings.api.max_k}")

    def filters(
        self,
        *,
        doc_types: Iterable[str] = (),
        date_field: str = "publication",
        date_from: str | date | None = None,
        date_to: str | date | None = None,
        ipc: Iterable[str] = (),
        jurisdictions: Iterable[str] = (),
        assignees: Iterable[str] = (),
    ) -> Filters:
        """Filters from user input, checked and normalised (navsearch.filters), within the
        settings' limits."""
        return build_filters(
            doc_types=doc_types,
            date_field=date_field,
            date_from=date_from,
            date_to=date_to,
            ipc=ipc,
            jurisdictions=jurisdictions,
            assignees=assignees,
            max_values=self.settings.api.max_filter_values,
        )

    # --- reading ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: Filters | None = None,
        group: Grouping = "document",
        mode: Mode = "hybrid",
        like: str | None = None,
    ) -> SearchResult:
        """Hybrid search; a query may cite units by number (they come first), exclude words
        (-term, NOT term), require phrases ("...") and words (a AND b); ``like`` a doc id:
        documents like it (navsearch.retrieval)."""
        self._check_length(query, "query", self.settings.api.max_search_chars)  # long queries: retrieval/long_query.py
        self._check_k(k)
        return self.searcher().search(query, k=k, filters=filters, group=group, mode=mode, like=like)

    @staticmethod
    def export_search(query: str, result: SearchResult, filters: Filters | None = None) -> str:
        """Search results as CSV rows, one per passage (navsearch.retrieval.export)."""
        from navsearch.retrieval.export import search_csv

        return search_csv(query, result, asdict(filters) if filters else {})

    def show(self, doc_id: str, path: str | None = None, generation: int | None = None) -> Shown:
        """A document (by id, or by a number such as 'US 6,078,496' or 'GDPR'), or one of
        its provisions by path ('Article 17', '§ 102(a)', '第24条'), as one text to read."""
        try:
            meta, text, chunks = self._stored(doc_id, generation)
        except NotFound:
            found = self.searcher().resolver.find_document(doc_id)
            if found is None:
                raise
            meta, text, chunks = self._stored(found, generation)
        if not path:
            return Shown(meta, None, document_label(meta), text, 0, len(text), [c.path for c in chunks])
        unit = provision_chunks(chunks, path)
        if not unit:
            raise NotFound(f"{meta.doc_id} has no provision {path!r}" + (
                f"; its paths run {chunks[0].path} ... {chunks[-1].path}" if chunks else ""))
        start, end = unit[0].start, max(c.end for c in unit)
        paths = list(dict.fromkeys(c.path for c in unit))
        citation = cite(meta, unit[0]) if len(paths) == 1 else f"{cite(meta, unit[0])} to {paths[-1]}"
        return Shown(meta, path, citation, text[start:end], start, end, paths)

    def _stored(self, doc_id: str, generation: int | None = None) -> StoredDocument:
        """A document as a generation shows it: the one named (a search result names the
        generation that answered it, so its offsets stay checkable after a newer one is
        published), else the one that answers searches now; the catalog as it is when no
        generation is published yet."""
        if generation is not None:
            return self.catalog.document(doc_id, at=self._kept(generation))
        try:
            reader = self.searcher().catalog
        except (NotReady, IndexMismatch):
            return self.catalog.document(doc_id)
        return reader.document(doc_id)

    def _kept(self, generation: int) -> int:
        """A generation whose catalog rows are still kept (the current one and the one
        before it), or InvalidInput saying which are."""
        manifest = self.index_store().current()
        newest = manifest.generation if manifest else 0
        kept = range(max(1, newest - KEEP_GENERATIONS + 1), newest + 1)
        if generation not in kept:
            raise InvalidInput(
                f"generation {generation} is not kept; documents can be read as of generation "
                + " or ".join(str(g) for g in kept)
                if kept
                else f"generation {generation} is not kept; no generation is published yet"
            )
        return generation

    def document(self, doc_id: str, generation: int | None = None) -> StoredDocument:
        return self._stored(doc_id, generation)

    def workbench(self) -> "Workbench":
        from navsearch.priorart.workbench import Workbench

        searcher = self.searcher()
        return Workbench(searcher, searcher.catalog, self.embedder, self.settings.prior_art)

    def prior_art(
        self, idea: str, *, elements: list[str] | None = None, priority_date: date | None = None,
        cutoff_field: DateField = "publication", ipc: tuple[str, ...] = (), jurisdictions: tuple[str, ...] = (),
        k: int = 10, policy_k: int | None = None,
    ) -> "PriorArtResult":
        """Ranked prior art per family with an element-by-element map (see navsearch.priorart)."""
        bench = self.workbench()
        manifest = bench.searcher.index.manifest
        return bench.run(
            idea, elements=elements, priority_date=priority_date, cutoff_field=cutoff_field, ipc=ipc,
            jurisdictions=jurisdictions, k=k, policy_k=policy_k, model=manifest.model_id,
            corpus_fingerprint=manifest.corpus_fingerprint,
        )

    def ask(self, question: str, filters: Filters | None = None) -> "Answer":
        """An answer quoted from the corpus with citations, or a refusal (navsearch.answer)."""
        from navsearch.answer.extractive import ExtractiveAnswerer

        self._check_length(question, "question")
        return ExtractiveAnswerer(self.searcher(), self.embedder, self.settings.answer).answer(question, filters)

    def ask_generated(self, question: str, filters: Filters | None = None) -> "Answer":
        """The extractive answer, plus the endpoint's answer checked against the same
        passages (navsearch.answer.generate)."""
        events = list(self.ask_stream(question, filters, stream=False))
        return events[-1][1]

    def ask_stream(
        self, question: str, filters: Filters | None = None, *, stream: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """Events of a generated answer: ("sources", [...]), ("token", text)...,
        ("error", message) if the endpoint fails, and finally ("final", Answer)."""
        from navsearch.answer.generate import generated_answer_events, generator_from_settings

        generator = generator_from_settings(self.settings.answer)  # no endpoint: an error before any work
        answer = self.ask(question, filters)
        return generated_answer_events(
            answer, generator, system_role=self.settings.answer.llm_system_role, stream=stream
        )

    def ranked_ids(self, query: str, k: int, filters: Filters, mode: str) -> list[str]:
        """Document ids best first, for evaluation; mode "prior-art" ranks patent families as
        the workbench does (navsearch.priorart)."""
        if mode == "prior-art":
            return self.workbench().ranked_ids(query, filters, k)
        # Each document ranked on its own (families not collapsed), as the qrels judge them.
        hits = self.searcher().search(query, k=k, filters=filters, mode=mode, collapse_families=False).hits  # type: ignore[arg-type]
        return [h.doc_id for h in hits]

    def evaluate(
        self,
        queries: Path,
        qrels: Path,
        exclude: Path | None = None,
        *,
        modes: Sequence[str] = MODES,
        cutoff_field: str | None = None,
        filters: Filters | None = None,
    ) -> dict[str, dict[str, Any]]:
        """recall@10/100, nDCG@10, MRR@10, MAP@10, MAP and p50 latency of each mode on a BEIR-style
        query set (navsearch.eval)."""
        from navsearch.eval.runner import evaluate, load_query_set

        for mode in modes:
            if mode not in EVAL_MODES:
                raise InvalidInput(f"mode must be one of {', '.join(EVAL_MODES)}, got {mode!r}")
        qs = load_query_set(queries, qrels, exclude)
        return evaluate(self.ranked_ids, qs, modes=tuple(modes), cutoff_field=cutoff_field, filters=filters)

    def tune(
        self, out: Path, *, queries: Path | None = None, qrels: Path | None = None,
        max_pairs: int | None = None, progress: bool = False,
    ) -> "TuneReport":
        """Fine-tune the configured encoder on this index's structure (and the BEIR qrels
        when given) into the model folder ``out`` (navsearch.tune)."""
        from navsearch.tune.run import tune_encoder

        info = self.info()
        index = {"index_dir": info.index_dir, "generation": info.generation, "corpus_fingerprint": info.corpus_fingerprint}
        return tune_encoder(
            self.catalog, self.settings.embedding.model, out, self.settings.tune, index=index, queries=queries, qrels=qrels,
            progress=progress, max_pairs=max_pairs,
        )

    @staticmethod
    def export_prior_art(result: "PriorArtResult", fmt: str) -> str:
        """A prior-art record as filed: "json" or "csv" (navsearch.priorart.export)."""
        from navsearch.priorart.export import export

        return export(result, fmt)

    def report(self, doc_id: str) -> DocumentReport:
        """What was found, changed and split in one document (see navsearch.report)."""
        return document_report(*self._stored(doc_id))

    def failures(self) -> list[Failure]:
        """Files rejected by the last ingest of each, with the step and the reason."""
        return self.catalog.failures()

    def context(
        self, doc_id: str, start: int, end: int, window: int = 400, generation: int | None = None
    ) -> PassageContext:
        """A cited span with ``window`` characters of text either side."""
        limit = self.settings.api.max_context_window
        if not 0 <= window <= limit:
            raise InvalidInput(f"window must be between 0 and {limit} characters; got {window}")
        doc = self._stored(doc_id, generation)
        return passage_context(doc_id, doc.text, doc.chunks, start, end, window)

    def info(self) -> IndexInfo:
        """Counts, model and the published generation of this index folder."""
        manifest = published(self.index_store())
        degraded = self._searcher.generation.degraded if self._searcher else None
        return IndexInfo.of(str(self.settings.index_dir), self.catalog, manifest, degraded)
