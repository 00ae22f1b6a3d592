"""Retrieval quality on the real dev sets, every mode side by side.

Reads ../shared/data (override with --data): PatSnap patents and their citation queries
(patents/patsnap/), and ObliQA passages and dev questions (policy/obliqa/). Builds one
index per set and encoder backend (benchmarks/bench_index.py; kept between runs:
unchanged data is not re-embedded), runs `navsearch eval`'s runner, and writes benchmarks/reports/quality.json
and quality.md.

    .venv/bin/python benchmarks/quality.py [--data ../shared/data] [--sets patsnap obliqa]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from bench_index import bench_index  # beside this script
from navsearch.eval.runner import evaluate, format_table, load_query_set
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.types import Filters

ROOT = Path(__file__).resolve().parent.parent


def build(name: str, corpus: Path) -> tuple[NavSearch, float]:
    service = NavSearch(Settings(index_dir=bench_index(name, Settings().embedding.backend)))
    t0 = time.perf_counter()
    report = service.ingest([corpus])
    if report.failed:
        raise SystemExit(f"{name}: ingest failed: {[f.error for f in report.failed]}")
    return service, time.perf_counter() - t0


def cutoff_ceiling(service: NavSearch, qs) -> dict[str, float]:
    """Share of (query, gold reference) pairs dated before the query's application date:
    examiners also cite later-published family members and 'E' documents, which a
    prior-art cutoff rightly removes."""
    metas = service.catalog.documents_meta({d for rel in qs.qrels.values() for d in rel})
    out = {}
    for field in ("publication", "application"):
        kept = total = 0
        for q, rel in qs.qrels.items():
            for d in rel:
                total += 1
                day = getattr(metas[d], f"{field}_date") if d in metas else None
                kept += bool(day and day.isoformat() < qs.queries[q]["application_date"])
        out[field] = kept / total
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sets", nargs="+", default=["patsnap", "obliqa"])
    args = ap.parse_args()
    results: dict[str, object] = {}
    md = ["# Retrieval quality on the dev sets", ""]
    if "patsnap" in args.sets:
        d = args.data / "patents" / "patsnap"
        service, secs = build("patsnap", d / "patents.jsonl")
        qs = load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv", d / "exclude.dev.jsonl")
        patents = Filters(doc_types=("patent",))
        modes = ("lexical", "dense", "hybrid", "prior-art")
        plain = evaluate(service.ranked_ids, qs, filters=patents, modes=modes)
        cut = evaluate(service.ranked_ids, qs, filters=patents, cutoff_field="application_date", modes=modes)
        cut_filed = evaluate(
            service.ranked_ids, qs, filters=Filters(doc_types=("patent",), date_field="application"),
            cutoff_field="application_date", modes=modes,
        )
        ceiling = cutoff_ceiling(service, qs)
        results["patsnap"] = {"build_seconds": secs, "no_cutoff": plain, "cutoff_publication": cut,
                              "cutoff_filing": cut_filed, "gold_surviving_cutoff": ceiling,
                              "index": asdict(service.info())}
        md += ["## PatSnap citations (112 queries; query family excluded)", "", "No date cutoff:", "```",
               format_table(plain), "```", "",
               "Cutoff: references published before the query's application date "
               f"(only {ceiling['publication']:.0%} of the gold citations survive it, so recall is capped there):",
               "```", format_table(cut), "```", "",
               "Cutoff: references filed before the query's application date "
               f"({ceiling['application']:.0%} of the gold citations survive it):",
               "```", format_table(cut_filed), "```", ""]
    if "obliqa" in args.sets:
        d = args.data / "policy" / "obliqa"
        service, secs = build("obliqa", d / "passages.jsonl")
        qs = load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv")
        res = evaluate(service.ranked_ids, qs)
        results["obliqa"] = {"build_seconds": secs, "results": res, "index": asdict(service.info())}
        md += ["## ObliQA dev (2,788 questions; passages are the unit of retrieval)", "", "```",
               format_table(res), "```", ""]
    out = ROOT / "benchmarks" / "reports"
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "quality.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
