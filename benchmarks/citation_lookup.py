"""Lookup by number on the dev sets: does putting the cited unit first help the queries
that cite one?

Only queries in which navsearch/retrieval/citation_lookup.py finds a reference rank
differently with lookup on (every other query runs the same code with nothing to look
up). For those, this ranks each once with lookup and once without (the fused ranking of
the whole query, as before lookup existed) and scores both against the qrels. ObliQA dev
questions often name a rule ("Under Rule 6.2.1(a)(i), ..."); the same rule number exists
in several rulebooks, so the lookup pins the documents the rest of the question also
finds. PatSnap dev queries name no patent numbers. Writes
benchmarks/reports/citation_lookup.json and .md.

    .venv/bin/python benchmarks/citation_lookup.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from bench_index import bench_index  # beside this script
from navsearch.eval.metrics import score_run
from navsearch.eval.runner import load_query_set
from navsearch.retrieval.citation_lookup import parse_references
from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    sets = {
        "obliqa": args.data / "policy" / "obliqa",
        "patsnap": args.data / "patents" / "patsnap",
    }
    results = {}
    for name, d in sets.items():
        exclude = d / "exclude.dev.jsonl"
        qs = load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv", exclude if exclude.exists() else None)
        citing = {q: v for q, v in qs.queries.items() if parse_references(v["text"])}
        entry: dict[str, object] = {"queries": len(qs.queries), "citing": len(citing)}
        if citing:
            service = NavSearch(Settings(index_dir=bench_index(name, Settings().embedding.backend)))
            searcher = service.searcher()
            runs: dict[str, dict[str, list[str]]] = {"without lookup": {}, "with lookup": {}}
            for q, v in tqdm(citing.items(), desc=name, unit="query"):
                skip = set(qs.exclude.get(q, ()))
                for label, lookup in (("without lookup", False), ("with lookup", True)):
                    hits = searcher.search(v["text"], k=100, lookup=lookup, collapse_families=False).hits
                    runs[label][q] = [h.doc_id for h in hits if h.doc_id not in skip]
            qrels = {q: qs.qrels[q] for q in citing}
            entry.update({label: score_run(run, qrels) for label, run in runs.items()})
        results[name] = entry
    out = ROOT / "benchmarks" / "reports"
    (out / "citation_lookup.json").write_text(json.dumps(results, indent=2))
    lines = ["# Lookup by number on the dev sets", "", __doc__.split("\n\n")[1].replace("\n", " "), ""]
    for name, entry in results.items():
        lines.append(f"## {name}: {entry['citing']} of {entry['queries']} dev queries cite a unit by number")
        lines.append("")
        if entry["citing"]:
            metrics = list(entry["with lookup"])  # type: ignore[arg-type]
            lines += ["| hybrid | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
            for label in ("without lookup", "with lookup"):
                lines.append(f"| {label} | " + " | ".join(f"{entry[label][m]:.4f}" for m in metrics) + " |")  # type: ignore[index]
        lines.append("")
    (out / "citation_lookup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
