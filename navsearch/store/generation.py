"""Index generations: the dense (FAISS, store/dense.py) and lexical (BM25,
store/lexical.py) indexes of one catalog snapshot, published together and loaded together.

The catalog is the source of truth and a generation is derived from it. FAISS writes its
files in place without fsync, so each index is serialised to bytes, written to a temporary
file, fsynced and renamed; then a manifest naming both files (generation, checksums,
count, model, dimension, corpus fingerprint) is published the same way. A reader loads
the generation the manifest names and keeps it while it runs.

``IndexStore`` (store/protocol.py) is the seam a second backend plugs into;
``FileGenerationStore`` keeps generations as files in one folder.

Damage is survived, not served: each generation keeps its own manifest copy
(gen-NNNNNN.manifest.json), and when the current one's files are missing or fail their
checksums the newest intact older generation is loaded instead (the catalog keeps the
rows it shows: store/schema.py), with ``Generation.degraded`` saying why; republishing
from the catalog (`navsearch repair`, or the server on start) ends it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from navsearch.errors import IndexMismatch, NotReady
from navsearch.store import dense
from navsearch.store.catalog import Catalog
from navsearch.store.dense import VectorIndex
from navsearch.store.lexical import Bm25Index
# The seam a second backend plugs into (store/protocol.py); imported from here too.
from navsearch.store.protocol import DenseIndex, Generation, IndexStore, LexicalIndex, Manifest

__all__ = ["DenseIndex", "FileGenerationStore", "Generation", "IndexStore", "LexicalIndex", "Manifest"]

log = logging.getLogger("navsearch.store")
MANIFEST = "manifest.json"
GENERATION_FILE = re.compile(r"gen-(\d+)\.(?:faiss|bm25\.npz|manifest\.json)")
GENERATION_MANIFEST = re.compile(r"gen-(\d+)\.manifest\.json")
TEMP_FILE = re.compile(r"\..+\.tmp-(\d+)")  # written by _write_atomic: .NAME.tmp-PID
# Generations kept on disk, and whose catalog rows are kept: the current one and the one
# before it, which a running server may still hold and which damage falls back to.
KEEP_GENERATIONS = 2


class FileGenerationStore:
    """Generations as files in one folder: gen-NNNNNN.faiss, gen-NNNNNN.bm25.npz, their
    gen-NNNNNN.manifest.json, and manifest.json naming the current generation."""

    def __init__(self, folder: Path, catalog: Catalog, ann: dense.AnnBuild | None = None) -> None:
        self.folder = folder
        self.catalog = catalog
        self.ann = ann or dense.AnnBuild()

    def current(self) -> Manifest | None:
        return read_manifest(self.folder)

    def publish(self, model_id: str, dimension: int, encoder_training: dict[str, Any] | None = None) -> Manifest:
        sweep_temp_files(self.folder)
        try:
            current = read_manifest(self.folder)
        except IndexMismatch:  # an unreadable manifest is replaced by the new one
            current = None
        # Rows committed from here on wait for the next generation, so this one's rows are
        # fixed; both indexes are built from one consistent read of exactly those rows.
        number = self.catalog.begin_generation(at_least=(current.generation + 1) if current else 1)
        with self.catalog.snapshot():
            ids, vectors = self.catalog.all_vectors(dimension, at=number)
            started = time.perf_counter()
            lexical = Bm25Index.build(self.catalog.chunk_texts(at=number))
            fingerprint = self.catalog.fingerprint(at=number)
        log.info("BM25 index of %d chunks built in %.1f s", lexical.count, time.perf_counter() - started)
        manifest = publish(
            self.folder,
            ids,
            vectors,
            model_id=model_id,
            dimension=dimension,
            fingerprint=fingerprint,
            ann=self.ann,
            lexical=lexical.to_bytes(),
            generation=number,
            encoder_training=encoder_training,
        )
        purged = self.catalog.purge(before=number - KEEP_GENERATIONS + 1)
        if purged:
            log.info("%d document version(s) no kept generation shows were removed from the catalog", purged)
        return manifest

    def load(self, model_id: str, dimension: int) -> Generation:
        problem: str | None = None
        try:
            manifest = read_manifest(self.folder)
        except IndexMismatch as exc:  # an unreadable manifest.json: damage, look further back
            manifest, problem = None, _plain(exc)
        else:
            if manifest is None:
                raise NotReady(f"no vector index in {self.folder.name}: run `navsearch ingest` first")
            _check_model(manifest, self.folder, model_id, dimension)  # another model is no damage
        if manifest is not None:
            try:
                return self._load(manifest)
            except (IndexMismatch, OSError) as exc:
                problem = _plain(exc)
        for older in self._older(manifest.generation if manifest else None):
            if older.model_id != model_id or older.dimension != dimension:
                continue
            try:
                generation = self._load(older)
            except (IndexMismatch, OSError):
                continue
            note = (
                f"the published index generation is damaged ({problem}); serving generation "
                f"{older.generation} until it is rebuilt from the catalog (`navsearch repair`)"
            )
            log.error("%s", note)
            return Generation(generation.manifest, generation.dense, generation.lexical, degraded=note)
        raise IndexMismatch(
            f"no intact index generation: {problem}; rebuild it from the catalog with `navsearch repair`"
        )

    def problem(self, manifest: Manifest) -> str | None:
        for name, sha in ((manifest.file, manifest.sha256), (manifest.lexical_file, manifest.lexical_sha256)):
            if not name:
                continue
            try:
                _read_verified(self.folder / name, sha)
            except (IndexMismatch, OSError) as exc:
                return _plain(exc)
        return None

    def _load(self, manifest: Manifest) -> Generation:
        index = _load_dense(self.folder, manifest)
        data = load_lexical(self.folder, manifest)
        lexical = Bm25Index.from_bytes(data) if data is not None else lexical_from_catalog(self.catalog, manifest)
        return Generation(manifest, index, lexical)

    def _older(self, below: int | None) -> list[Manifest]:
        """Manifests of the generations kept on disk, newest first, below ``below``."""
        found = []
        for path in self.folder.glob("gen-*.manifest.json"):
            match = GENERATION_MANIFEST.fullmatch(path.name)
            if match and (below is None or int(match.group(1)) < below):
                try:
                    found.append(Manifest(**json.loads(path.read_text())))
                except (OSError, ValueError, TypeError):
                    continue
        return sorted(found, key=lambda m: -m.generation)


def lexical_from_catalog(catalog: Catalog, manifest: Manifest) -> Bm25Index:
    """BM25 for a generation published before BM25 moved out of SQLite FTS5 into the
    generation, which has no lexical file: built from the catalog rows it shows."""
    log.warning("index generation %d has no BM25 index; building it from the catalog", manifest.generation)
    return Bm25Index.build(catalog.chunk_texts(at=manifest.generation))


def _plain(exc: BaseException) -> str:
    """An error as a reader should see it: what is wrong, not where the server keeps it."""
    if isinstance(exc, FileNotFoundError):
        return f"{Path(str(exc.filename)).name} is missing"
    return str(exc)


def sweep_temp_files(folder: Path) -> int:
    """Remove temporary files a killed publish left behind (those of a process still
    running are its work in progress); how many."""
    removed = 0
    for path in folder.glob(".*.tmp-*") if folder.exists() else ():
        match = TEMP_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and _running(pid):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d temporary file(s) of an interrupted publish", removed)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        raise IndexMismatch(f"{path.name} is not a navsearch index manifest: {exc}") from exc


def publish(
    folder: Path,
    ids: np.ndarray,
    vectors: np.ndarray,
    *,
    model_id: str,
    dimension: int,
    fingerprint: str,
    ann: dense.AnnBuild | None = None,
    lexical: bytes | None = None,
    generation: int | None = None,
    encoder_training: dict[str, Any] | None = None,
) -> Manifest:
    """Write a new generation (FAISS index and, when given, the serialised BM25 index of
    the same chunks), its own manifest, and then the manifest that names it current.
    ``generation`` is its number (default: one past the current)."""
    folder.mkdir(parents=True, exist_ok=True)
    if generation is None:
        current = read_manifest(folder)
        generation = (current.generation if current else 0) + 1
    ann = ann or dense.AnnBuild()
    index_type = ann.index_type(len(ids))
    started = time.perf_counter()
    data = dense.to_bytes(dense.build(ids, vectors, dimension, index_type, ann.ef_construction))
    log.info("%s index of %d vectors built in %.1f s", index_type, len(ids), time.perf_counter() - started)
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
        encoder_training=encoder_training,
    )
    text = json.dumps(asdict(manifest), indent=2).encode()
    _write_atomic(folder / f"gen-{generation:06d}.manifest.json", text)
    _write_atomic(folder / MANIFEST, text)
    _prune(folder, generation)
    return manifest


def _prune(folder: Path, generation: int) -> None:
    # Older generations may still be open in a running server: keep the previous one.
    for path in folder.glob("gen-*"):
        match = GENERATION_FILE.fullmatch(path.name)
        if match and int(match.group(1)) <= generation - KEEP_GENERATIONS:
            path.unlink(missing_ok=True)


def _checked_manifest(folder: Path, model_id: str, dimension: int) -> Manifest:
    """The published manifest; refused when it was built with another model."""
    manifest = read_manifest(folder)
    if manifest is None:
        raise NotReady(f"no vector index in {folder}: run `navsearch ingest` first")
    _check_model(manifest, folder, model_id, dimension)
    return manifest


def _check_model(manifest: Manifest, folder: Path, model_id: str, dimension: int) -> None:
    if manifest.model_id != model_id or manifest.dimension != dimension:
        raise IndexMismatch(
            f"vector index in {folder} was built with model {manifest.model_id!r} (dimension "
            f"{manifest.dimension}); the configured model is {model_id!r} (dimension {dimension})"
        )


def load_dense(folder: Path, *, model_id: str, dimension: int) -> VectorIndex:
    """The published generation's FAISS index alone; refused when built with another
    model or corrupted."""
    return _load_dense(folder, _checked_manifest(folder, model_id, dimension))


def _load_dense(folder: Path, manifest: Manifest) -> VectorIndex:
    index = VectorIndex(dense.from_bytes(_read_verified(folder / manifest.file, manifest.sha256)), manifest)
    if index.count != manifest.count:
        raise IndexMismatch(f"{manifest.file} holds {index.count} vectors, the manifest says {manifest.count}")
    return index


def load_lexical(folder: Path, manifest: Manifest) -> bytes | None:
    """The generation's serialised BM25 index, checksum-verified; None when the
    generation predates it."""
    if not manifest.lexical_file:
        return None
    return _read_verified(folder / manifest.lexical_file, manifest.lexical_sha256)


def _read_verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IndexMismatch(f"{path.name} does not match its manifest checksum")
    return data
