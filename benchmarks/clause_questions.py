"""Clause questions on the bundled corpus: is the answering clause in view?

Each question of benchmarks/data/clause_questions.jsonl (written by reading the bundled
circulars and statutes in corpus/, English and Chinese, each with the path of the clause
that answers it) is sent to ``POST /search`` with the request's defaults (k, grouping,
mode), through the app with FastAPI's TestClient, as a user of the HTTP service sends it.
The passages are read in display order (the hits in order, each hit's passages in order:
what a user sees) and the answering clause counts at rank 1 and within the first 5
passages. The index of the bundled corpus is built with the default encoder into
indexes/clause-questions (git-ignored, kept between runs: only changed documents are
re-embedded). Each run is stored under its label in benchmarks/reports/clause_questions.json,
and the .md shows every label stored, so "before" (run with the code of main) and "after"
stand side by side.

    PYTHONPATH=. .venv/bin/python benchmarks/clause_questions.py [--label after] [--index DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "benchmarks" / "data" / "clause_questions.jsonl"
REPORTS = ROOT / "benchmarks" / "reports"
SHOWN = 5  # passages a user is taken to read: the answering clause must be among them
# What was measured on this set and not adopted, and why the misses are left (for the report).
NOT_ADOPTED = (
    "Tried and not adopted (the answering clause's position among all the clauses of its document; shipped "
    "fused order 0.582 first, 0.836 within five): the clauses in cosine order (0.537 / 0.806); all of a "
    "document's clauses fused again from their ranks inside it (0.597 / 0.821); the same with BM25's idf "
    "counted inside the document (0.612 / 0.851, with other questions lost). The misses left: five whose "
    "clause is within the first three by cosine but 6th to 45th fused (BM25 ranks paraphrased questions "
    "low); two Chinese questions whose words are not the article's (保护期 / 期限, 时间限制 / 诉讼时效: "
    "BM25 only, the English model is not used for Chinese); 'From what date does the GDPR apply?' ranks "
    "35 U.S.C. first (the acronym is nowhere in the text)."
)


def load_questions(path: Path = QUESTIONS) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def displayed(response: dict[str, Any]) -> list[tuple[str, str]]:
    """(doc_id, path) of every passage of a /search response in display order."""
    return [(hit["doc_id"], p["path"]) for hit in response["hits"] for p in hit["passages"]]


def judge(question: dict[str, str], response: dict[str, Any]) -> dict[str, Any]:
    shown = displayed(response)
    want = (question["doc_id"], question["path"])
    rank = next((i + 1 for i, s in enumerate(shown) if s == want), None)
    docs = [hit["doc_id"] for hit in response["hits"]]
    return {
        "id": question["id"],
        "lang": question["lang"],
        "rank": rank,  # position among the displayed passages; None: not displayed
        "doc_rank": docs.index(question["doc_id"]) + 1 if question["doc_id"] in docs else None,
        "first": f"{shown[0][0]} {shown[0][1]}" if shown else None,
        "passages_shown": len(shown),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def share(selected: list[dict[str, Any]], cut: int) -> float:
        return round(sum(1 for r in selected if r["rank"] is not None and r["rank"] <= cut) / len(selected), 4)

    out: dict[str, Any] = {"questions": len(rows), "top1": share(rows, 1), f"top{SHOWN}": share(rows, SHOWN)}
    for lang in sorted({r["lang"] for r in rows}):
        part = [r for r in rows if r["lang"] == lang]
        out[lang] = {"questions": len(part), "top1": share(part, 1), f"top{SHOWN}": share(part, SHOWN)}
    out["missed"] = [r["id"] for r in rows if r["rank"] is None or r["rank"] > SHOWN]
    return out


def run(index_dir: Path, as_built: bool = False) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    settings = Settings(index_dir=index_dir)
    service = NavSearch(settings)
    t0 = time.perf_counter()
    if not as_built:
        report = service.ingest([ROOT / "corpus"], progress=False)
        if report.failed:
            raise SystemExit(f"ingest failed: {[f.error for f in report.failed]}")
    ingest_s = time.perf_counter() - t0
    rows = []
    timings = []
    # The app answers only its allowed hosts (loopback by default): ask as a local client.
    with TestClient(create_app(settings, service=service), base_url="http://localhost") as client:
        for q in load_questions():
            t = time.perf_counter()
            response = client.post("/search", json={"query": q["question"]})
            timings.append((time.perf_counter() - t) * 1000)
            response.raise_for_status()
            rows.append(judge(q, response.json()))
    timings.sort()
    info = {
        "index": str(index_dir),
        "ingest_s": round(ingest_s, 1),
        "query_p50_ms": round(timings[len(timings) // 2], 1),
        # Passages shown per policy or statute hit (main has one count for every hit).
        "passages_per_hit": getattr(settings.retrieval, "provisions_per_hit", settings.retrieval.passages_per_hit),
    }
    return rows, info


def write_reports(results: dict[str, Any]) -> None:
    (REPORTS / "clause_questions.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    questions = {q["id"]: q for q in load_questions()}
    labels = list(results["runs"])
    lines = [
        "# Clause questions: the answering clause in view",
        "",
        " ".join(__doc__.split("\n\n")[1].split()),
        "",
        f"{len(questions)} questions ({sum(q['lang'] == 'en' for q in questions.values())} English on the SIPO circulars, "
        f"35 U.S.C. and the GDPR; {sum(q['lang'] == 'zh' for q in questions.values())} Chinese on 专利法 and 专利法实施细则). "
        f"CPU: {results['cpu']}: query times are whole HTTP calls measured while other benchmarks ran, "
        "upper bounds that vary with the load, not a comparison of the runs.",
        "",
        "| run | top-1 | top-5 | en top-1 | en top-5 | zh top-1 | zh top-5 | passages per policy hit | query p50 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label in labels:
        s, info = results["runs"][label]["summary"], results["runs"][label]["info"]
        lines.append(
            f"| {label} | {s['top1']:.3f} | {s['top5']:.3f} | {s['en']['top1']:.3f} | {s['en']['top5']:.3f} "
            f"| {s['zh']['top1']:.3f} | {s['zh']['top5']:.3f} | {info['passages_per_hit']} | {info['query_p50_ms']} |"
        )
    lines += ["", "## What the runs are", ""]
    for label in labels:
        notes = results["runs"][label].get("notes")
        lines.append(f"- **{label}**: {notes or '(no notes)'}")
    lines += ["", NOT_ADOPTED]
    lines += ["", "## Rank of the answering clause among the displayed passages (- : not shown)", ""]
    lines += ["| id | question | clause | " + " | ".join(labels) + " |", "|---|---|---|" + "---|" * len(labels)]
    ranks = {label: {r["id"]: r for r in results["runs"][label]["rows"]} for label in labels}
    for qid, q in questions.items():
        cells = []
        for label in labels:
            r = ranks[label].get(qid)
            cells.append("" if r is None else (str(r["rank"]) if r["rank"] is not None else "-"))
        lines.append(f"| {qid} | {q['question']} | {q['doc_id']} {q['path']} | " + " | ".join(cells) + " |")
    (REPORTS / "clause_questions.md").write_text("\n".join(lines) + "\n")


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="after", help="Name this run is stored under (e.g. before, after).")
    ap.add_argument("--index", type=Path, default=ROOT / "indexes" / "clause-questions")
    ap.add_argument("--notes", default="", help="What the code of this run was (stored with it).")
    ap.add_argument("--as-built", action="store_true", help="Search the index as it is (built elsewhere from corpus/).")
    args = ap.parse_args()
    rows, info = run(args.index, args.as_built)
    path = REPORTS / "clause_questions.json"
    results = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    results["cpu"] = f"{_cpu()}, {os.cpu_count()} cores, shared with other jobs"
    results["runs"][args.label] = {"summary": summarise(rows), "info": info, "rows": rows, "notes": args.notes}
    write_reports(results)
    s = results["runs"][args.label]["summary"]
    print(f"{args.label}: top-1 {s['top1']:.3f}  top-5 {s['top5']:.3f}  missed {s['missed']}")


if __name__ == "__main__":
    main()
