"""Does a faster encoder keep retrieval quality? nDCG@10 (dense and hybrid) on both dev
sets, fp32 torch against the ONNX backends, each with its own index.

Reads ../shared/data (override with --data) like benchmarks/quality.py, and builds one
index per set and backend under indexes/bench-<set> (torch, what quality.py builds) and
indexes/bench-<set>-<backend> (kept between runs: unchanged data is not re-embedded).
The speed of each backend is measured by benchmarks/encoder_speed.py in one interleaved
run; this script only answers the quality half of the rule "the default encoder is the
fastest one within 0.005 nDCG@10 of fp32 on both dev sets". Writes
benchmarks/reports/encoder_quality.json and .md.

    .venv/bin/python benchmarks/encoder_quality.py [--data ../shared/data] [--backends onnx-int8]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench_index import bench_index  # beside this script
from navsearch.eval.runner import evaluate, load_query_set
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, Settings
from navsearch.types import Filters

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 0.005


def dev_sets(data: Path) -> dict[str, tuple[Path, object, Filters]]:
    p, o = data / "patents" / "patsnap", data / "policy" / "obliqa"
    return {
        "patsnap": (p / "patents.jsonl", load_query_set(p / "queries.dev.jsonl", p / "qrels.dev.tsv", p / "exclude.dev.jsonl"),
                    Filters(doc_types=("patent",))),
        "obliqa": (o / "passages.jsonl", load_query_set(o / "queries.dev.jsonl", o / "qrels.dev.tsv"), Filters()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--backends", nargs="+", default=["onnx-int8"])
    args = ap.parse_args()
    results: dict[str, dict[str, dict]] = {}
    for backend in ["torch", *args.backends]:
        results[backend] = {}
        for name, (corpus, qs, filters) in dev_sets(args.data).items():
            folder = bench_index(name, backend)
            service = NavSearch(Settings(index_dir=folder, embedding=EmbeddingSettings(backend=backend)))
            t0 = time.perf_counter()
            report = service.ingest([corpus])
            build_s = time.perf_counter() - t0
            res = evaluate(service.ranked_ids, qs, filters=filters, modes=("dense", "hybrid"))
            results[backend][name] = {"dense": res["dense"]["ndcg@10"], "hybrid": res["hybrid"]["ndcg@10"],
                                      "chunks_embedded": report.embedded, "build_seconds": round(build_s, 1)}
            print(backend, name, results[backend][name], flush=True)
    base = results["torch"]
    lines = ["# Encoder quality on both dev sets (nDCG@10; Δ against fp32 torch)", "",
             "| backend | PatSnap dense | Δ | PatSnap hybrid | Δ | ObliQA dense | Δ | ObliQA hybrid | Δ | within 0.005 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for backend, sets in results.items():
        deltas = {(s, m): sets[s][m] - base[s][m] for s in sets for m in ("dense", "hybrid")}
        ok = all(d >= -TOLERANCE for d in deltas.values())
        results[backend]["within_tolerance"] = ok  # type: ignore[assignment]
        cells = " | ".join(f"{sets[s][m]:.4f} | {deltas[(s, m)]:+.4f}" for s in ("patsnap", "obliqa") for m in ("dense", "hybrid"))
        lines.append(f"| {backend} | {cells} | {'yes' if ok else 'NO'} |")
    out = ROOT / "benchmarks" / "reports"
    (out / "encoder_quality.json").write_text(json.dumps(results, indent=2))
    (out / "encoder_quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
