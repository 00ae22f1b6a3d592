"""Calibrate the relevance floor: when may search, prior art and /ask say that nothing in
the corpus is relevant?

Query sets (all against the bundled corpus, corpus/):
- benchmarks/data/relevance_floor.jsonl (in the repo, written for this): ideas, questions
  and keyword searches the corpus covers ("relevant": true) and ones it does not (false:
  powder coating, golf clubs, Korean utility models, trademarks, Chinese questions about
  passports ...), written from the corpus's topics before any run;
- benchmarks/data/ask_questions.jsonl: /ask's 37 answerable and 15 unanswerable questions;
- the first --patsnap PatSnap dev queries (../shared/data/patents/patsnap): a citing
  patent's title and abstract, which the corpus covers (its cited prior art is there); the
  query patent itself and its family are left out of its results (exclude.dev.jsonl).

Each query is searched once (k=10, as `navsearch search` does); its score is the best
relevance among its hits (navsearch/retrieval/relevance.py: the cosine of query and
passage for Latin-script queries, the idf-weighted share of query terms for Chinese ones).
"Nothing relevant" is said when that score is below the floor. The sweep gives, per floor,
precision and recall of "nothing relevant" (positives: the off-corpus queries); the floor
chosen maximises right outcomes with a false "nothing relevant" counted twice (it hides
real prior art, the costlier error for a patent agent). Writes
benchmarks/reports/relevance_floor.json and .md.

    .venv/bin/python benchmarks/relevance_floor.py [--index indexes/default] [--patsnap 50]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tqdm import tqdm

from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FALSE_NOTHING_COST = 2


def load_items(data: Path, patsnap: int) -> list[dict[str, Any]]:
    items = [json.loads(x) for x in (ROOT / "benchmarks/data/relevance_floor.jsonl").read_text().splitlines() if x]
    for x in (ROOT / "benchmarks/data/ask_questions.jsonl").read_text().splitlines():
        r = json.loads(x)
        items.append({"id": f"ask-{r['id']}", "text": r["question"], "kind": "question", "relevant": r["answerable"]})
    d = data / "patents" / "patsnap"
    if patsnap and (d / "queries.dev.jsonl").exists():
        exclude = {}
        for x in (d / "exclude.dev.jsonl").read_text().splitlines():
            r = json.loads(x)
            exclude[r["query-id"]] = r["exclude"]
        for x in (d / "queries.dev.jsonl").read_text().splitlines()[:patsnap]:
            r = json.loads(x)
            items.append({"id": f"patsnap-{r['_id']}", "text": r["text"], "kind": "idea", "relevant": True,
                          "exclude": exclude.get(r["_id"], [r["_id"]])})
    return items


def score(service: NavSearch, item: dict[str, Any]) -> dict[str, Any]:
    result = service.search(item["text"], k=10)
    skip = set(item.get("exclude", ()))
    kept = [h for h in result.hits if h.doc_id not in skip and not set(h.family_members) & skip]
    best = max((h.relevance or 0.0 for h in kept), default=0.0)
    top = kept[0] if kept else None
    return {
        "id": item["id"], "kind": item["kind"], "relevant": item["relevant"], "text": item["text"],
        "script": "cjk" if "share" in result.measure else "latin", "score": round(best, 4),
        "top": top.passages[0].citation if top and top.passages else "",
    }


def sweep(rows: list[dict[str, Any]], floors: list[float]) -> list[dict[str, Any]]:
    out = []
    for t in floors:
        said = [r for r in rows if r["score"] < t]  # "nothing relevant"
        off = [r for r in rows if not r["relevant"]]
        on = [r for r in rows if r["relevant"]]
        tp = sum(not r["relevant"] for r in said)
        fn_in = sum(r["relevant"] for r in said)
        out.append({
            "floor": round(t, 2),
            "precision": round(tp / len(said), 3) if said else 1.0,
            "recall": round(tp / len(off), 3) if off else 1.0,
            "false_nothing": round(fn_in / len(on), 3) if on else 0.0,
            "right": round((tp + len(on) - fn_in) / len(rows), 3) if rows else 0.0,
            "utility": tp + (len(on) - fn_in) - FALSE_NOTHING_COST * fn_in,
        })
    return out


def choose(table: list[dict[str, Any]]) -> dict[str, Any]:
    best = max(r["utility"] for r in table)
    # Among equally good floors, the middle one: furthest from both kinds of error.
    tied = [r for r in table if r["utility"] == best]
    return tied[len(tied) // 2]


def report_lines(results: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "# Relevance floor: when search says nothing in the corpus is relevant",
        "",
        "Query sets, all searched in the bundled corpus (corpus/): benchmarks/data/relevance_floor.jsonl (written "
        "for this from the corpus's topics, before any run: ideas, questions and keyword searches it covers and ones "
        "it does not), /ask's written questions (benchmarks/data/ask_questions.jsonl: 37 answerable, 15 not), and "
        "PatSnap dev ideas (a citing patent's title and abstract; the corpus holds its cited prior art; the query "
        "patent and its family are left out of its results).",
        "",
        "How it is judged: each query's score is the best relevance among its 10 hits; \"nothing relevant\" "
        "is said below the floor. Positives are the queries the corpus does not cover. Precision: of the "
        "queries told \"nothing relevant\", the share the corpus really does not cover; recall: of those it "
        f"does not cover, the share told so. The floor maximises right outcomes, a false \"nothing relevant\" "
        f"counted {FALSE_NOTHING_COST} times.",
        "",
    ]
    for script, r in results["chosen"].items():
        n_on = sum(1 for x in rows if x["script"] == script and x["relevant"])
        n_off = sum(1 for x in rows if x["script"] == script and not x["relevant"])
        lines += [
            f"## {script}: {n_on} in-corpus and {n_off} off-corpus queries; chosen floor **{r['floor']:.2f}** "
            f"({results['measure'][script]})",
            "",
            f"At {r['floor']:.2f}: precision of \"nothing relevant\" {r['precision']:.2f}, recall {r['recall']:.2f}, "
            f"in-corpus queries wrongly told \"nothing relevant\" {r['false_nothing']:.2f}, right outcomes {r['right']:.2f}.",
            "",
            "| floor | precision | recall | false \"nothing\" (in-corpus) | right outcomes |",
            "|---|---|---|---|---|",
        ]
        for s in results["sweep"][script]:
            lines.append(f"| {s['floor']:.2f} | {s['precision']:.2f} | {s['recall']:.2f} | {s['false_nothing']:.2f} | {s['right']:.2f} |")
        lines.append("")
    lines += ["## By kind of query, at the chosen floors", "", "| kind | in-corpus told relevant | off-corpus told nothing relevant |", "|---|---|---|"]
    for kind in sorted({r["kind"] for r in rows}):
        on = [r for r in rows if r["kind"] == kind and r["relevant"]]
        off = [r for r in rows if r["kind"] == kind and not r["relevant"]]
        ok_on = sum(r["score"] >= results["chosen"][r["script"]]["floor"] for r in on)
        ok_off = sum(r["score"] < results["chosen"][r["script"]]["floor"] for r in off)
        lines.append(f"| {kind} | {ok_on}/{len(on)} | {ok_off}/{len(off)} |")
    lines += ["", "## Every query", "", "| id | relevant? | score | outcome | text | top hit |", "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["relevant"], r["score"])):
        said_nothing = r["score"] < results["chosen"][r["script"]]["floor"]
        outcome = ("ok" if said_nothing != r["relevant"] else
                   ("WRONG: told nothing relevant" if r["relevant"] else "WRONG: told relevant"))
        text = r["text"][:70].replace("|", "/")
        lines.append(f"| {r['id']} | {r['relevant']} | {r['score']:.3f} | {outcome} | {text} | {r['top'][:60]} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "indexes" / "default")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--patsnap", type=int, default=50, help="PatSnap dev queries to add as in-corpus ideas")
    args = ap.parse_args()
    service = NavSearch(Settings(index_dir=args.index))
    if not service.catalog.counts()["documents"]:
        service.ingest([ROOT / "corpus"])
    rows = [score(service, item) for item in tqdm(load_items(args.data, args.patsnap), unit="query")]
    grids = {"latin": [x / 100 for x in range(30, 71, 2)], "cjk": [x / 100 for x in range(5, 61, 5)]}
    results: dict[str, Any] = {"sweep": {}, "chosen": {}, "measure": {
        "latin": "cosine of query and passage", "cjk": "idf-weighted share of the query's terms in the passage"}}
    for script, grid in grids.items():
        part = [r for r in rows if r["script"] == script]
        results["sweep"][script] = sweep(part, grid)
        results["chosen"][script] = choose(results["sweep"][script])
    results["settings"] = {"relevance_floor": results["chosen"]["latin"]["floor"],
                           "cjk_relevance_floor": results["chosen"]["cjk"]["floor"]}
    results["queries"] = rows
    out = ROOT / "benchmarks" / "reports"
    out.mkdir(parents=True, exist_ok=True)
    (out / "relevance_floor.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    lines = report_lines(results, rows)
    (out / "relevance_floor.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()
