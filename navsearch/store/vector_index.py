"""FAISS index generations, derived from the catalog and published atomically.

FAISS writes its files in place without fsync, so an index is serialised to bytes,
written to a temporary file, fsynced and renamed; then a manifest naming it (generation,
checksum, count, model, dimension, corpus fingerprint) is published the same way. A
reader loads the generation the manifest names and keeps it while it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from navsearch.errors import IndexMismatch, NotReady

MANIFEST = "manifest.json"
GENERATION_FILE = re.compile(r"gen-(\d+)\.(?:faiss|bm25\.npz)")
KEEP_GENERATIONS = 2


@dataclass(frozen=True)
class Manifest:
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


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_manifest(folder: Path) -> Manifest | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise IndexMismatch(f"{path} is not a navsearch index manifest: {exc}") from exc


class VectorIndex:
    """A loaded, immutable FAISS generation: exact inner product on normalised vectors."""

    def __init__(self, index: "object", manifest: Manifest) -> None:
        self.index = index
        self.manifest = manifest

    @property
    def count(self) -> int:
        return int(self.index.ntotal)  # type: ignore[attr-defined]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, nprobe: int = 32
    ) -> list[tuple[int, float]]:
        """(chunk rowid, cosine similarity), best first; ``allowed`` restricts to those rowids.

        ``nprobe``: inverted lists visited when the index is IVF (ignored for flat).
        """
        import faiss

        if self.count == 0 or k <= 0:
            return []
        selector = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            k = min(k, len(allowed))
        if self.manifest.index_type.startswith("IVF"):
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe) if selector else faiss.SearchParametersIVF(nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector) if selector else None
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, min(k, self.count), params=params)  # type: ignore[attr-defined]
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def index_type_for(count: int, ann_threshold: int) -> str:
    """Exact search below the threshold; above it an IVF index with about 4·sqrt(n) lists
    (FAISS's rule of thumb), which trains in seconds on 2 cores where HNSW takes minutes."""
    if count < ann_threshold:
        return "IDMap2,FlatIP"
    return f"IVF{int(4 * np.sqrt(count))},FlatIP"


def build(ids: np.ndarray, vectors: np.ndarray, dimension: int, index_type: str = "IDMap2,FlatIP") -> "object":
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if index_type.startswith("IVF"):
        nlist = int(index_type[3:].split(",")[0])
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        # 64 points per list is plenty to place the centroids; a fixed seed keeps builds reproducible.
        rng = np.random.default_rng(0)
        sample = x[rng.choice(len(x), size=min(len(x), nlist * 64), replace=False)]
        index.train(sample)
        index.add_with_ids(x, ids.astype(np.int64))
        return index
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if len(ids):
        index.add_with_ids(x, ids.astype(np.int64))
    return index


def publish(
    folder: Path,
    ids: np.ndarray,
    vectors: np.ndarray,
    *,
    model_id: str,
    dimension: int,
    fingerprint: str,
    ann_threshold: int = 200_000,
    lexical: bytes | None = None,
) -> Manifest:
    """Write a new generation (FAISS index and, when given, the serialised BM25 index of
    the same chunks) and then the manifest that names it."""
    import faiss

    folder.mkdir(parents=True, exist_ok=True)
    current = read_manifest(folder)
    generation = (current.generation if current else 0) + 1
    index_type = index_type_for(len(ids), ann_threshold)
    index = build(ids, vectors, dimension, index_type)
    data = faiss.serialize_index(index).tobytes()
    name = f"gen-{generation:06d}.faiss"
    _write_atomic(folder / name, data)
    lexical_name = ""
    if lexical is not None:
        lexical_name = f"gen-{generation:06d}.bm25.npz"
        _write_atomic(folder / lexical_name, lexical)
    manifest = Manifest(
        generation=generation,
        file=name,
        sha256=hashlib.sha256(data).hexdigest(),
        count=len(ids),
        model_id=model_id,
        dimension=dimension,
        corpus_fingerprint=fingerprint,
        index_type=index_type,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        lexical_file=lexical_name,
        lexical_sha256=hashlib.sha256(lexical).hexdigest() if lexical is not None else "",
    )
    _write_atomic(folder / MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
    _prune(folder, generation)
    return manifest


def _prune(folder: Path, generation: int) -> None:
    # Older generations may still be open in a running server: keep the previous one.
    for path in folder.glob("gen-*"):
        match = GENERATION_FILE.fullmatch(path.name)
        if match and int(match.group(1)) <= generation - KEEP_GENERATIONS:
            path.unlink(missing_ok=True)


def load(folder: Path, *, model_id: str, dimension: int) -> VectorIndex:
    """Load the published generation; refuse one built with another model or corrupted."""
    import faiss

    manifest = read_manifest(folder)
    if manifest is None:
        raise NotReady(f"no vector index in {folder}: run `navsearch ingest` first")
    if manifest.model_id != model_id or manifest.dimension != dimension:
        raise IndexMismatch(
            f"vector index in {folder} was built with model {manifest.model_id!r} (dimension "
            f"{manifest.dimension}); the configured model is {model_id!r} (dimension {dimension})"
        )
    data = _read_verified(folder / manifest.file, manifest.sha256)
    index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    if index.ntotal != manifest.count:
        raise IndexMismatch(f"{manifest.file} holds {index.ntotal} vectors, the manifest says {manifest.count}")
    return VectorIndex(index, manifest)


def load_lexical(folder: Path, manifest: Manifest) -> bytes | None:
    """The generation's serialised BM25 index, checksum-verified; None when the
    generation predates it."""
    if not manifest.lexical_file:
        return None
    return _read_verified(folder / manifest.lexical_file, manifest.lexical_sha256)


def _read_verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IndexMismatch(f"{path} does not match its manifest checksum")
    return data
