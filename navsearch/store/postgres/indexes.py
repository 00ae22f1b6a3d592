"""Generations in PostgreSQL: the ``IndexStore``, ``DenseIndex`` and ``LexicalIndex`` of
store/protocol.py over the catalog's own tables.

Nothing is derived into files: the HNSW index on ``chunks.embedding`` and the BM25
postings are written with the chunks, so publishing a generation is taking its number
(``begin_generation``: later writes wait for the next one) and recording its manifest in
``generations``. A reader bound to generation g filters every query by the same
born/retired rule as the embedded catalog, so it sees exactly g's chunks however the
tables change meanwhile.

Dense: ``ORDER BY embedding <#> q`` on the HNSW index (inner product of normalised
vectors = cosine), with pgvector's iterative index scan so a filter that rejects most
neighbours still returns enough rows. Lexical: the embedded backend's BM25 (store/
lexical.py: k1 1.2, b 0.75, FTS5's idf), summed in SQL over the query terms' postings;
the generation's chunk count, average length and each term's document frequency are
computed once per loaded generation (it never changes), so the ranking is the same on
both backends.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import numpy as np
from psycopg_pool import ConnectionPool

from navsearch.errors import IndexMismatch, NotReady
from navsearch.settings import StoreSettings
from navsearch.store.catalog import visible
from navsearch.store.generation import KEEP_GENERATIONS
from navsearch.store.lexical import B, K1
from navsearch.store.postgres.store import PgStore
from navsearch.store.protocol import AnnSearch, Generation, Manifest
from navsearch.terms import CJK

log = logging.getLogger("navsearch.store")


def _manifest(value: Any) -> Manifest:
    return Manifest(**(value if isinstance(value, dict) else json.loads(value)))


class PgDense:
    """Top-n chunks of one generation by cosine similarity, from the HNSW index."""

    def __init__(self, pool: ConnectionPool, manifest: Manifest, settings: StoreSettings) -> None:
        self.pool = pool
        self.manifest = manifest
        self.settings = settings

    @property
    def count(self) -> int:
        return self.manifest.count

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, ann: AnnSearch | None = None
    ) -> list[tuple[int, float]]:
        """(chunk rowid, cosine similarity), best first; ``ann`` is FAISS's and unused
        (pgvector's HNSW reads settings.store's ef_search and iterative scans)."""
        if allowed is not None:
            if len(allowed) == 0:
                return []
            k = min(k, len(allowed))
        if self.count == 0 or k <= 0:
            return []
        s = self.settings
        q = np.ascontiguousarray(query.reshape(-1), dtype=np.float32)
        where = visible(self.manifest.generation, "c") + (" AND c.id = ANY(%(allowed)s)" if allowed is not None else "")
        # relaxed_order may return neighbours slightly out of order: they are re-sorted.
        sql = (
            f"WITH hits AS MATERIALIZED (SELECT c.id, c.embedding <#> %(q)s AS distance FROM chunks c "
            f"WHERE {where} ORDER BY c.embedding <#> %(q)s LIMIT %(k)s) "
            "SELECT id, -distance FROM hits ORDER BY distance, id"
        )
        with self.pool.connection() as con, con.transaction():
            con.execute(f"SET LOCAL hnsw.ef_search = {int(min(1000, max(s.hnsw_ef_search, k)))}")
            con.execute(f"SET LOCAL hnsw.iterative_scan = {s.iterative_scan}")
            con.execute(f"SET LOCAL hnsw.max_scan_tuples = {int(s.max_scan_tuples)}")
            args: dict[str, Any] = {"q": q, "k": k}
            if allowed is not None:
                args["allowed"] = [int(i) for i in allowed]
            rows = con.execute(sql, args).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]


class PgLexical:
    """BM25 over one generation's chunks, from the postings table."""

    def __init__(self, pool: ConnectionPool, generation: int) -> None:
        self.pool = pool
        self.generation = generation
        with pool.connection() as con:
            row = con.execute(
                f"SELECT count(*), coalesce(avg(terms), 0) FROM chunks c WHERE {visible(generation, 'c')}"
            ).fetchone()
        assert row is not None
        self._count = int(row[0])
        self.avgdl = max(float(row[1]), 1e-9)
        self._df: dict[str, int] = {}  # a generation never changes: its frequencies neither
        self._scripts: dict[str, np.ndarray] = {}

    @property
    def count(self) -> int:
        return self._count

    def _frequencies(self, terms: list[str]) -> dict[str, int]:
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if missing:
            with self.pool.connection() as con:
                rows = con.execute(
                    f"SELECT p.term, count(*) FROM postings p WHERE p.term = ANY(%s) AND {visible(self.generation, 'p')} "
                    "GROUP BY p.term",
                    (missing,),
                ).fetchall()
            found = dict(rows)
            self._df.update((t, int(found.get(t, 0))) for t in missing)
        return {t: self._df[t] for t in terms}

    def df(self, term: str) -> int:
        return self._frequencies([term])[term]

    def script_rowids(self, script: str) -> np.ndarray | None:
        """As the embedded index: a chunk is CJK when more than half its terms are (the
        postings hold each term's count and the chunk's length)."""
        if not self._scripts:
            with self.pool.connection() as con:
                every = con.execute(f"SELECT c.id FROM chunks c WHERE {visible(self.generation, 'c')} ORDER BY c.id").fetchall()
                cjk = con.execute(
                    f"SELECT p.chunk FROM postings p WHERE {visible(self.generation, 'p')} AND p.term ~ %s "
                    "GROUP BY p.chunk, p.dl HAVING 2 * sum(p.tf) > p.dl ORDER BY p.chunk",
                    (f"^[{CJK}]",),
                ).fetchall()
            ids = np.asarray([r[0] for r in every], dtype=np.int64)
            self._scripts["cjk"] = np.asarray([r[0] for r in cjk], dtype=np.int64)
            self._scripts["latin"] = np.setdiff1d(ids, self._scripts["cjk"], assume_unique=True)
        return self._scripts[script]

    def idf(self, terms: list[str]) -> list[float]:
        df = self._frequencies(terms)
        return [max(float(np.log((self._count - df[t] + 0.5) / (df[t] + 0.5))), 1e-6) for t in terms]

    def search(
        self, terms: list[str], k: int, allowed: np.ndarray | None = None, boosts: list[float] | None = None
    ) -> list[tuple[int, float]]:
        boost = dict(zip(terms, boosts)) if boosts is not None else {}
        df = self._frequencies(terms)  # one query for the terms not seen yet
        unique = [t for t in dict.fromkeys(terms) if df[t] > 0]
        if not unique or k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        weights = [b * i for b, i in zip((boost.get(t, 1.0) for t in unique), self.idf(unique))]
        where = visible(self.generation, "p") + (" AND p.chunk = ANY(%(allowed)s)" if allowed is not None else "")
        sql = (
            "WITH q(term, weight) AS (SELECT * FROM unnest(%(terms)s::text[], %(weights)s::float8[])) "
            f"SELECT p.chunk, sum(q.weight * p.tf * {K1 + 1} / (p.tf + {K1} * (1 - {B} + {B} * p.dl / %(avgdl)s))) AS score "
            "FROM q JOIN postings p ON p.term = q.term "
            f"WHERE {where} GROUP BY p.chunk ORDER BY score DESC, p.chunk LIMIT %(k)s"
        )
        args: dict[str, Any] = {"terms": unique, "weights": weights, "avgdl": self.avgdl, "k": k}
        if allowed is not None:
            args["allowed"] = [int(i) for i in allowed]
        with self.pool.connection() as con:
            rows = con.execute(sql, args).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows if r[1] > 0]


class PgIndexStore:
    """Generations of a PostgreSQL store: numbers and manifests in ``generations``."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    def current(self) -> Manifest | None:
        """The newest published generation on the primary (what the next publish follows)."""
        with self.store.pools.primary.connection() as con:
            row = con.execute("SELECT manifest FROM generations ORDER BY number DESC LIMIT 1").fetchone()
        return _manifest(row[0]) if row else None

    def publish(self, model_id: str, dimension: int, encoder_training: dict[str, Any] | None = None) -> Manifest:
        current = self.current()
        number = self.store.begin_generation(at_least=(current.generation + 1) if current else 1)
        s = self.store.settings
        manifest = Manifest(
            generation=number,
            file="",
            sha256="",
            count=self.store.chunk_count(number),
            model_id=model_id,
            dimension=dimension,
            corpus_fingerprint=self.store.fingerprint(at=number),
            index_type=f"pgvector HNSW (m={s.hnsw_m}, ef_construction={s.hnsw_ef_construction}) + BM25 postings",
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            encoder_training=encoder_training,
        )
        with self.store.pools.write() as con:
            con.execute(
                "INSERT INTO generations VALUES(%s, %s) ON CONFLICT (number) DO UPDATE SET manifest=EXCLUDED.manifest",
                (number, json.dumps(asdict(manifest))),
            )
        self.store.analyze()  # fresh statistics: the planner then reads postings by term, chunks by HNSW
        purged = self.store.purge(before=number - KEEP_GENERATIONS + 1)
        if purged:
            log.info("%d document version(s) no kept generation shows were removed from the store", purged)
        return manifest

    def load(self, model_id: str, dimension: int) -> Generation:
        """The newest generation the read pool sees (a replica may lag the primary by a
        moment: it then serves the generation before, consistently)."""
        pool = self.store.pools.reads
        with pool.connection() as con:
            row = con.execute("SELECT manifest FROM generations ORDER BY number DESC LIMIT 1").fetchone()
        if row is None:
            raise NotReady("no index generation in the PostgreSQL store: run `navsearch ingest` first")
        manifest = _manifest(row[0])
        if manifest.model_id != model_id or manifest.dimension != dimension:
            raise IndexMismatch(
                f"the PostgreSQL store's generation {manifest.generation} was built with model "
                f"{manifest.model_id!r} (dimension {manifest.dimension}); the configured model is {model_id!r} "
                f"(dimension {dimension})"
            )
        return Generation(
            manifest, PgDense(pool, manifest, self.store.settings), PgLexical(pool, manifest.generation)
        )

    def problem(self, manifest: Manifest) -> str | None:
        """None: a generation has no files to lose; the database keeps its own pages whole."""
        return None
