"""Tune reciprocal rank fusion (k, dense weight) on the dev sets, from one retrieval pass.

Reads ../shared/data and the indexes benchmarks/quality.py builds for the configured
encoder (benchmarks/bench_index.py). Each query's dense and BM25 rankings are fetched once; fusion is a
pure function of them, so the grid is swept offline. Only dev data exists here, so the
chosen setting is tuned and reported on the same queries: treat the gain as optimistic.
Writes benchmarks/reports/fusion.json and fusion.md.

    .venv/bin/python benchmarks/tune_fusion.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from bench_index import bench_index  # beside this script
from navsearch.eval.metrics import score_run
from navsearch.eval.runner import QuerySet, load_query_set
from navsearch.retrieval.fusion import rrf
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.types import Filters

ROOT = Path(__file__).resolve().parent.parent
GRID_K = (10, 30, 60, 100)
GRID_DENSE = (0.3, 0.5, 0.7, 0.85, 1.0, 1.2)


def rankings(service: NavSearch, qs: QuerySet, filters: Filters) -> dict[str, dict[str, list[str]]]:
    """Per query, the dense and lexical rankings as document ids (best chunk per document)."""
    searcher = service.searcher()
    out: dict[str, dict[str, list[str]]] = {}
    for qid, q in tqdm(qs.queries.items(), desc="retrieve", unit="query"):
        ranks = searcher.rankings(q["text"], filters, 200, "hybrid")
        chunks = service.catalog.chunks_by_rowid([i for r in ranks.values() for i in r])
        out[qid] = {}
        for name, ids in ranks.items():
            seen: list[str] = []
            for i in ids:
                d = chunks[i].chunk.doc_id
                if d not in seen and d not in qs.exclude.get(qid, set()):
                    seen.append(d)
            out[qid][name] = seen
    return out


def sweep(ranks: dict[str, dict[str, list[str]]], qs: QuerySet) -> list[dict[str, float]]:
    rows = []
    for k in GRID_K:
        for w in GRID_DENSE:
            run = {
                q: [f.key for f in rrf(r, k=k, weights={"dense": w, "lexical": 1.0})][:100]  # type: ignore[arg-type]
                for q, r in ranks.items()
            }
            s = score_run(run, qs.qrels)
            rows.append({"rrf_k": k, "dense_weight": w, **s})
    for name in ("dense", "lexical"):
        s = score_run({q: r[name][:100] for q, r in ranks.items()}, qs.qrels)
        rows.append({"rrf_k": 0, "dense_weight": 1.0 if name == "dense" else 0.0, "only": name, **s})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    sets = {
        "patsnap": (
            "patsnap",
            load_query_set(*(args.data / "patents/patsnap" / n for n in ("queries.dev.jsonl", "qrels.dev.tsv", "exclude.dev.jsonl"))),
            Filters(doc_types=("patent",)),
        ),
        "obliqa": (
            "obliqa",
            load_query_set(args.data / "policy/obliqa/queries.dev.jsonl", args.data / "policy/obliqa/qrels.dev.tsv"),
            Filters(),
        ),
    }
    results = {}
    for name, (index, qs, filters) in sets.items():
        service = NavSearch(Settings(index_dir=bench_index(index, Settings().embedding.backend)))
        results[name] = sweep(rankings(service, qs, filters), qs)
    fused = [r for r in results["patsnap"] if "only" not in r]
    mean = []
    for r in fused:
        o = next(x for x in results["obliqa"] if x.get("rrf_k") == r["rrf_k"] and x["dense_weight"] == r["dense_weight"] and "only" not in x)
        mean.append({"rrf_k": r["rrf_k"], "dense_weight": r["dense_weight"], "patsnap_ndcg@10": r["ndcg@10"],
                     "obliqa_ndcg@10": o["ndcg@10"], "mean": (r["ndcg@10"] + o["ndcg@10"]) / 2})
    mean.sort(key=lambda r: -r["mean"])
    out = ROOT / "benchmarks" / "reports"
    (out / "fusion.json").write_text(json.dumps({"grid": mean, "per_set": results}, indent=2))
    lines = ["# Fusion tuning (dev sets; tuned and measured on the same queries)", "",
             "| rrf_k | dense weight | PatSnap nDCG@10 | ObliQA nDCG@10 | mean |", "|---|---|---|---|---|"]
    lines += [f"| {r['rrf_k']} | {r['dense_weight']} | {r['patsnap_ndcg@10']:.4f} | {r['obliqa_ndcg@10']:.4f} | {r['mean']:.4f} |"
              for r in mean[:12]]
    for name in ("patsnap", "obliqa"):
        for r in results[name]:
            if "only" in r:
                lines.append(f"\n{name} {r['only']} only: nDCG@10 {r['ndcg@10']:.4f}")
    (out / "fusion.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
