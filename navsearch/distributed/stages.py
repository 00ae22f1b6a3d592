"""The two Ray Data stages of a cluster ingest, as callable classes (one instance per
actor, built once): parse + chunk, then embed. Rows are files: a file's documents, chunks
and vectors travel together, so the driver commits each file in one transaction.

Rows carry pickles of the library's own objects between processes of one program (the
parse worker's messages do the same); a failure is carried as (error class, step, reason)
and becomes the same ParseError on the driver, which records it as a plain ingest would.
An absent value is empty bytes, never None: Ray's columns would turn None into NaN.
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any

from navsearch.chunking.chunker import chunker_for
from navsearch.embedding.base import Embedder
from navsearch.embedding.registry import make_embedder
from navsearch.errors import ParseError
from navsearch.indexer import chunk_document, chunker_key, embed_chunks
from navsearch.ingest.options import ParseOptions
from navsearch.ingest.worker import ParseLimits, ParseWorker, describe_error
from navsearch.settings import EmbeddingSettings, Settings
from navsearch.types import Chunk, Document

Batch = dict[str, Any]  # column -> values, as Ray Data hands them over and takes them back
Parsed = tuple[list[Document], dict[str, list[Chunk]]]  # documents, and each one's chunks


def _keyed(embedder: Embedder, settings: Settings) -> str:
    """The chunker key of this encoder under ``settings``: the driver refuses rows made
    with another one (another navsearch or other settings on a node)."""
    return chunker_key(embedder.model_id, chunker_for(embedder, settings.chunking))


class ParseChunk:
    """Parses files with the parser registry in a ParseWorker (the ingest's time and memory
    limits) and chunks every document with the chunker of a plain ingest."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limits = ParseLimits(
            settings.ingest.parse_timeout_s, settings.ingest.parse_memory_mb, settings.ingest.max_file_mb
        )
        embedder = make_embedder(settings.embedding)  # its tokenizer counts the chunks' tokens
        self.chunker = chunker_for(embedder, settings.chunking)
        self.worker = ParseWorker(self.limits)
        self.node = _node()

    def __call__(self, batch: Batch) -> Batch:
        out: Batch = {"source": [], "parsed": [], "error": [], "parse_node": []}
        for path, source in zip(batch["path"], batch["source"]):
            source = str(source)
            parsed = error = b""
            try:
                docs = self.worker.parse(Path(path), source, ParseOptions.for_file(source, self.settings.ingest))
                chunked = {doc.doc_id: chunk_document(self.chunker, doc, source) for doc in docs}
                parsed = pickle.dumps((docs, chunked), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # every failure is the file's, carried by name
                error = pickle.dumps(describe_error(exc, self.limits.memory_mb))
            out["source"].append(source)
            out["parsed"].append(parsed)
            out["error"].append(error)
            out["parse_node"].append(self.node)
        return out


class Embed:
    """Embeds each parsed file's chunks with one encoder per actor, in the calls a plain
    ingest makes (indexer.embed_chunks), so the vectors are the same bytes."""

    def __init__(self, settings: Settings, embedding: EmbeddingSettings) -> None:
        self.embedder = make_embedder(embedding)
        self.key = _keyed(self.embedder, settings)
        self.step = settings.ingest.commit_every
        self.node = _node()

    def __call__(self, batch: Batch) -> Batch:
        vectors: list[bytes] = []
        seconds: list[float] = []
        errors: list[bytes] = list(batch["error"])
        for i, (source, parsed) in enumerate(zip(batch["source"], batch["parsed"])):
            seconds.append(0.0)
            if not parsed:
                vectors.append(b"")
                continue
            t0 = time.perf_counter()
            docs, chunked = load(parsed)
            chunks = [c for doc in docs for c in chunked[doc.doc_id]]
            try:
                vectors.append(pickle.dumps(embed_chunks(self.embedder, chunks, str(source), self.step)))
            except ParseError as exc:  # embed_chunks names the file in every encoder error
                vectors.append(b"")
                errors[i] = pickle.dumps(describe_error(exc, 0))
            seconds[-1] = time.perf_counter() - t0
        n = len(vectors)
        return {
            "source": list(batch["source"]),
            "parsed": list(batch["parsed"]),
            "vectors": vectors,
            "error": errors,
            "key": [self.key] * n,
            "parse_node": list(batch["parse_node"]),
            "node": [self.node] * n,
            "embed_s": seconds,
        }


def _node() -> str:
    """The Ray node this actor runs on (the report counts files per node)."""
    import ray

    return str(ray.get_runtime_context().get_node_id())


def load(payload: bytes) -> Any:
    """A pickle one stage wrote for the next (or the driver)."""
    return pickle.loads(payload)
