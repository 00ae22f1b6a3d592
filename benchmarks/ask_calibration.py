"""Calibrate /ask's refusal threshold and measure answer accuracy.

Question sets:
- benchmarks/data/ask_questions.jsonl (in the repo): 37 questions about the bundled corpus
  with the clause(s) that answer them (written from the documents, before running), and
  15 it does not answer (off-topic, or near the domain: Japan's patent term, trademark
  squatting in the SIPO circular, ADGM insider trading).
- With --obliqa: the first N ObliQA dev questions (../shared/data/policy/obliqa, gold
  passages) against the index of the configured encoder that benchmarks/quality.py
  (indexes/bench-obliqa, torch) or benchmarks/encoder_quality.py (bench-obliqa-onnx-int8) builds, plus
  the 15 unanswerable questions against that index.

Judging: an answer is correct when one of its quotes comes from an expected document
and its clause path equals an expected path or lies under it ("§ 122(b)" covers
"§ 122(b)(1)"); for ObliQA, when a quote comes from a gold passage. A refusal is correct
for an unanswerable question. Each question is answered once with the threshold at 0,
recording its evidence score, and the threshold is swept over those scores.

    .venv/bin/python benchmarks/ask_calibration.py [--index indexes/default] [--obliqa 300]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench_index import bench_index  # beside this script
from navsearch.answer.extractive import Answer
from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


JUDGING = (
    "How it is judged: the written questions (benchmarks/data/ask_questions.jsonl) name, before any run, "
    "the clause(s) that answer them; an answer is correct when one of its verbatim quotes comes from an "
    "expected document at an expected clause path or below it (\"§ 122(b)\" covers \"§ 122(b)(1)\"). "
    "For ObliQA, correct means a quote from a gold passage. A refusal is right only for a question the "
    "corpus does not answer. Each question is answered once with no threshold, its evidence score kept, "
    "and the threshold swept over those scores."
)


def path_matches(path: str, expected: str) -> bool:
    if not expected:  # ObliQA: the gold passage is the document, any path
        return True
    return path == expected or path.startswith(expected + "(") or path.startswith(expected + ".")


def judge(answer: Answer, expected: list[dict[str, str]]) -> bool:
    return any(
        q.doc_id == e["doc_id"] and path_matches(q.path, e["path"]) for q in answer.quotes for e in expected
    )


def run_set(service: NavSearch, items: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    rows = []
    for item in tqdm(items, desc=label, unit="question"):
        a = service.ask(item["question"])
        top = a.quotes[0] if a.quotes else None
        rows.append(
            {
                "set": label,
                "id": item["id"],
                "question": item["question"],
                "answerable": item["answerable"],
                "evidence": a.evidence,
                "correct_if_answered": item["answerable"] and judge(a, item["expected"]),
                "top_citation": top.citation if top else "",
                "top_quote": top.text[:200] if top else "",
            }
        )
    return rows


def sweep(rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    out = []
    for t in [x / 100 for x in range(20, 91)]:
        refused = [r for r in rows if r["evidence"] < t]
        answered = [r for r in rows if r["evidence"] >= t]
        unans = [r for r in rows if not r["answerable"]]
        ans = [r for r in rows if r["answerable"]]
        tp = sum(not r["answerable"] for r in refused)
        out.append(
            {
                "threshold": t,
                "refusal_precision": tp / len(refused) if refused else 1.0,
                "refusal_recall": tp / len(unans) if unans else 1.0,
                "false_refusals": sum(r["answerable"] for r in refused) / len(ans) if ans else 0.0,
                "answered_correct": sum(r["correct_if_answered"] for r in answered) / len(answered) if answered else 0.0,
                # Right outcome per question: a correct answer, or a refusal of an unanswerable one.
                "right_outcomes": (sum(r["correct_if_answered"] for r in answered) + tp) / len(rows),
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "indexes" / "default")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--obliqa", type=int, default=0, help="also run this many ObliQA dev questions")
    args = ap.parse_args()
    items = [json.loads(line) for line in (ROOT / "benchmarks/data/ask_questions.jsonl").read_text().splitlines()]
    service = NavSearch(Settings(index_dir=args.index, answer={"refusal_threshold": 0.0}))
    if not service.catalog.counts()["documents"]:
        service.ingest([ROOT / "corpus"])
    rows = run_set(service, items, "bundled")
    results: dict[str, Any] = {"bundled": {"sweep": sweep(rows)}}
    if args.obliqa:
        d = args.data / "policy" / "obliqa"
        gold: dict[str, list[str]] = {}
        with (d / "qrels.dev.tsv").open() as fh:
            for rec in list(csv.reader(fh, delimiter="\t"))[1:]:
                gold.setdefault(rec[0], []).append(rec[1])
        qs = [json.loads(line) for line in (d / "queries.dev.jsonl").read_text().splitlines()][: args.obliqa]
        oitems = [
            {"id": q["_id"], "question": q["text"], "answerable": True,
             "expected": [{"doc_id": g, "path": ""} for g in gold[q["_id"]]]}
            for q in qs
        ]
        # The bundled corpus's unanswerable questions, except the one about ADGM itself: the
        # ObliQA rulebooks may well answer it, and nobody has checked which passage would.
        oitems += [dict(i, id="obliqa-" + i["id"]) for i in items if not i["answerable"] and "ADGM" not in i["question"]]
        folder = bench_index("obliqa", service.settings.embedding.backend)
        obench = NavSearch(Settings(index_dir=folder, answer={"refusal_threshold": 0.0}))
        orows = run_set(obench, oitems, "obliqa")
        rows += orows
        results["obliqa"] = {"sweep": sweep(orows)}
        results["combined"] = {"sweep": sweep(rows)}
    chosen_set = results.get("combined", results["bundled"])["sweep"]
    best = max(chosen_set, key=lambda s: (s["right_outcomes"], -abs(s["threshold"] - 0.5)))
    results["chosen_threshold"] = best["threshold"]
    results["at_chosen"] = {name: next(s for s in v["sweep"] if s["threshold"] == best["threshold"])
                            for name, v in results.items() if isinstance(v, dict) and "sweep" in v}
    results["questions"] = rows
    out = ROOT / "benchmarks" / "reports"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ask_calibration.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    lines = [
        "# /ask: refusal threshold and answer accuracy",
        "",
        f"Chosen threshold: **{best['threshold']:.2f}** (most right outcomes: a correct answer, or a refusal of an "
        "unanswerable question).",
        "",
        JUDGING,
        "",
        "| set | refusal precision | refusal recall | false refusals | answered correctly | right outcomes |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in results["at_chosen"].items():
        lines.append(
            f"| {name} | {s['refusal_precision']:.2f} | {s['refusal_recall']:.2f} | {s['false_refusals']:.2f} | "
            f"{s['answered_correct']:.2f} | {s['right_outcomes']:.2f} |"
        )
    lines += ["", "## Bundled-corpus questions at the chosen threshold", "",
              "| id | question | evidence | outcome | top citation |", "|---|---|---|---|---|"]
    for r in rows:
        if r["set"] != "bundled":
            continue
        answered = r["evidence"] >= best["threshold"]
        if r["answerable"]:
            outcome = ("correct" if r["correct_if_answered"] else "wrong clause") if answered else "refused (wrongly)"
        else:
            outcome = "refused (rightly)" if not answered else "answered (should refuse)"
        lines.append(f"| {r['id']} | {r['question']} | {r['evidence']:.3f} | {outcome} | {r['top_citation']} |")
    (out / "ask_calibration.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
