"""Speed: ingest overhead over the bare encoder, hybrid search latency at 10k and 100k
chunks, FAISS alone at 1M vectors (exact vs IVF), index build and load time (FAISS and
BM25) and peak memory.

Reads ../shared/data (override with --data) for PatSnap patents and ObliQA questions,
and the catalogs that benchmarks/quality.py builds for the configured encoder
(benchmarks/bench_index.py) for real chunk texts with their real embeddings: run that first.
The 100k-chunk index repeats those real chunks (same text, same vector) under new
document ids, so BM25 posting lists and the flat FAISS scan have their real sizes.
Writes benchmarks/reports/speed.json and speed.md. Timings are taken in one run.

    .venv/bin/python benchmarks/speed.py [--data ../shared/data] [--skip-1m]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_index import bench_index  # beside this script
from navsearch.chunking.chunker import Chunker
from navsearch.embedding.base import Embedder
from navsearch.ingest.patent_jsonl import parse_patent_jsonl
from navsearch.embedding.registry import make_embedder
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store import dense, generation
from navsearch.store.catalog import Catalog
from navsearch.store.lexical import Bm25Index
from navsearch.types import Chunk, Document, chunk_id_for

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "n": len(ms),
    }


def ingest_overhead(embedder: Embedder, patents: Path, n_docs: int, rounds: int) -> dict:
    """Pipeline (parse, chunk, embed, store, publish) against the bare encoder (the
    embedder's own encode call, no navsearch around it) on the same chunk texts with the
    same batch size, alternating, in one run."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "patents.jsonl"
        src.write_text("\n".join(patents.read_text().splitlines()[:n_docs]))
        chunker = Chunker(embedder.count_tokens, embedder.max_tokens, 32)
        texts = [c.embed_text for d in parse_patent_jsonl(src) for c in chunker.chunk(d)]
        bare, pipe = [], []
        for r in range(rounds):
            t0 = time.perf_counter()
            embedder.embed(texts)
            bare.append(time.perf_counter() - t0)
            service = NavSearch(Settings(index_dir=Path(tmp) / f"idx{r}"), embedder=embedder)
            t0 = time.perf_counter()
            report = service.ingest([src], progress=False)
            pipe.append(time.perf_counter() - t0)
            assert report.embedded == len(texts), (report.embedded, len(texts))
        b, p = statistics.median(bare), statistics.median(pipe)
        return {
            "chunks": len(texts),
            "bare_encode_chunks_per_s": round(len(texts) / b, 1),
            "pipeline_chunks_per_s": round(len(texts) / p, 1),
            "overhead_pct": round(100 * (p - b) / b, 1),  # medians of the rounds
            # Fastest round of each: what is left when nothing else takes the cores.
            "overhead_pct_best_rounds": round(100 * (min(pipe) - min(bare)) / min(bare), 1),
            "rounds": rounds,
            "bare_seconds": [round(x, 2) for x in bare],
            "pipeline_seconds": [round(x, 2) for x in pipe],
        }


def real_chunks(limit: int, backend: str) -> list[tuple[str, str, str, bytes]]:
    """(doc_id, path, text, vector) of real embedded chunks from the quality benchmarks'
    indexes of this encoder backend (benchmarks/quality.py builds the torch ones,
    benchmarks/encoder_quality.py the others)."""
    rows: list[tuple[str, str, str, bytes]] = []
    for name in ("obliqa", "patsnap"):
        db = bench_index(name, backend) / "catalog.sqlite"
        if not db.exists():
            raise SystemExit(f"{db} is missing: run benchmarks/quality.py / encoder_quality.py first")
        con = sqlite3.connect(db)
        rows += con.execute("SELECT doc_id, path, text, vector FROM chunks ORDER BY id").fetchall()
        con.close()
    if len(rows) < limit:
        raise SystemExit(f"only {len(rows)} real chunks available, need {limit}")
    return rows[:limit]


def build_scaled(folder: Path, chunks: list[tuple[str, str, str, bytes]], total: int, model_id: str) -> Catalog:
    catalog = Catalog(folder / "catalog.sqlite")
    catalog.check_model(model_id, 384)
    items, vectors = [], {}
    for i in range(total):
        doc_id, path, text, vec = chunks[i % len(chunks)]
        copy_id = f"{doc_id}~{i // len(chunks)}"
        chunk = Chunk(chunk_id_for(copy_id, path, text), copy_id, 0, "clause", path, text, 0, len(text))
        items.append((Document(copy_id, "policy", None, text, [], "bench", number=None), [chunk]))
        vectors[chunk.chunk_id] = vec
    catalog.put_documents(items, "bench", vectors)
    return catalog


def search_latency(embedder, chunks, queries: list[str], scale: int, tmp: Path) -> dict:
    folder = tmp / f"s{scale}"
    t0 = time.perf_counter()
    catalog = build_scaled(folder, chunks, scale, embedder.model_id)
    ids, vecs = catalog.all_vectors(384)
    t1 = time.perf_counter()
    lexical = Bm25Index.build(catalog.chunk_texts())
    bm25_s = time.perf_counter() - t1
    generation.publish(folder / "vectors", ids, vecs, model_id=embedder.model_id, dimension=384, fingerprint="b",
                       lexical=lexical.to_bytes())
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = generation.load_dense(folder / "vectors", model_id=embedder.model_id, dimension=384)
    data = generation.load_lexical(folder / "vectors", index.manifest)
    assert data is not None, "the generation was published with its BM25 index"
    Bm25Index.from_bytes(data)
    load_s = time.perf_counter() - t0
    service = NavSearch(Settings(index_dir=folder), embedder=embedder)
    out = {"chunks": scale, "build_seconds": round(build_s, 1), "bm25_build_seconds": round(bm25_s, 1),
           "index_load_seconds": round(load_s, 3)}
    for mode in ("hybrid", "dense", "lexical"):
        for q in queries[:10]:  # warm caches and the model
            service.search(q, k=10, mode=mode)
        ms = []
        for q in queries:
            t = time.perf_counter()
            service.search(q, k=10, mode=mode)
            ms.append((time.perf_counter() - t) * 1000)
        out[mode] = percentiles(ms)
    t = []
    for q in queries:
        t0 = time.perf_counter()
        embedder.embed([q])
        t.append((time.perf_counter() - t0) * 1000)
    out["query_encode"] = percentiles(t)
    return out


def faiss_1m(n: int, dim: int = 384, queries: int = 200) -> dict:
    """FAISS alone on clustered synthetic unit vectors: exact flat against IVF."""
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(2000, dim)).astype(np.float32)
    x = np.empty((n, dim), dtype=np.float32)
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        x[s:e] = centers[rng.integers(0, len(centers), e - s)] + 0.5 * rng.normal(size=(e - s, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(n, dtype=np.int64)
    q = x[rng.choice(n, queries, replace=False)] + 0.1 * rng.normal(size=(queries, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    out: dict[str, object] = {"vectors": n, "dim": dim, "queries": queries}
    manifest = lambda t: generation.Manifest(0, "", "", n, "m", dim, "", t, "")  # noqa: E731
    t0 = time.perf_counter()
    flat = dense.VectorIndex(dense.build(ids, x, dim, "IDMap2,FlatIP"), manifest("IDMap2,FlatIP"))
    out["flat_build_seconds"] = round(time.perf_counter() - t0, 1)
    truth, ms = [], []
    for v in q:
        t = time.perf_counter()
        truth.append({i for i, _ in flat.search(v, 10)})
        ms.append((time.perf_counter() - t) * 1000)
    out["flat"] = percentiles(ms)
    itype = dense.index_type_for(n, ann_threshold=1)
    t0 = time.perf_counter()
    ivf = dense.VectorIndex(dense.build(ids, x, dim, itype), manifest(itype))
    out["ivf_type"] = itype
    out["ivf_build_seconds"] = round(time.perf_counter() - t0, 1)
    for nprobe in (16, 32, 64):
        ms, rec = [], []
        for v, t_set in zip(q, truth):
            t = time.perf_counter()
            got = {i for i, _ in ivf.search(v, 10, nprobe=nprobe)}
            ms.append((time.perf_counter() - t) * 1000)
            rec.append(len(got & t_set) / 10)
        out[f"ivf_nprobe{nprobe}"] = {**percentiles(ms), "recall@10": round(float(np.mean(rec)), 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--skip-1m", action="store_true")
    ap.add_argument("--skip-search", action="store_true", help="keep the report's search figures")
    ap.add_argument("--skip-ingest", action="store_true", help="keep the report's ingest figures")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5, help="ingest rounds (alternating bare and pipeline)")
    args = ap.parse_args()
    settings = Settings()  # the default encoder, as `navsearch` runs it
    embedder = make_embedder(settings.embedding)
    out = ROOT / "benchmarks" / "reports"
    # A part skipped keeps its figures from the last run; each part says when it was taken.
    report: dict[str, object] = json.loads((out / "speed.json").read_text()) if (out / "speed.json").exists() else {}
    report["encoder"] = embedder.model_id
    stamp = time.strftime("%Y-%m-%d %H:%M")
    if not args.skip_ingest:
        print("ingest overhead ...", flush=True)
        report["ingest"] = {**ingest_overhead(embedder, args.data / "patents/patsnap/patents.jsonl", 250, rounds=args.rounds),
                            "measured": stamp, "peak_rss_mb_so_far": round(rss_mb(), 1)}
        print(report["ingest"], flush=True)
    if not args.skip_search:
        qs = [json.loads(line)["text"] for line in (args.data / "policy/obliqa/queries.dev.jsonl").read_text().splitlines()]
        chunks = real_chunks(10_000, settings.embedding.backend)
        with tempfile.TemporaryDirectory() as tmp:
            for scale in (10_000, 100_000):
                print(f"search latency at {scale} chunks ...", flush=True)
                report[f"search_{scale}"] = {**search_latency(embedder, chunks, qs[: args.queries], scale, Path(tmp)),
                                             "measured": stamp, "peak_rss_mb_so_far": round(rss_mb(), 1)}
                print(report[f"search_{scale}"], flush=True)
    if not args.skip_1m:
        print("FAISS at 1M vectors ...", flush=True)
        report["faiss_1m"] = {**faiss_1m(1_000_000), "measured": stamp, "peak_rss_mb_so_far": round(rss_mb(), 1)}
        print(report["faiss_1m"], flush=True)
    # ru_maxrss only grows within a process: each part's figure is the peak up to its end.
    report.pop("peak_rss_mb", None)
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(report, indent=2))
    lines = ["# Speed (one run, 2 cores)", "", "```", json.dumps(report, indent=2), "```"]
    (out / "speed.md").write_text("\n".join(lines))
    print(f"peak RSS {rss_mb():.1f} MB; report in {out / 'speed.json'}")


if __name__ == "__main__":
    main()
