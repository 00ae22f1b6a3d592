"""Store backends compared at scale: bytes stored per chunk, and hybrid search latency
(p50/p99 of NavSearch.search, fusion and grouping included) on the embedded store
(SQLite + exact FAISS + BM25 files) and on PostgreSQL 16 + pgvector (HNSW + BM25
postings), plus the recall of HNSW's dense top-10 against exact search.

Synthetic data: N chunks of 60-120 consecutive words of the bundled corpus (so terms
have a real distribution), 20 chunks a document, unit vectors of 384 dimensions: by
default clustered as real embeddings are (each document near one of N/200 topics, its
chunks near it), with ``--uniform`` uniformly random (no structure: every top-10 is a
set of near-ties, the worst case for any ANN index). Queries are 3-6 words of a random
chunk, with a vector near that chunk's document (uniform: the hashing encoder's). The
PostgreSQL server is the one the tests start (tests/pg_server.py).

    python benchmarks/store_latency.py --chunks 20000 --queries 300 --out benchmarks/reports/store_latency.md
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from navsearch.embedding.fake import HashingEmbedder  # noqa: E402
from navsearch.progress import track  # noqa: E402
from navsearch.service import NavSearch  # noqa: E402
from navsearch.settings import Settings  # noqa: E402
from navsearch.types import Chunk, Document, chunk_id_for  # noqa: E402

DIM = 384
MODEL = f"hashing-{DIM}"
PER_DOC = 20
TYPES = ("patent", "policy", "statute")


def corpus_words() -> list[str]:
    words: list[str] = []
    for path in sorted((ROOT / "corpus").rglob("*")):
        if path.suffix in {".txt", ".md", ".json", ".jsonl", ".xml"}:
            words.extend(re.findall(r"[A-Za-z][A-Za-z'-]+", path.read_text(errors="ignore")))
    return words


def documents(n_chunks: int, rng: np.random.Generator) -> list[tuple[Document, list[Chunk]]]:
    words = corpus_words()
    out = []
    for d in range(0, n_chunks, PER_DOC):
        doc_id = f"doc-{d // PER_DOC:06d}"
        texts = []
        for _ in range(min(PER_DOC, n_chunks - d)):
            start, length = int(rng.integers(0, len(words) - 130)), int(rng.integers(60, 121))
            texts.append(" ".join(words[start : start + length]))
        text = "\n".join(texts)
        doc = Document(
            doc_id=doc_id, doc_type=TYPES[d // PER_DOC % 3], title=f"Document {d // PER_DOC}", text=text,  # type: ignore[arg-type]
            sections=[], source=f"{doc_id}.txt", publication_date=date(1990 + int(rng.integers(0, 35)), 1, 1),
            jurisdiction=("US", "EP", "CN", "EU")[int(rng.integers(0, 4))],
        )
        chunks, pos = [], 0
        for i, t in enumerate(texts):
            path = f"p{i}"
            chunks.append(Chunk(chunk_id_for(doc_id, path, t), doc_id, i, "paragraph", path, t, pos, pos + len(t)))
            pos += len(t) + 1
        out.append((doc, chunks))
    return out


def build(ns: NavSearch, docs: list[tuple[Document, list[Chunk]]], vectors: np.ndarray, label: str) -> dict[str, float]:
    ns.catalog.check_model(MODEL, DIM)
    started, row = time.perf_counter(), 0
    batch = 50  # documents a transaction
    # PostgreSQL: the HNSW index built once after the rows (store.bulk_load), as a bulk load would.
    with getattr(ns.catalog, "bulk_load", contextlib.nullcontext)():
        for i in track(range(0, len(docs), batch), desc=f"{label}: writing", unit="batch"):
            part = docs[i : i + batch]
            vecs = {}
            for _, chunks in part:
                for c in chunks:
                    vecs[c.chunk_id] = vectors[row].tobytes()
                    row += 1
            ns.catalog.put_documents(part, "bench", vecs)
    written = time.perf_counter() - started
    started = time.perf_counter()
    ns.index_store().publish(MODEL, DIM)
    return {"write_s": written, "publish_s": time.perf_counter() - started}


def latency(ns: NavSearch, queries: list[str]) -> dict[str, float]:
    ns.search(queries[0], k=10)  # loads the generation
    times = []
    for q in queries:
        t = time.perf_counter()
        ns.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    a = np.asarray(times)
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)), "mean_ms": float(a.mean())}


def embedded_bytes(index_dir: Path) -> int:
    return sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())


def postgres_bytes(dsn: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(dsn) as con:
        rel = {
            name: con.execute("SELECT pg_total_relation_size(%s)", (name,)).fetchone()[0]  # type: ignore[index]
            for name in ("documents", "chunks", "postings")
        }
        rel["hnsw index"] = con.execute("SELECT pg_relation_size('chunks_embedding')").fetchone()[0]  # type: ignore[index]
        rel["database"] = con.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
    return rel


class QueryVectors(HashingEmbedder):
    """The hashing encoder, but a benchmark query gets the vector drawn for it."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        super().__init__(DIM)
        self.vectors = vectors

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        return np.stack([self.vectors[t] if t in self.vectors else super().embed_queries([t])[0] for t in texts])


def clustered(n_chunks: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(chunk vectors, document topic vectors): a document near one of n/200 topics, its
    chunks near the document."""
    topics = _unit(rng.standard_normal((max(1, n_chunks // 200), DIM)))
    n_docs = -(-n_chunks // PER_DOC)
    docs = _unit(topics[rng.integers(0, len(topics), n_docs)] + 0.06 * rng.standard_normal((n_docs, DIM)))
    chunks = _unit(np.repeat(docs, PER_DOC, axis=0)[:n_chunks] + 0.05 * rng.standard_normal((n_chunks, DIM)))
    return chunks.astype(np.float32), docs


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall(emb: NavSearch, pg: NavSearch, queries: list[str], embedder: HashingEmbedder) -> float:
    """Share of exact search's dense top-10 that HNSW returns (by chunk id)."""
    found = []
    for ns_pair in [(emb, pg)]:
        e, p = (ns.searcher() for ns in ns_pair)
        ev, pv = (ns.catalog.view(s.generation.manifest.generation) for ns, s in zip(ns_pair, (e, p)))
        for q in queries:
            v = embedder.embed_queries([q])[0]
            exact = [ev.chunks_by_rowid([i])[i].chunk.chunk_id for i, _ in e.index.search(v, 10)]
            hnsw = [pv.chunks_by_rowid([i])[i].chunk.chunk_id for i, _ in p.index.search(v, 10)]
            found.append(len(set(exact) & set(hnsw)) / 10)
    return float(np.mean(found))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--uniform", action="store_true", help="uniformly random vectors instead of clustered ones")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    from pg_server import PgCluster

    rng = np.random.default_rng(7)
    docs = documents(args.chunks, rng)
    if args.uniform:
        vectors = _unit(rng.standard_normal((args.chunks, DIM))).astype(np.float32)
        doc_vectors = None
    else:
        vectors, doc_vectors = clustered(args.chunks, rng)
    queries, query_vectors = [], {}
    for _ in range(args.queries):
        d = int(rng.integers(0, len(docs)))
        _, chunks = docs[d]
        words = chunks[int(rng.integers(0, len(chunks)))].text.split()
        start = int(rng.integers(0, max(1, len(words) - 6)))
        queries.append(" ".join(words[start : start + int(rng.integers(3, 7))]))
        if doc_vectors is not None:
            near = doc_vectors[d] + 0.05 * rng.standard_normal(DIM)
            query_vectors[queries[-1]] = (near / np.linalg.norm(near)).astype(np.float32)
    embedder = QueryVectors(query_vectors)
    cluster = PgCluster()
    try:
        dsn = cluster.create_database("bench")
        tmp = Path(tempfile.mkdtemp(prefix="store-bench-"))
        rows = {}
        services = {}
        for backend in ("embedded", "postgres"):
            settings = Settings(index_dir=tmp / backend, embedding={"model": MODEL}, store={"backend": backend, "dsn": dsn})
            ns = NavSearch(settings, embedder=embedder)
            row = build(ns, docs, vectors, backend)
            row.update(latency(ns, queries))
            services[backend] = ns
            rows[backend] = row
        rows["embedded"]["bytes"] = embedded_bytes(tmp / "embedded")
        sizes = postgres_bytes(dsn)
        rows["postgres"]["bytes"] = sizes["database"]
        hnsw_recall = recall(services["embedded"], services["postgres"], queries[:100], embedder)
    finally:
        cluster.close()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), platform.processor())
    lines = [
        f"# Store backends at {args.chunks:,} chunks",
        "",
        f"`python benchmarks/store_latency.py --chunks {args.chunks} --queries {args.queries}"
        f"{' --uniform' if args.uniform else ''}` ({'uniformly random' if args.uniform else 'clustered'} vectors); CPU: {model}, "
        f"{os.cpu_count()} cores; load average at the end: {os.getloadavg()[0]:.2f} (other work shared the machine).",
        "",
        "| store | write s (PostgreSQL: with the HNSW build) | publish s | bytes / chunk | hybrid p50 ms | hybrid p99 ms | mean ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['write_s']:.1f} | {r['publish_s']:.1f} | {r['bytes'] / args.chunks:,.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['mean_ms']:.1f} |"
        )
    lines += [
        "",
        "PostgreSQL bytes per chunk by relation (with their indexes): "
        + ", ".join(f"{k} {v / args.chunks:,.0f}" for k, v in sizes.items() if k != "database")
        + f"; whole database {sizes['database'] / args.chunks:,.0f}.",
        f"HNSW dense top-10 recall against exact FAISS (100 queries): {hnsw_recall:.3f}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
