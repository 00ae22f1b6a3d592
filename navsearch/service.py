"""The composition root: the one place that picks concrete backends from settings."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, replace
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from navsearch.chunking.chunker import Chunker
from navsearch.citations import passage_context
from navsearch.report import document_report
from navsearch.embedding.base import Embedder
from navsearch.errors import InvalidInput
from navsearch.indexer import Indexer, IngestReport
from navsearch.retrieval.searcher import Mode, Searcher, SearchResult
from navsearch.settings import Settings
from navsearch.store.catalog import Catalog
from navsearch.store.generation import FileGenerationStore, IndexStore, Manifest
from navsearch.types import Chunk, Filters

log = logging.getLogger("navsearch.service")

if TYPE_CHECKING:
    from navsearch.answer.generate import OpenAICompatibleGenerator
    from navsearch.answer.extractive import Answer
    from navsearch.priorart.workbench import PriorArtResult


def make_embedder(settings: Settings) -> Embedder:
    spec = settings.embedding.model
    if spec.startswith("hashing"):  # the test embedder, by name: "hashing" or "hashing-256"
        from navsearch.embedding.fake import HashingEmbedder

        dim = int(spec.split("-", 1)[1]) if "-" in spec else 256
        return HashingEmbedder(dimension=dim)
    emb = settings.embedding
    if emb.backend in ("onnx", "onnx-int8"):
        from navsearch.embedding.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(
            spec,
            cache_dir=emb.cache_dir,
            quantize="int8" if emb.backend == "onnx-int8" else None,
            batch_size=emb.batch_size,
            threads=emb.threads,
        )
    from navsearch.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        spec,
        batch_size=settings.embedding.batch_size,
        device=settings.embedding.device,
        threads=settings.embedding.threads,
    )


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
        self._searcher: Searcher | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.index_dir / "catalog.sqlite")

    @property
    def vector_dir(self) -> Path:
        return self.settings.index_dir / "vectors"

    def index_store(self) -> IndexStore:
        """Where the catalog's index generations are published and loaded from."""
        return FileGenerationStore(self.vector_dir, self.catalog, self.settings.retrieval.ann_threshold)

    def chunker(self) -> Chunker:
        # Never above the encoder's own limit: it would silently truncate.
        max_tokens = min(self.settings.chunking.max_tokens, self.embedder.max_tokens)
        overlap = min(self.settings.chunking.overlap_tokens, max_tokens // 4)
        return Chunker(self.embedder.count_tokens, max_tokens, overlap)

    def indexer(self) -> Indexer:
        return Indexer(self.catalog, self.embedder, self.chunker(), self.index_store())

    def ingest(self, paths: Sequence[Path], *, prune: bool = False, progress: bool = True) -> IngestReport:
        report = self.indexer().ingest(paths, prune=prune, progress=progress)
        with self._lock:
            self._searcher = None  # next search loads the new generation
        return report

    def ensure_index(self) -> Manifest:
        """The published generation; rebuilt from the catalog when missing or stale."""
        manifest = self.index_store().current()
        if manifest is None or manifest.corpus_fingerprint != self.catalog.fingerprint():
            self.catalog.check_model(self.embedder.model_id, self.embedder.dimension)
            manifest = self.indexer().publish()
        return manifest

    def searcher(self) -> Searcher:
        with self._lock:
            store = self.index_store()
            manifest = store.current()
            current = self._searcher
            if current is None or manifest is None or current.index.manifest.generation != manifest.generation:
                generation = store.load(self.embedder.model_id, self.embedder.dimension)
                current = Searcher(self.catalog, generation, self.embedder, self.settings.retrieval)
                self._searcher = current
            return current

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: Filters | None = None,
        group: Literal["document", "chunk"] = "document",
        mode: Mode = "hybrid",
    ) -> SearchResult:
        if len(query) > self.settings.api.max_query_chars:
            raise InvalidInput(
                f"query is {len(query)} characters long; the limit is {self.settings.api.max_query_chars}"
            )
        if k > self.settings.api.max_k:
            raise InvalidInput(f"k is {k}; the limit is {self.settings.api.max_k}")
        return self.searcher().search(query, k=k, filters=filters, group=group, mode=mode)

    def document(self, doc_id: str) -> tuple[dict[str, Any], str, list[Chunk]]:
        return self.catalog.document(doc_id)

    def prior_art(self, idea: str, **options: Any) -> "PriorArtResult":
        """Ranked prior art per family with an element-by-element map (see navsearch.priorart)."""
        from navsearch.priorart.workbench import Workbench

        searcher = self.searcher()
        bench = Workbench(searcher, self.catalog, self.embedder, self.settings.prior_art)
        manifest = searcher.index.manifest
        return bench.run(idea, model=manifest.model_id, corpus_fingerprint=manifest.corpus_fingerprint, **options)

    def ask(self, question: str, filters: Filters | None = None) -> "Answer":
        """An answer quoted from the corpus with citations, or a refusal (navsearch.answer)."""
        from navsearch.answer.extractive import ExtractiveAnswerer

        if len(question) > self.settings.api.max_query_chars:
            raise InvalidInput(
                f"question is {len(question)} characters long; the limit is {self.settings.api.max_query_chars}"
            )
        return ExtractiveAnswerer(self.searcher(), self.embedder, self.settings.answer).answer(question, filters)

    def _generator(self) -> "OpenAICompatibleGenerator":
        from navsearch.answer.generate import OpenAICompatibleGenerator

        a = self.settings.answer
        if not a.llm_base_url:
            raise InvalidInput("no answer endpoint is configured: set NAVSEARCH_ANSWER__LLM_BASE_URL")
        key = a.llm_api_key.get_secret_value() if a.llm_api_key else None
        return OpenAICompatibleGenerator(
            a.llm_base_url, a.llm_model, api_key=key, timeout_s=a.llm_timeout_s, max_tokens=a.llm_max_tokens
        )

    def ask_generated(self, question: str, filters: Filters | None = None) -> "Answer":
        """The extractive answer, plus the endpoint's answer checked against the same
        passages. A refusal is not sent to the endpoint; a failing endpoint leaves the
        extractive answer, with a note saying why."""
        events = list(self.ask_stream(question, filters, stream=False))
        return events[-1][1]

    def ask_stream(
        self, question: str, filters: Filters | None = None, *, stream: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """Events of a generated answer: ("sources", [...]), ("token", text)...,
        ("error", message) if the endpoint fails, and finally ("final", Answer)."""
        from navsearch.answer.generate import GeneratorError, build_messages, verify

        generator = self._generator()
        answer = self.ask(question, filters)
        yield "sources", [asdict(s) for s in answer.sources]
        if not answer.answered:
            answer.notes.append("no passage is close enough to the question: the generator was not asked")
            yield "final", answer
            return
        messages = build_messages(answer.question, answer.sources, system_role=self.settings.answer.llm_system_role)
        try:
            if stream:
                parts = []
                for delta in generator.stream(messages):
                    parts.append(delta)
                    yield "token", delta
                raw = "".join(parts)
            else:
                raw = generator.complete(messages)
        except GeneratorError as exc:
            answer.notes.append(f"{exc}; the extractive answer is given instead")
            yield "error", str(exc)
            yield "final", answer
            return
        checked = verify(raw, answer.sources)
        answer.generated = asdict(checked)
        if checked.status in ("verified", "partly verified"):
            answer.mode = "generated"
        else:
            answer.notes.append(f"the generated answer was {checked.status}; the extractive answer stands")
        yield "final", answer

    def ranked_ids(self, query: str, k: int, filters: Filters, mode: str) -> list[str]:
        """Document ids best first, for evaluation. Mode "prior-art" ranks patent families
        as the workbench does and lists each family's members after its representative."""
        if mode != "prior-art":
            return [h.doc_id for h in self.search(query, k=k, filters=filters, mode=mode).hits]  # type: ignore[arg-type]
        from navsearch.priorart.workbench import Workbench

        bench = Workbench(self.searcher(), self.catalog, self.embedder, self.settings.prior_art)
        patents = replace(filters, doc_types=("patent",))
        families = bench.rank_families(query, patents, k)
        # Each family at its best member's rank: its hits in their own order, then the
        # members the search did not reach (same invention, so likely the same citation),
        # if they are in the corpus and pass the filters (a member published after the
        # cutoff is not prior art).
        ids = [d for _, members, hits in families for d in [*hits, *[m for m in members if m not in hits]]]
        eligible = self.catalog.documents_matching(ids, patents)
        return [d for d in ids if d in eligible]

    def report(self, doc_id: str) -> dict[str, Any]:
        """What was found, changed and split in one document (see navsearch.report)."""
        return document_report(*self.catalog.document(doc_id))

    def failures(self) -> list[dict[str, str]]:
        """Files rejected by the last ingest of each, with the step and the reason."""
        return self.catalog.failures()

    def context(self, doc_id: str, start: int, end: int, window: int = 400) -> dict[str, Any]:
        _, text, chunks = self.catalog.document(doc_id)
        return {"doc_id": doc_id, **passage_context(text, chunks, start, end, window)}

    def info(self) -> dict[str, Any]:
        manifest = self.index_store().current()
        return {
            "index_dir": str(self.settings.index_dir),
            "model": self.catalog.get_meta("model_id"),
            "dimension": int(self.catalog.get_meta("dimension") or 0) or None,
            "counts": self.catalog.counts(),
            "generation": manifest.generation if manifest else None,
            "vectors": manifest.count if manifest else 0,
            "index_type": manifest.index_type if manifest else None,
            "corpus_fingerprint": manifest.corpus_fingerprint if manifest else None,
            "index_current": bool(manifest and manifest.corpus_fingerprint == self.catalog.fingerprint()),
        }
