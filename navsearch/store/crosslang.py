"""The cross-language index: every chunk embedded a second time by a multilingual encoder
(multilingual-e5-small, `embedding.cross_language`), so that a question in one language
finds passages written in another (retrieval/cross_language.py searches it).

It is derived, like the BM25 index: published for a generation of the catalog, after the
main index, from the chunks that generation shows. Vectors are cached by the text they
embed (``vectors.sqlite`` in this folder), so a publish embeds only new or changed
chunks. Files, each written atomically: ``gen-NNNNNN.faiss`` (FAISS, ids = chunk rowids),
``gen-NNNNNN.npz`` (the rowids of each script), ``gen-NNNNNN.json`` (checksums, model).

Damage here never stops search: a missing or corrupt file leaves the cross-language leg
out of that generation's searches, with a note saying so, until the next publish.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from navsearch.errors import IndexMismatch
from navsearch.progress import Progress
from navsearch.store import dense
from navsearch.store.catalog import Catalog
from navsearch.store.generation import KEEP_GENERATIONS, _read_verified, _write_atomic
from navsearch.store.reads import chunk_scripts
from navsearch.terms import SCRIPTS

log = logging.getLogger("navsearch.store")
OnProgress = Callable[[int, int], None]  # (passages with a vector, passages of the generation)


class PassageEncoder(Protocol):
    """What this index needs of its encoder (embedding.base.Embedder satisfies it; the
    store layer does not import the embedding one)."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...


@dataclass(frozen=True)
class CrossManifest:
    generation: int  # the main index generation these vectors are of
    model_id: str
    dimension: int
    count: int
    file: str
    sha256: str
    scripts_file: str
    scripts_sha256: str
    embedded: int  # chunks this publish embedded (the rest came from the cache)


class VectorCache:
    """Vectors of the cross-language encoder by (model, embedded text): chunks are cut
    again when the chunker changes, and an unchanged text is not embedded twice."""

    def __init__(self, path: Path, model_id: str) -> None:
        self.model_id = model_id
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("CREATE TABLE IF NOT EXISTS vectors(key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode("utf-8")).hexdigest()[:32]

    def get(self, keys: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self.con.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            out.update((k, v) for k, v in rows)
        return out

    def put(self, items: Iterable[tuple[str, bytes]]) -> None:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            self.con.executemany("INSERT OR REPLACE INTO vectors VALUES(?, ?)", items)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()


class CrossLanguageIndex:
    """A loaded cross-language index: search by a query vector among some chunks."""

    def __init__(self, index: object, scripts: dict[str, np.ndarray], manifest: CrossManifest) -> None:
        self.index = index
        self.scripts = scripts  # script -> sorted chunk rowids of documents in that script
        self.manifest = manifest

    def rowids(self, script: str) -> np.ndarray:
        return self.scripts.get(script, np.zeros(0, dtype=np.int64))

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        """(chunk rowid, cosine), best first, among the rowids ``allowed``."""
        import faiss

        if k <= 0 or len(allowed) == 0:
            return []
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, min(k, len(allowed)), params=params)  # type: ignore[attr-defined]
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


class CrossLanguageStore:
    """The cross-language index of one index folder's generations."""

    def __init__(self, folder: Path, catalog: Catalog, embedder: PassageEncoder, batch: int = 256) -> None:
        self.folder = folder
        self.catalog = catalog
        self.embedder = embedder
        self.batch = batch  # texts embedded and stored per step (embedding.cross_language_batch)

    def publish(
        self,
        generation: int,
        *,
        progress: bool = False,
        bar: bool = True,
        stop: Callable[[], bool] | None = None,
        on_progress: OnProgress | None = None,
    ) -> CrossManifest | None:
        """Embed the chunks of ``generation`` the cache lacks and publish their index. None
        when ``stop`` answered True between two batches: nothing is published then, and
        what was embedded stays in the cache for the next publish."""
        self.folder.mkdir(parents=True, exist_ok=True)
        rows = chunk_scripts(self.catalog, at=generation)
        cache = VectorCache(self.folder / "vectors.sqlite", self.embedder.model_id)
        try:
            keys = [cache.key(text) for _, _, text in rows]
            stored = cache.get(keys)
            todo = {k: text for k, (_, _, text) in zip(keys, rows) if k not in stored}
            uses = Counter(keys)  # passages sharing a text are done together
            missing = sum(uses[k] for k in todo)
            if on_progress is not None:
                on_progress(len(rows) - missing, len(rows))
            if todo:
                log.info("cross-language index: embedding %d new chunk(s) of %d", len(todo), len(rows))
                pending = list(todo.items())
                # Stored a part at a time: a publish stopped after minutes of embedding
                # keeps what it embedded for the next one.
                with Progress(total=len(pending), desc="cross-language", unit="text", enabled=progress, bar=bar) as shown:
                    for start in range(0, len(pending), self.batch):
                        if stop is not None and stop():
                            log.info("cross-language index of generation %d: stopped; embedded vectors kept", generation)
                            return None
                        part = pending[start : start + self.batch]
                        vectors = self.embedder.embed([text for _, text in part])
                        fresh = {k: v.astype(np.float32).tobytes() for (k, _), v in zip(part, vectors)}
                        cache.put(fresh.items())
                        stored.update(fresh)
                        shown.update(len(part))
                        missing -= sum(uses[k] for k in fresh)
                        if on_progress is not None:
                            on_progress(len(rows) - missing, len(rows))
        finally:
            cache.close()
        dim = self.embedder.dimension
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(stored[k] for k in keys), dtype=np.float32).reshape(len(rows), dim)
        data = dense.to_bytes(dense.build(ids, matrix, dim))  # exact: a multilingual leg is small next to the main one
        buffer = io.BytesIO()
        script = np.array([r[1] for r in rows], dtype=object)
        np.savez(buffer, **{s: np.sort(ids[script == s]) for s in SCRIPTS})
        scripts = buffer.getvalue()
        name = f"gen-{generation:06d}"
        _write_atomic(self.folder / f"{name}.faiss", data)
        _write_atomic(self.folder / f"{name}.npz", scripts)
        manifest = CrossManifest(
            generation, self.embedder.model_id, dim, len(rows), f"{name}.faiss", hashlib.sha256(data).hexdigest(),
            f"{name}.npz", hashlib.sha256(scripts).hexdigest(), len(todo),
        )
        _write_atomic(self.folder / f"{name}.json", json.dumps(asdict(manifest), indent=2).encode())
        self._prune(generation)
        return manifest

    def load(self, generation: int) -> tuple[CrossLanguageIndex | None, str | None]:
        """The index of ``generation``, or None and why (a note for the searches it leaves out)."""
        path = self.folder / f"gen-{generation:06d}.json"
        try:
            manifest = CrossManifest(**json.loads(path.read_text()))
            if manifest.model_id != self.embedder.model_id or manifest.dimension != self.embedder.dimension:
                return None, f"the cross-language index was built with {manifest.model_id}; publish again"
            index = dense.from_bytes(_read_verified(self.folder / manifest.file, manifest.sha256))
            with np.load(io.BytesIO(_read_verified(self.folder / manifest.scripts_file, manifest.scripts_sha256))) as z:
                scripts = {s: z[s] for s in z.files}
        except FileNotFoundError:
            return None, (
                f"generation {generation} has no cross-language index yet (the server builds it; "
                "or run `navsearch repair`)"
            )
        except (IndexMismatch, OSError, ValueError, TypeError, RuntimeError) as exc:
            log.error("cross-language index of generation %d unreadable: %s", generation, exc)
            return None, f"the cross-language index of generation {generation} is damaged (run `navsearch repair`)"
        return CrossLanguageIndex(index, scripts, manifest), None

    def has(self, generation: int) -> bool:
        return (self.folder / f"gen-{generation:06d}.json").exists()

    def _prune(self, generation: int) -> None:
        # A running server may still search the previous generation: keep it, as the main index does.
        for path in self.folder.glob("gen-*"):
            number = path.name[4:10]
            if number.isdigit() and int(number) <= generation - KEEP_GENERATIONS:
                path.unlink(missing_ok=True)
