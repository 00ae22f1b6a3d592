"""benchmarks/reports/tune.md and tune.json, and the ablation rows tuned-structure,
tuned-qrels and untuned-tune-splits, from the stage results of tune_quality.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COLUMNS = ("recall@10", "recall@100", "ndcg@10", "map@10", "mrr@10", "latency_p50_ms", "queries")


def _load(folder: Path, stem: str) -> dict[str, Any] | None:
    path = folder / f"{stem}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| encoder | mode | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for label, by_mode in rows:
        for mode, s in by_mode.items():
            cells = [f"{s[c]:.0f}" if c == "queries" else f"{s[c]:.4f}" for c in COLUMNS]
            out.append(f"| {label} | {mode} | " + " | ".join(cells) + " |")
    return out


def _get(result: dict[str, Any] | None, part: str, mode: str, metric: str) -> float | None:
    try:
        return round(float(result[part][mode][metric]), 4)  # type: ignore[index]
    except (TypeError, KeyError):
        return None


def write_report(results: Path, reports: Path, cpu: str) -> None:
    found = {stem: _load(results, stem) for stem in (
        "patsnap-untuned", "patsnap-structure", "patsnap-qrels", "obliqa-untuned", "obliqa-structure", "obliqa-qrels")}
    missing = [stem for stem, result in found.items() if result is None]
    if missing:  # writing anyway replaced the committed rows' figures with nulls
        raise SystemExit(
            f"tune report: no results for {', '.join(missing)} in {results}; tune.md and the ablation rows "
            "tuned-structure / tuned-qrels (completed by hand from the full-corpus runs) would lose their figures. "
            "Run those stages first."
        )
    md = ["# `navsearch tune`: dev-set quality of a tuned encoder", "",
          f"CPU: {cpu} (load average 10-14 while measured: timings are upper bounds).",
          "Encoder: all-MiniLM-L6-v2, tuned with sentence-transformers (MultipleNegativesRankingLoss, one BM25 hard",
          "negative a pair), then exported to ONNX int8 (the default backend) and a fresh index built with it.",
          "ObliQA is scored on a sample of its corpus (whole regulations picked by a hash of their id, about 2,000",
          "passages, and the dev questions whose gold passages all lie in them), the untuned encoder on the same sample.",
          "qrels runs are trained on the half of the dev queries whose id hash is even, and scored on the other half.", ""]
    for name, title in (("patsnap", "PatSnap patents (citations; query family excluded)"),
                        ("obliqa", "ObliQA regulations (sampled corpus)")):
        base = found[f"{name}-untuned"]
        md += [f"## {title}", ""]
        for variant, part in (("structure", "all"), ("qrels", "held-back")):
            tuned = found[f"{name}-{variant}"]
            if not tuned or not base:
                md += [f"{variant}: not measured", ""]
                continue
            rec = tuned["tuned"]
            md += [f"### tuned on {'the structure alone' if variant == 'structure' else 'half the dev qrels + structure'}"
                   f" (scored on {'every dev query' if part == 'all' else 'the held-back half'})", "",
                   f"Pairs: {rec['pairs']} (available: {rec['pairs_available']}); {rec['steps']} steps of "
                   f"{rec['settings']['batch_size']}, max_seq_length {rec['settings']['max_seq_length']}; "
                   f"training {rec['train_seconds']:.0f} s, whole tune command {tuned['tune_wall_seconds']:.0f} s; "
                   f"loss {rec['loss_first_tenth']} -> {rec['loss_last_tenth']}. Re-index: {tuned['build']['chunks']} chunks in "
                   f"{tuned['build']['build_seconds']:.0f} s. Manifest records the training: "
                   f"{tuned['manifest_records_training']}.", "",
                   *_table([("untuned", base[part]), ("tuned", tuned[part])]), ""]
    direct = {stem: _load(results, stem) for stem in (
        "patsnap-structure-direct-dense", "obliqa-structure-direct-dense", "patsnap-qrels-direct-dense",
        "obliqa-qrels-direct-dense")}
    md += ["## Dense ranking straight from the stored vectors", "",
           "Exact cosine of the query against every stored chunk vector, a document ranked by its best chunk, the",
           "query's exclusions dropped (tune_quality.py `direct`): the two encoders compared without the searcher's",
           "other stages (fusion, families, lookups). Used because the full evaluation through `NavSearch.search`",
           "did not fit the time on the shared machine (load average 17-25: several seconds a query).", ""]
    for stem, d in direct.items():
        if not d:
            md += [f"{stem}: not measured", ""]
            continue
        md += [f"### {stem} ({d['queries']} queries, {d['part']})", "",
               "| encoder | recall@10 | recall@100 | ndcg@10 | map@10 | mrr@10 | chunks | query encode s |",
               "|---|---|---|---|---|---|---|---|"]
        for label in ("untuned", "tuned"):
            r = d[label]
            md.append(f"| {label} ({r['model_id']}) | {r['recall@10']:.4f} | {r['recall@100']:.4f} | {r['ndcg@10']:.4f} | "
                      f"{r['map@10']:.4f} | {r['mrr@10']:.4f} | {r['chunks']} | {r['query_encode_s']} |")
        md.append("")
    (reports / "tune.md").write_text("\n".join(md) + "\n")
    (reports / "tune.json").write_text(json.dumps({"cpu": cpu, **found, **direct}, indent=2))
    ablation = reports / "ablation"
    ablation.mkdir(parents=True, exist_ok=True)
    if not (found["patsnap-structure"] and found["obliqa-structure"]):
        _direct_rows(ablation, direct, cpu)
        return
    for row, part, desc in (
        ("tuned-structure", "all", "MiniLM ONNX int8, hybrid, encoder fine-tuned by `navsearch tune` on the corpus structure alone"),
        ("tuned-qrels", "held-back", "MiniLM ONNX int8, hybrid, encoder fine-tuned on half the dev qrels (+ structure); held-back half scored"),
    ):
        p, o = found[f"patsnap-{row.split('-')[1]}"], found[f"obliqa-{row.split('-')[1]}"]
        _row(ablation, row, desc, p, o, part, cpu)
    _row(ablation, "untuned-tune-splits", "MiniLM ONNX int8, hybrid, untuned: the comparison for tuned-structure "
         "(PatSnap all, ObliQA sample) and tuned-qrels (held-back halves: see notes)",
         found["patsnap-untuned"], found["obliqa-untuned"], "all", cpu)


def _row(folder: Path, row: str, desc: str, p: dict[str, Any] | None, o: dict[str, Any] | None, part: str, cpu: str) -> None:
    held = ""
    if row == "untuned-tune-splits":
        held = (f" Held-back halves: PatSnap nDCG@10 {_get(p, 'held-back', 'hybrid', 'ndcg@10')} recall@100 "
                f"{_get(p, 'held-back', 'hybrid', 'recall@100')}; ObliQA sample recall@10 {_get(o, 'held-back', 'hybrid', 'recall@10')} "
                f"nDCG@10 {_get(o, 'held-back', 'hybrid', 'ndcg@10')} MAP@10 {_get(o, 'held-back', 'hybrid', 'map@10')}.")
    build = (o or {}).get("build", {})
    data = {
        "row": row, "description": desc,
        "patsnap_ndcg10": _get(p, part, "hybrid", "ndcg@10"), "patsnap_recall100": _get(p, part, "hybrid", "recall@100"),
        "obliqa_recall10": _get(o, part, "hybrid", "recall@10"), "obliqa_ndcg10": _get(o, part, "hybrid", "ndcg@10"),
        "obliqa_map10": _get(o, part, "hybrid", "map@10"), "enzh_recall5": None,
        "encode_chunks_per_s": build.get("chunks_per_s_including_parse"),
        "query_p50_ms": _get(o, part, "hybrid", "latency_p50_ms"), "index_mb": build.get("index_mb"), "cpu": cpu,
        "command": "PYTHONPATH=. .venv/bin/python benchmarks/tune_quality.py {baseline,run,report} (see benchmarks/reports/tune.md)",
        "notes": ("ObliQA figures are on a ~2,000-passage sample of the corpus (whole regulations), not the full 13.7k; "
                  f"{'scored on every dev query' if part == 'all' else 'scored on the held-back half of the dev queries only'}; "
                  "PatSnap on the full corpus. encode_chunks_per_s is the ObliQA-sample build rate including parsing; "
                  "query_p50_ms and index_mb are ObliQA-sample figures. Compare with row untuned-tune-splits, not with "
                  "full-corpus rows." + held),
    }
    (folder / f"{row}.json").write_text(json.dumps(data, indent=2) + "\n")


def _direct_rows(folder: Path, direct: dict[str, Any], cpu: str) -> None:
    """Ablation rows from the direct dense comparison, when the full evaluation is missing."""
    for variant in ("structure", "qrels"):
        p, o = direct[f"patsnap-{variant}-direct-dense"], direct[f"obliqa-{variant}-direct-dense"]
        if not (p or o):
            continue
        for label, row in (("tuned", f"tuned-{variant}"), ("untuned", f"untuned-tune-{variant}")):
            def get(d: dict[str, Any] | None, metric: str) -> float | None:
                return round(float(d[label][metric]), 4) if d else None

            data = {
                "row": row,
                "description": f"MiniLM ONNX int8, {label} ({'tuned on the corpus structure alone' if variant == 'structure' else 'tuned on half the dev qrels'}"
                               "), DENSE ONLY: exact cosine over the stored vectors, a document ranked by its best chunk",
                "patsnap_ndcg10": get(p, "ndcg@10"), "patsnap_recall100": get(p, "recall@100"),
                "obliqa_recall10": get(o, "recall@10"), "obliqa_ndcg10": get(o, "ndcg@10"), "obliqa_map10": get(o, "map@10"),
                "enzh_recall5": None, "encode_chunks_per_s": None, "query_p50_ms": None, "index_mb": None, "cpu": cpu,
                "command": "PYTHONPATH=. .venv/bin/python benchmarks/tune_quality.py run/direct/report (benchmarks/reports/tune.md)",
                "notes": ("Dense only, not hybrid: the full NavSearch.search evaluation did not fit the time on the shared "
                          "machine. ObliQA on a 2,674-passage sample (whole regulations; the dev questions whose gold passages "
                          "all lie in it), PatSnap on the full corpus. Tuned with 128 pairs, 8 steps of 16, max_seq_length 64. "
                          "Compare tuned-* with untuned-tune-* only."),
            }
            (folder / f"{row}.json").write_text(json.dumps(data, indent=2) + "\n")
