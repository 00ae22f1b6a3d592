"""Speed: ingest overhead over the bare encoder, and hybrid search through NavSearch.search
at 10k, 100k and 1M chunks (cold and warm, questions and paragraph-long ideas, its parts,
the ANN index's recall@10 against exact search; over HTTP at 100k), publish time and peak
memory.

Reads ../shared/data (override with --data) for PatSnap patents and ObliQA questions,
and the catalogs that benchmarks/quality.py builds for the configured encoder
(benchmarks/bench_index.py) for real chunk texts with their real embeddings: run that first.
The larger indexes repeat those real chunks under new document ids (same text, so BM25's
posting lists have their real shape; the vector moved by a little noise, so the ANN index
holds distinct points).
Writes benchmarks/reports/speed.json and speed.md (`--report NAME`: NAME.json and NAME.md, one report per CPU class). Timings are taken in one run.

    .venv/bin/python benchmarks/speed.py [--data ../shared/data] [--scales 10000,100000,1000000] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import http.client
import os
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_index import bench_index  # beside this script
import httpx
from navsearch.answer.llama_server import free_port
from navsearch.chunking.chunker import Chunker
from navsearch.embedding.base import Embedder
from navsearch.ingest.patent_jsonl import parse_patent_jsonl
from navsearch.embedding.registry import make_embedder
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store.catalog import Catalog
from navsearch.store.protocol import AnnSearch
from navsearch.retrieval.long_query import lexical_terms
from navsearch.types import Chunk, Document, chunk_id_for
from machine import cpu_model  # beside this script


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


def real_chunks(limit: int, backend: str) -> list[tuple[str, str, str, bytes, str]]:
    """(doc_id, path, text, vector, document type) of real embedded chunks from the quality
    benchmarks' indexes of this encoder backend (benchmarks/quality.py builds the torch
    ones, benchmarks/encoder_quality.py the others): ObliQA's, then PatSnap's."""
    rows: list[tuple[str, str, str, bytes, str]] = []
    for name, doc_type in (("obliqa", "policy"), ("patsnap", "patent")):
        db = bench_index(name, backend) / "catalog.sqlite"
        if not db.exists():
            raise SystemExit(f"{db} is missing: run benchmarks/quality.py / encoder_quality.py first")
        con = sqlite3.connect(db)
        rows += [(*r, doc_type) for r in con.execute("SELECT doc_id, path, text, vector FROM chunks ORDER BY id")]
        con.close()
    if len(rows) < limit:
        raise SystemExit(f"only {len(rows)} real chunks available, need {limit}")
    return rows[:limit]


NOISE = 0.017  # per dimension: a copy's vector keeps cosine ~0.95 with its original
CHUNKS_PER_DOCUMENT = 10  # a patent or a rulebook section of ten passages


def build_scaled(folder: Path, chunks: list[tuple[str, str, str, bytes, str]], total: int, model_id: str) -> Catalog:
    """``total`` chunks from the real ones, ten consecutive ones a document (patents from
    PatSnap's chunks, policies from ObliQA's). Copies keep their text (BM25's posting
    lists have their real shape) but their vectors are moved by a little noise, so the
    ANN index holds ``total`` distinct points, not ten of each (a graph over exact
    duplicates measures nothing real)."""
    catalog = Catalog(folder / "catalog.sqlite")
    catalog.check_model(model_id, 384)
    rng = np.random.default_rng(0)
    part = 50_000  # a part at a time: 1M chunks' rows and vectors at once are GBs
    for start in range(0, total, part):
        items, vectors = [], {}
        for first in range(start, min(total, start + part), CHUNKS_PER_DOCUMENT):
            members = range(first, min(total, start + part, first + CHUNKS_PER_DOCUMENT))
            doc_id = f"bench-{first // CHUNKS_PER_DOCUMENT}"
            texts = [chunks[i % len(chunks)][2] for i in members]
            text = "\n\n".join(texts)
            doc_chunks, offset = [], 0
            for ordinal, (i, chunk_text) in enumerate(zip(members, texts)):
                _, path, _, vec, _ = chunks[i % len(chunks)]
                v = np.frombuffer(vec, dtype=np.float32)
                if i >= len(chunks):
                    v = v + NOISE * rng.standard_normal(len(v)).astype(np.float32)
                    v = (v / np.linalg.norm(v)).astype(np.float32)
                path = f"{ordinal}:{path}"  # unique within the document
                chunk = Chunk(chunk_id_for(doc_id, path, chunk_text), doc_id, ordinal, "clause", path, chunk_text,
                              offset, offset + len(chunk_text))
                offset += len(chunk_text) + 2
                doc_chunks.append(chunk)
                vectors[chunk.chunk_id] = v.tobytes()
            doc_type = chunks[members[0] % len(chunks)][4]
            items.append((Document(doc_id, doc_type, f"Document {doc_id}", text, [], "bench", number=None), doc_chunks))
        catalog.put_documents(items, "bench", vectors)
        print(f"  {min(total, start + part):,} of {total:,} chunks stored", flush=True)
    return catalog


def timed(fn, items) -> tuple[dict, list]:  # type: ignore[no-untyped-def]
    out, ms = [], []
    for x in items:
        t = time.perf_counter()
        out.append(fn(x))
        ms.append((time.perf_counter() - t) * 1000)
    return percentiles(ms), out


def search_latency(embedder, chunks, queries: list[str], ideas: list[str], scale: int, tmp: Path, http: bool) -> dict:
    """Hybrid search through NavSearch.search at ``scale`` chunks: each query the first time
    (cold: encoded, rows read) and again (warm: its vector and rows kept), the parts alone,
    and the dense index's recall@10 against exact search over every vector."""
    folder = tmp / f"s{scale}"
    t0 = time.perf_counter()
    catalog = build_scaled(folder, chunks, scale, embedder.model_id)
    store_s = time.perf_counter() - t0
    settings = Settings(index_dir=folder, embedding={"cross_language": "none"})
    service = NavSearch(settings, embedder=embedder)
    t0 = time.perf_counter()
    service.repair()  # publishes the generation the way ingest does (ANN index + BM25)
    publish_s = time.perf_counter() - t0
    searcher = service.searcher()
    manifest = searcher.index.manifest
    out: dict = {"chunks": scale, "index_type": manifest.index_type, "store_seconds": round(store_s, 1),
                 "publish_seconds": round(publish_s, 1),
                 "index_bytes_per_chunk": round((folder / "vectors" / manifest.file).stat().st_size / scale)}
    t0 = time.perf_counter()
    searcher.warm()  # what the first searches of a generation read (the server does it at start)
    out["warm_seconds"] = round(time.perf_counter() - t0, 2)
    for q in queries[-10:]:  # warm the model; these queries are not measured
        service.search(q, k=10)
    measured = queries[:-10]
    out["hybrid_cold"], _ = timed(lambda q: service.search(q, k=10), measured)
    out["hybrid_warm"], _ = timed(lambda q: service.search(q, k=10), measured)
    out["idea_hybrid_cold"], _ = timed(lambda q: service.search(q, k=10), ideas)
    out["query_encode"], vectors = timed(lambda q: embedder.embed_queries([q])[0], measured)
    out["idea_encode"], _ = timed(lambda q: embedder.embed_queries([q])[0], ideas)
    out["dense"], found = timed(lambda v: searcher.index.search(v, 100, None, searcher.ann), vectors)
    # The terms search itself gives BM25 (stopwords out, at most max_query_terms), not every analysed word.
    terms = [lexical_terms(q, searcher.lexical, settings.retrieval.max_query_terms) for q in measured]
    out["lexical"], _ = timed(lambda t: searcher.lexical.search(t, 100), terms)
    ids, matrix = catalog.all_vectors(384)
    recall = []
    for v, got in zip(vectors, found):
        scores = matrix @ v
        truth = set(ids[np.argpartition(-scores, 10)[:10]].tolist())
        recall.append(len(truth & {i for i, _ in got[:10]}) / 10)
    out["dense_recall@10"] = round(float(np.mean(recall)), 4)
    if manifest.index_type.startswith("HNSW"):  # the trade-off the default efSearch sits on
        truths = [set(ids[np.argpartition(-(matrix @ v), 10)[:10]].tolist()) for v in vectors[:100]]
        for ef in (128, 512, 1024, 2048):
            ann = AnnSearch(ef_search=ef)
            timing, got = timed(lambda v: searcher.index.search(v, 100, None, ann), vectors[:100])
            out[f"dense_ef{ef}"] = {**timing, "recall@10": round(float(np.mean(
                [len(t & {i for i, _ in g[:10]}) / 10 for t, g in zip(truths, got)])), 4)}
    del matrix
    if http:
        out.update(http_latency(folder, queries, ideas))
    out["load_average"] = round(os.getloadavg()[0], 2)  # other work on the cores, at the end of this size
    return out


def http_latency(folder: Path, queries: list[str], ideas: list[str]) -> dict:
    """``POST /search`` to a ``navsearch serve`` process of its own, as a client on the same
    machine reaches it: the client's work is in this process, not in the server's
    interpreter (a server thread in this process shared its GIL with the client). The
    server's own query-vector cache starts empty, so each idea is cold the first time."""
    port = free_port()
    env = {**os.environ, "NAVSEARCH_INDEX_DIR": str(folder), "NAVSEARCH_EMBEDDING__CROSS_LANGUAGE": "none"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from navsearch.cli import main; main()", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    out: dict = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.time() + 300
            while True:  # ready once it has loaded the generation and warmed the searcher
                try:
                    if client.get("/health").json().get("ready"):
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"navsearch serve did not get ready (exit {server.poll()})")
                time.sleep(0.5)
        # The standard library's client on one kept-alive connection: httpx adds ~2 ms of its
        # own per request on these cores, which is the client's cost, not the service's.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        took: list[float] = []

        def post(q: str) -> None:
            connection.request("POST", "/search", body=json.dumps({"query": q, "k": 10}), headers={"content-type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise SystemExit(f"POST /search answered {response.status}: {payload[:200]!r}")
            took.append(json.loads(payload)["took_ms"])

        for q in queries[-10:]:
            post(q)
        for name, items in (("http_idea_cold", ideas), ("http_idea_warm", ideas), ("http_question_cold", queries[:100])):
            took.clear()
            out[name], _ = timed(post, items)
            out[name]["server_search_p50_ms"] = round(statistics.median(took), 2)  # NavSearch.search inside it
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


NOTES = [
    "- Each size says when it was measured and the load average at its end; compare sizes measured in one run.",
    "- cold: each question the first time (encoded, rows read); warm: the same again (its vector and rows kept, "
    "as when an idea is searched again with other filters). idea: a PatSnap abstract of 300+ characters as the query.",
    "- The scaled corpora repeat ~16k real chunks with noise on the copies' vectors (cosine ~0.95 to the original, "
    "~0.90 between copies): every chunk has ~N/16k near-duplicates, where a real chunk's nearest neighbour is at "
    "cosine 0.80 (median over the real chunks). The true top-10 is then drawn from dozens of near-equidistant copies, "
    "the hard case for a graph index, so recall@10 at 1M is likely lower here than on a real corpus of that size "
    "(not measured: this machine has no million real embeddings).",
    "- Query encoding is the model's (all-MiniLM-L6-v2 ONNX int8; ObliQA's questions: 35 tokens median, a paragraph "
    "idea 160) and depends on the CPU's instructions: on 2 AVX2-only cores 8-12 ms a question and 32-40 ms a paragraph, "
    "on 2 AVX-512 VNNI cores 4-6 ms and 13-17 ms, across runs (the table's encode column is this run's); no search "
    "change removes it (the word-matching legs run beside it on a first-time query), the query-vector cache does for "
    "a repeated query.",
    "- HTTP: `POST /search` (k=10) to a `navsearch serve` process of its own from the standard library's client on a "
    "kept-alive connection; server_search_p50_ms is the search inside the server (took_ms), the rest is HTTP.",
]


def latency_table(report: dict) -> list[str]:
    """Search at each size against issue 16's goals (p50 < 15 ms and p99 < 50 ms at 100k, p50
    < 30 ms at 1M, dense recall@10 >= 0.98, HTTP p50 < 25 ms for a paragraph at 100k)."""
    rows = ["| chunks | index | hybrid p50 / p99 ms (cold) | warm p50 | idea p50 (cold) | encode p50: question / idea | dense p50 | BM25 p50 | dense recall@10 | HTTP idea p50 cold / warm | HTTP question p50 cold |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted((k for k in report if k.startswith("search_")), key=lambda k: int(k.split("_")[1])):
        r = report[key]
        if "hybrid_cold" not in r:
            continue
        http = f"{r['http_idea_cold']['p50_ms']} / {r['http_idea_warm']['p50_ms']}" if "http_idea_cold" in r else "-"
        question = r["http_question_cold"]["p50_ms"] if "http_question_cold" in r else "-"
        rows.append(
            f"| {r['chunks']:,} | {r['index_type']} | {r['hybrid_cold']['p50_ms']} / {r['hybrid_cold']['p99_ms']} | "
            f"{r['hybrid_warm']['p50_ms']} | {r['idea_hybrid_cold']['p50_ms']} | {r['query_encode']['p50_ms']} / "
            f"{r['idea_encode']['p50_ms']} | {r['dense']['p50_ms']} | {r['lexical']['p50_ms']} | {r['dense_recall@10']} | {http} | {question} |"
        )
    return [f"CPU: {report.get('cpu', 'unknown')}, 2 cores.", "", *rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--scales", default="10000,100000,1000000", help="corpus sizes in chunks, comma-separated")
    ap.add_argument("--ideas", type=int, default=100, help="paragraph-long queries (PatSnap abstracts)")
    ap.add_argument("--tmp", type=Path, default=None, help="where the scaled indexes are built (GBs at 1M)")
    ap.add_argument("--skip-search", action="store_true", help="keep the report's search figures")
    ap.add_argument("--skip-ingest", action="store_true", help="keep the report's ingest figures")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5, help="ingest rounds (alternating bare and pipeline)")
    ap.add_argument("--report", default="speed", help="report name: benchmarks/reports/NAME.json and NAME.md (one per CPU class)")
    args = ap.parse_args()
    settings = Settings()  # the default encoder, as `navsearch` runs it
    embedder = make_embedder(settings.embedding)
    out = ROOT / "benchmarks" / "reports"
    # A part skipped keeps its figures from the last run; each part says when it was taken.
    report: dict[str, object] = json.loads((out / f"{args.report}.json").read_text()) if (out / f"{args.report}.json").exists() else {}
    report["encoder"] = embedder.model_id
    stamp = time.strftime("%Y-%m-%d %H:%M")
    if not args.skip_ingest:
        print("ingest overhead ...", flush=True)
        report["ingest"] = {**ingest_overhead(embedder, args.data / "patents/patsnap/patents.jsonl", 250, rounds=args.rounds),
                            "measured": stamp, "peak_rss_mb_so_far": round(rss_mb(), 1)}
        print(report["ingest"], flush=True)
    if not args.skip_search:
        qs = [json.loads(line)["text"] for line in (args.data / "policy/obliqa/queries.dev.jsonl").read_text().splitlines()]
        records = [json.loads(line) for line in (args.data / "patents/patsnap/patents.jsonl").read_text().splitlines()]
        # Ideas as R&D engineers type them: a paragraph (PatSnap abstracts of 300+ characters).
        ideas = [a for r in records if len(a := (r.get("abstract") or "")) >= 300][: args.ideas]
        chunks = real_chunks(16_000, settings.embedding.backend)
        scales = [int(x) for x in args.scales.split(",")]
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            for scale in scales:
                print(f"search latency at {scale:,} chunks ...", flush=True)
                report[f"search_{scale}"] = {**search_latency(embedder, chunks, qs[: args.queries], ideas, scale, Path(tmp),
                                                              http=scale in (100_000,)),
                                             "measured": stamp, "peak_rss_mb_so_far": round(rss_mb(), 1)}
                report.pop("faiss_1m", None)  # FAISS alone at 1M: replaced by the whole search at 1M
                print(report[f"search_{scale}"], flush=True)
                shutil.rmtree(Path(tmp) / f"s{scale}", ignore_errors=True)
    # ru_maxrss only grows within a process: each part's figure is the peak up to its end.
    report.pop("peak_rss_mb", None)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.report}.json").write_text(json.dumps(report, indent=2))
    report["cpu"] = cpu_model()
    lines = ["# Speed (2 cores)", "", *latency_table(report), "", *NOTES, "", "```", json.dumps(report, indent=2), "```"]
    (out / f"{args.report}.md").write_text("\n".join(lines))
    print(f"peak RSS {rss_mb():.1f} MB; report in {out / args.report}.json")


if __name__ == "__main__":
    main()
