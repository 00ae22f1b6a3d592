"""Ranking ablations of issue 13 on both dev sets, hybrid mode, one row per configuration.

Each configuration is a set of retrieval settings (navsearch/settings.py, RetrievalSettings)
applied to the loaded searcher; every row runs the full pipeline (`navsearch eval`'s runner:
PatSnap dev citations with their exclusions, patents only; ObliQA dev questions) and
records the scores and the query latency p50 of the same run. Rows are written to
benchmarks/reports/ablation/<row>.json and summarised in benchmarks/reports/ablation_ranking.md.

Rows:
- baseline-hybrid: the ranking before these changes (dense reads the query's first encoder
  window; BM25 the first 64 distinct terms).
- long-query-windows / long-query-tfidf-terms / long-query: how a query longer than the
  encoder window or than max_query_terms is read (retrieval/long_query.py), each leg alone
  and both. ObliQA questions are all short: rows whose settings only touch long queries
  are run on ObliQA only when some question is long, and otherwise reuse its baseline
  scores (stated in the row).
- prf-rm3, fusion-per-doctype, rerank-proximity: each on top of long-query.

Rows can be run in several processes (--rows, --sets): each (row, set) is kept in
benchmarks/reports/ablation/parts/ and the row is written once both sets are in.
--obliqa-every N runs every Nth ObliQA question (file order) when the machine is too
loaded for the full 2,788; the row says so.

    PYTHONPATH=. .venv/bin/python benchmarks/ablation_ranking.py [--data ../shared/data] [--rows ...]
        [--sets patsnap obliqa] [--obliqa-every N] [--table]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bench_index import bench_index  # beside this script
import navsearch.retrieval.searcher as searcher_module
from navsearch.eval.metrics import score_run
from navsearch.eval.runner import QuerySet, load_query_set, run_mode
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.terms import query_term_counts, query_terms
from navsearch.types import Filters

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "reports"
CPU = "AMD EPYC, 2 cores, shared"
LONG = {"long_query_dense": "windows"}  # with the tf x idf terms: both long-query changes (the stages below were run on it)


def first_terms(text: str, lexical: Any, limit: int) -> list[str]:
    """What BM25 searched with before: the first 64 distinct terms (terms.query_terms)."""
    return query_terms(text)[:limit]


# name -> (description, settings update, BM25 term choice or None for the current one, long-only)
ROWS: dict[str, tuple[str, dict[str, Any], Callable[..., list[str]] | None, bool]] = {
    "baseline-hybrid": ("Hybrid as before: dense reads the first encoder window, BM25 the first 64 distinct terms.",
                        {"long_query_dense": "head"}, first_terms, False),
    "long-query-windows": ("Dense leg embeds a long query window by window (normalised mean); BM25 as before.",
                           {"long_query_dense": "windows"}, first_terms, True),
    "long-query-tfidf-terms": ("BM25 keeps a long query's 64 terms with the highest tf x idf; dense as before (head).",
                               {"long_query_dense": "head"}, None, True),
    "long-query": ("Both: windows for dense, tf x idf terms for BM25.", LONG, None, True),
    "prf-rm3": ("long-query + RM3 on the BM25 leg (Anserini defaults: 10 docs, 10 terms, original weight 0.5, df share <= 0.1).",
                {**LONG, "prf": True}, None, False),
    "fusion-per-doctype": ("long-query + dense weight per document type: patent 1.0, policy 0.3 (each set's best at rrf_k 60 "
                           "in benchmarks/reports/fusion.md: FITTED to each set's dev score).",
                           {**LONG, "dense_weight_by_type": {"patent": 1.0, "policy": 0.3, "statute": 0.3}}, None, False),
    "rerank-proximity": ("long-query + second stage: top 50 fused passages re-fused with a BM25TP term-proximity ranking.",
                         {**LONG, "rerank": "proximity"}, None, False),
}


@contextmanager
def term_choice(choice: Callable[..., list[str]] | None) -> Iterator[None]:
    original = searcher_module.lexical_terms
    if choice is not None:
        searcher_module.lexical_terms = choice  # type: ignore[assignment]
    try:
        yield
    finally:
        searcher_module.lexical_terms = original


def measure(service: NavSearch, qs: QuerySet, filters: Filters, update: dict[str, Any],
            choice: Callable[..., list[str]] | None) -> dict[str, float]:
    searcher = service.searcher()
    searcher.settings = Settings().retrieval.model_copy(update=update)
    searcher._type_rows = None
    with term_choice(choice):
        done = run_mode(service.ranked_ids, qs, mode="hybrid", filters=filters, progress=False)
    if done.failed:
        raise SystemExit(f"queries failed: {done.failed}")
    scores = score_run(done.run, qs.qrels)
    latencies = sorted(done.latencies)
    scores["latency_p50_ms"] = latencies[len(latencies) // 2]
    return scores


def long_queries(service: NavSearch, qs: QuerySet, limit_terms: int) -> dict[str, int]:
    emb = service.embedder
    texts = [q["text"] for q in qs.queries.values()]
    tokens = emb.count_tokens(texts)
    return {"queries": len(texts), "over_window": sum(t > emb.max_tokens for t in tokens),
            "over_terms": sum(len(query_term_counts(t)) > limit_terms for t in texts)}


def table() -> str:
    """The measured rows as a markdown table (for benchmarks/reports/ablation_ranking.md)."""
    cols = ["patsnap_ndcg10", "patsnap_recall100", "obliqa_recall10", "obliqa_ndcg10", "obliqa_map10", "query_p50_ms"]
    lines = ["| row | " + " | ".join(cols) + " | PatSnap p50 ms |", "|---" * (len(cols) + 2) + "|"]
    for row in ROWS:
        path = OUT / "ablation" / f"{row}.json"
        if path.exists():
            r = json.loads(path.read_text())
            p50 = r["scores"]["patsnap"]["latency_p50_ms"]
            lines.append(f"| {row} | " + " | ".join(str(r[c]) for c in cols) + f" | {p50:.0f} |")
    return "\n".join(lines)


PARTS = OUT / "ablation" / "parts"  # one file per (row, set): rows run in several processes


def assemble(row: str, shape: dict[str, dict[str, int]], every: int) -> None:
    """Write the row's JSON once both sets have scores (a long-only row reuses ObliQA's
    baseline scores when no ObliQA question is long: identical by construction)."""
    description, update, _, long_only = ROWS[row]
    scores: dict[str, dict[str, float]] = {}
    notes = []
    limit = Settings().retrieval.max_query_terms
    for name in ("patsnap", "obliqa"):
        part = PARTS / f"{row}.{name}.json"
        base = PARTS / f"baseline-hybrid.{name}.json"
        if part.exists():
            scores[name] = json.loads(part.read_text())
        elif long_only and not shape[name]["over_window"] and not shape[name]["over_terms"] and base.exists():
            scores[name] = json.loads(base.read_text())
            notes.append(f"{name}: no query is longer than the encoder window or {limit} terms, so its scores are the baseline's (identical by construction, not re-run)")
        else:
            return
    p, o = scores["patsnap"], scores["obliqa"]
    record = {
        "row": row, "description": description,
        "patsnap_ndcg10": round(p["ndcg@10"], 4), "patsnap_recall100": round(p["recall@100"], 4),
        "obliqa_recall10": round(o["recall@10"], 4), "obliqa_ndcg10": round(o["ndcg@10"], 4),
        "obliqa_map10": round(o["map@10"], 4), "enzh_recall5": None, "encode_chunks_per_s": None,
        "query_p50_ms": round(o["latency_p50_ms"], 1), "index_mb": None, "cpu": CPU,
        "command": f"PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/ablation_ranking.py --rows {row} --obliqa-every {every}",
        "notes": "; ".join([
            f"ObliQA: every {every}th dev question in file order ({int(o['queries'])} of 2788 with judgements), "
            "since the machine was loaded (load average above 20) and the full set did not finish in time; "
            "PatSnap: all 112 dev queries",
            f"query_p50_ms is ObliQA's (PatSnap {p['latency_p50_ms']:.0f} ms), hybrid through the whole pipeline, "
            f"on {CPU}: other jobs held the CPUs (load 20+), so latencies are upper bounds and compare only within this run",
            f"settings {json.dumps(update)}",
            f"ObliQA MAP (untruncated) {o['map']:.4f}, PatSnap MAP@10 {p['map@10']:.4f}",
            f"long queries: {json.dumps(shape)}", *notes]),
        "scores": scores,
    }
    (OUT / "ablation" / f"{row}.json").write_text(json.dumps(record, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--rows", nargs="+", default=list(ROWS))
    ap.add_argument("--sets", nargs="+", default=["patsnap", "obliqa"])
    ap.add_argument("--obliqa-every", type=int, default=1, help="Run every Nth ObliQA dev question (file order).")
    ap.add_argument("--table", action="store_true", help="Print the measured rows as a markdown table and stop.")
    args = ap.parse_args()
    if args.table:
        print(table())
        return
    backend = Settings().embedding.backend
    patsnap = load_query_set(*(args.data / "patents/patsnap" / n for n in ("queries.dev.jsonl", "qrels.dev.tsv", "exclude.dev.jsonl")))
    obliqa = load_query_set(args.data / "policy/obliqa/queries.dev.jsonl", args.data / "policy/obliqa/qrels.dev.tsv")
    keep = list(obliqa.queries)[:: args.obliqa_every]
    obliqa = QuerySet({q: obliqa.queries[q] for q in keep}, {q: obliqa.qrels[q] for q in keep})
    sets = {
        "patsnap": (NavSearch(Settings(index_dir=bench_index("patsnap", backend))), patsnap, Filters(doc_types=("patent",))),
        "obliqa": (NavSearch(Settings(index_dir=bench_index("obliqa", backend))), obliqa, Filters()),
    }
    # Measured once on the full sets (count_tokens of 2,900 texts): which queries are long.
    shape = {"patsnap": {"queries": 112, "over_window": 11, "over_terms": 9}, "obliqa": {"queries": 2788, "over_window": 0, "over_terms": 0}}
    PARTS.mkdir(parents=True, exist_ok=True)
    for row in args.rows:
        _, update, choice, _ = ROWS[row]
        for name in args.sets:
            svc, qs, filters = sets[name]
            t0 = time.perf_counter()
            scores = measure(svc, qs, filters, update, choice)
            (PARTS / f"{row}.{name}.json").write_text(json.dumps(scores, indent=2))
            print(row, name, {k: round(v, 4) for k, v in scores.items()}, f"{time.perf_counter() - t0:.0f} s", flush=True)
        assemble(row, shape, args.obliqa_every)


if __name__ == "__main__":
    main()
