"""Lookup by number and the query syntax on the dev sets: what they do to the dev
queries that use them.

Only queries in which navsearch/retrieval/citation_lookup.py finds a reference, or
navsearch/retrieval/query_syntax.py an operator or a quoted phrase, rank differently from
before (every other query runs the same ranking). For those, this ranks each once as
before these existed (lookup=False, syntax=False: the fused ranking of the words as
typed) and once as now, and scores both against the qrels. ObliQA dev questions often name
a rule ("Under Rule 6.2.1(a)(i), ...") and quote defined terms ("complex or unusually
large transactions"). Writes benchmarks/reports/citation_lookup.json and .md.

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
from navsearch.retrieval.query_syntax import parse_query
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
        kinds = {
            "citing": lambda t: bool(parse_references(t)),
            "quoting or with operators": lambda t: bool(parse_query(t).phrases or parse_query(t).constrained),
        }
        entry: dict[str, object] = {"queries": len(qs.queries)}
        service = NavSearch(Settings(index_dir=bench_index(name, Settings().embedding.backend)))
        for kind, wanted in kinds.items():
            chosen = {q: v for q, v in qs.queries.items() if wanted(v["text"])}
            part: dict[str, object] = {"count": len(chosen)}
            if chosen:
                searcher = service.searcher()
                runs: dict[str, dict[str, list[str]]] = {"before": {}, "now": {}}
                for q, v in tqdm(chosen.items(), desc=f"{name} {kind}", unit="query"):
                    skip = set(qs.exclude.get(q, ()))
                    for label, on in (("before", False), ("now", True)):
                        hits = searcher.search(v["text"], k=100, lookup=on, syntax=on, collapse_families=False).hits
                        runs[label][q] = [h.doc_id for h in hits if h.doc_id not in skip]
                qrels = {q: qs.qrels[q] for q in chosen}
                part.update({label: score_run(run, qrels) for label, run in runs.items()})
            entry[kind] = part
        results[name] = entry
    out = ROOT / "benchmarks" / "reports"
    (out / "citation_lookup.json").write_text(json.dumps(results, indent=2))
    lines = ["# Lookup by number and query syntax on the dev sets", "", __doc__.split("\n\n")[1].replace("\n", " "), "",
             "A question that cites a unit in passing is searched whole: putting the cited rule first was measured "
             "on the 300 citing ObliQA questions at nDCG@10 0.7610 against 0.7982 (their gold passage is usually "
             "another one that mentions the rule), and taking the number out of the searched text cost more.", ""]
    for name, entry in results.items():
        for kind, part in entry.items():
            if kind == "queries":
                continue
            lines += [f"## {name}: {part['count']} of {entry['queries']} dev queries {kind}", ""]  # type: ignore[index]
            if part.get("now"):  # type: ignore[union-attr]
                metrics = list(part["now"])  # type: ignore[index]
                lines += ["| hybrid | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
                for label in ("before", "now"):
                    lines.append(f"| {label} | " + " | ".join(f"{part[label][m]:.4f}" for m in metrics) + " |")  # type: ignore[index]
                lines.append("")
    (out / "citation_lookup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
