"""Dev-set quality of encoders tuned by `navsearch tune` (issue 13, item 3).

Two measurements per dev set (PatSnap patents, ObliQA regulations), each a stage of its
own so the sets can run side by side on a loaded machine:

- structure: tuned on the corpus's own structure alone (PatSnap: title -> abstract;
  ObliQA: heading -> clause), scored on every dev query;
- qrels: tuned on half of the dev qrels (queries split by a hash of their id) plus the
  structure, scored on the other half only, next to the untuned encoder on that half.
- combined: ONE encoder tuned on both sets' train halves and the structure of ObliQA,
  PatSnap and corpus/, each held-back half scored beside the untuned encoder (could one
  tuned encoder be the default for both kinds of text?); interpolate: its weights moved
  back toward the base model's (WiSE-FT), scored the same way.

Each tuned model is exported to ONNX int8 (the default backend) and a fresh index is
built with it. ObliQA is scored on a sample of its corpus (whole regulations picked by a
hash of their id until SAMPLE_PASSAGES passages, and the dev questions whose gold
passages all lie in them) because re-embedding its 14k passages takes too long on the
shared 2-core machine; the untuned encoder is scored on the same sample.

    PYTHONPATH=. .venv/bin/python benchmarks/tune_quality.py baseline --set obliqa
    PYTHONPATH=. .venv/bin/python benchmarks/tune_quality.py run --set patsnap --variant structure
    PYTHONPATH=. .venv/bin/python benchmarks/tune_quality.py report
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from bench_index import bench_index  # beside this script
from machine import cpu_and_cores  # beside this script
from navsearch.eval.metrics import score_run
from navsearch.eval.runner import QuerySet, load_query_set, run_mode
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.types import Filters

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "indexes" / "tune-bench"
RESULTS = ROOT / "benchmarks" / "reports" / "tune"
CPU = "AMD EPYC, 2 cores, shared"
SAMPLE_PASSAGES = 2000
FULL = {"obliqa": False}  # --full: score ObliQA on its whole corpus instead of the sample
MODES = ("dense", "hybrid")
CACHED = ROOT / "indexes"  # where quality.py keeps the untuned dev indexes (--cached)


def held_back(qid: str) -> bool:
    """The half of the dev queries kept for scoring; the other half may be trained on."""
    return hashlib.sha256(qid.encode()).digest()[0] % 2 == 1


def map_at_10(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> float:
    """Average precision truncated at rank 10: precision@i summed over the relevant hits
    at i <= 10, divided by min(#relevant, 10); averaged over the judged queries."""
    total, n = 0.0, 0
    for q, rel in qrels.items():
        wanted = {d for d, g in rel.items() if g > 0}
        if not wanted:
            continue
        hits, ap = 0, 0.0
        for i, d in enumerate(run.get(q, [])[:10], start=1):
            if d in wanted:
                hits += 1
                ap += hits / i
        total += ap / min(len(wanted), 10)
        n += 1
    return total / n


def paths(name: str) -> dict[str, Path]:
    if name == "patsnap":
        d = DATA / "patents" / "patsnap"
        return {"corpus": d / "patents.jsonl", "queries": d / "queries.dev.jsonl", "qrels": d / "qrels.dev.tsv",
                "exclude": d / "exclude.dev.jsonl"}
    d = DATA / "policy" / "obliqa"
    return {"corpus": d / "passages.jsonl", "queries": d / "queries.dev.jsonl", "qrels": d / "qrels.dev.tsv"}


def obliqa_sample() -> tuple[Path, set[str]]:
    """The sampled corpus file and its passage ids: whole regulations by hash of their id."""
    out = WORK / "obliqa-sample" / "passages.jsonl"
    rows = [json.loads(line) for line in paths("obliqa")["corpus"].read_text(encoding="utf-8").splitlines() if line.strip()]
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_doc.setdefault(str(r.get("document_id")), []).append(r)
    chosen: list[dict[str, Any]] = []
    for doc in sorted(by_doc, key=lambda d: hashlib.sha256(d.encode()).hexdigest()):
        if len(chosen) >= SAMPLE_PASSAGES:
            break
        chosen += by_doc[doc]
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    return out, {str(r["_id"]) for r in chosen}


def query_set(name: str, part: str) -> QuerySet:
    """The dev queries scored: all, or the held-back half; ObliQA's limited to the sample."""
    p = paths(name)
    qs = load_query_set(p["queries"], p["qrels"], p.get("exclude"))
    keep = set(qs.qrels)
    if part == "held-back":
        keep = {q for q in keep if held_back(q)}
    if name == "obliqa" and not FULL["obliqa"]:
        _, ids = obliqa_sample()
        keep = {q for q in keep if set(qs.qrels[q]) <= ids}
    return QuerySet({q: qs.queries[q] for q in keep}, {q: qs.qrels[q] for q in keep}, qs.exclude)


def train_half(name: str) -> tuple[Path, Path]:
    """BEIR files of the half of the dev qrels that is not held back."""
    p = paths(name)
    qs = load_query_set(p["queries"], p["qrels"])
    folder = WORK / f"{name}-train-half"
    folder.mkdir(parents=True, exist_ok=True)
    train = {q for q in qs.qrels if not held_back(q)}
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": qs.queries[q]["text"]}) + "\n" for q in sorted(train)), encoding="utf-8"
    )
    with (folder / "qrels.tsv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t")
        w.writerow(["query-id", "corpus-id", "score"])
        for q in sorted(train):
            for d, g in qs.qrels[q].items():
                w.writerow([q, d, g])
    return folder / "queries.jsonl", folder / "qrels.tsv"


def score(service: NavSearch, name: str, qs: QuerySet) -> dict[str, Any]:
    filters = Filters(doc_types=("patent",)) if name == "patsnap" else None
    out: dict[str, Any] = {}
    for mode in MODES:
        done = run_mode(service.ranked_ids, qs, mode=mode, filters=filters, progress=False)
        run, latencies = done.run, done.latencies
        scores = score_run(run, qs.qrels)
        scores["map@10"] = map_at_10(run, qs.qrels)
        scores["latency_p50_ms"] = sorted(latencies)[len(latencies) // 2]
        out[mode] = scores
    return out


def build(name: str, model: str | None, tag: str) -> tuple[NavSearch, dict[str, Any]]:
    """A fresh index of the (sampled) corpus with the given model; its build figures."""
    index = WORK / f"idx-{name}{'-full' if FULL['obliqa'] and name == 'obliqa' else ''}-{tag}"
    shutil.rmtree(index, ignore_errors=True)
    # No e5 index: these dev corpora are English (its build would take most of an hour).
    settings = Settings(index_dir=index, embedding={"cross_language": "none", **({"model": model} if model else {})})
    service = NavSearch(settings)
    sampled = name == "obliqa" and not FULL["obliqa"]
    corpus = obliqa_sample()[0] if sampled else paths(name)["corpus"]
    t0 = time.perf_counter()
    report = service.ingest([corpus])
    secs = time.perf_counter() - t0
    if report.failed:
        raise SystemExit(f"{name}: ingest failed: {[f.error for f in report.failed]}")
    chunks = service.catalog.counts().get("chunks", 0)
    size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    return service, {"index_dir": str(index), "chunks": chunks, "build_seconds": round(secs, 1),
                     "chunks_per_s_including_parse": round(chunks / secs, 1), "index_mb": round(size / 2**20, 1),
                     "model_id": service.embedder.model_id}


def source_service(name: str) -> NavSearch:
    """A copy of the cached untuned dev index (benchmarks/quality.py built it): tuned from,
    and the untuned baseline of the full corpus."""
    src = CACHED / bench_index(name, "onnx-int8").name
    copy = WORK / f"src-{name}"
    if not (copy / "catalog.sqlite").is_file():
        shutil.copytree(src, copy, dirs_exist_ok=True)
    return NavSearch(Settings(index_dir=copy))


def baseline(name: str) -> None:
    """The untuned encoder on what the tuned ones are scored on."""
    if name == "patsnap" or FULL["obliqa"]:
        service, figures = source_service(name), {"index_dir": "cached full dev index"}
    else:
        service, figures = build(name, None, "untuned")
    result = {"set": name, "variant": "untuned", "build": figures,
              "all": score(service, name, query_set(name, "all")),
              "held-back": score(service, name, query_set(name, "held-back"))}
    save(f"{name}-untuned", result)


def run(name: str, variant: str, max_pairs: int, seq: int) -> None:
    src = source_service(name)
    src.settings.tune = src.settings.tune.model_copy(update={"max_seq_length": seq})
    queries = qrels = None
    if variant == "qrels":
        queries, qrels = train_half(name)
    model_dir = WORK / f"model-{name}-{variant}"
    t0 = time.perf_counter()
    report = src.tune(model_dir, queries=queries, qrels=qrels, max_pairs=max_pairs, progress=True)
    tune_secs = time.perf_counter() - t0
    service, figures = build(name, str(model_dir), variant)
    part = "held-back" if variant == "qrels" else "all"
    manifest = service.index_store().current()
    result = {"set": name, "variant": variant, "command": f"tune_quality.py run --set {name} --variant {variant} "
              f"--max-pairs {max_pairs} --seq {seq}", "tuned": report.record, "tune_wall_seconds": round(tune_secs, 1),
              "manifest_records_training": bool(manifest and manifest.encoder_training), "build": figures,
              part: score(service, name, query_set(name, part))}
    save(f"{name}-{variant}", result)


def combined(part: str, structure_per_set: dict[str, int], seq: int, tag: str) -> None:
    """One encoder tuned on both dev sets' labelled pairs (the train half, or all of them)
    and on the structure of three corpora (ObliQA, PatSnap, the bundled corpus/), each
    pair's hard negative from its own corpus; then, for ``half``, each set's held-back half
    scored with it beside the untuned encoder."""
    from navsearch.store.reads import corpus_chunks
    from navsearch.tune.negatives import add_hard_negatives
    from navsearch.tune.pairs import counts, sample, structure_pairs
    from navsearch.tune.qrels import qrels_pairs
    from navsearch.tune.train import train
    from navsearch.embedding.sentence_transformer import resolve_model

    tune = Settings().tune.model_copy(update={"max_seq_length": seq})
    sources = {"obliqa": source_service("obliqa"), "patsnap": source_service("patsnap"),
               "corpus": NavSearch(Settings(index_dir=CACHED / "clause-questions"))}
    triples, record = [], {}
    for name, service in sources.items():
        chunks = corpus_chunks(service.catalog)
        labelled = []
        if name != "corpus":
            p = paths(name)
            q, r = train_half(name) if part == "half" else (p["queries"], p["qrels"])
            labelled, _ = qrels_pairs(q, r, chunks)
        structure = structure_pairs(chunks, tune)
        chosen = sample(labelled, structure, tune.model_copy(update={"max_pairs": len(labelled) + structure_per_set[name]}))
        with_neg, found = add_hard_negatives(chosen, chunks, tune, progress=True)
        triples += with_neg
        record[name] = {"chunks": len(chunks), "pairs": counts(chosen), "hard_negatives_from_bm25": found}
    model_dir = WORK / f"model-combined-{tag}"
    path, base_id = resolve_model(Settings().embedding.model)
    t0 = time.perf_counter()
    stats = train(path, triples, tune, model_dir, progress=True)
    record.update({"base_model": base_id, "part": part, "steps": stats.steps, "train_seconds": round(stats.seconds, 1),
                   "loss_first_tenth": round(stats.first_loss, 4), "loss_last_tenth": round(stats.last_loss, 4),
                   "settings": tune.model_dump()})
    (model_dir / "combined.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2), flush=True)
    result: dict[str, Any] = {"variant": f"combined-{tag}", "cpu": cpu_and_cores(), "tuned": record,
                              "train_wall_seconds": round(time.perf_counter() - t0, 1)}
    if part == "half":
        FULL["obliqa"] = True
        for name in ("patsnap", "obliqa"):
            qs = query_set(name, "held-back")
            service, figures = build(name, str(model_dir), f"combined-{tag}")
            untuned = NavSearch(Settings(index_dir=WORK / f"src-{name}", embedding={"cross_language": "none"}))
            result[name] = {"queries": len(qs.qrels), "build": figures,
                            "tuned": score(service, name, qs), "untuned": score(untuned, name, qs)}
            print(json.dumps(result[name], indent=2), flush=True)
    save(f"combined-{tag}", result)


def interpolate(alpha: float, sets: list[str], tag: str = "half") -> None:
    """WiSE-FT: the combined model's weights moved back toward the base model's
    (``alpha`` tuned, ``1 - alpha`` base), then each set's held-back half scored with it."""
    from safetensors.torch import load_file, save_file

    from navsearch.embedding.sentence_transformer import resolve_model

    tuned = WORK / f"model-combined-{tag}"
    base, _ = resolve_model(Settings().embedding.model)
    out = WORK / f"model-wise-{alpha}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(tuned, out)
    (out / "combined.json").unlink(missing_ok=True)
    tuned_w = load_file(str(tuned / "model.safetensors"))
    base_w = {k.removeprefix("bert."): v for k, v in load_file(str(Path(base) / "model.safetensors")).items()}
    merged = {}
    for k, v in tuned_w.items():
        b = base_w.get(k.removeprefix("bert."))
        merged[k] = (alpha * v + (1 - alpha) * b).contiguous() if b is not None and v.is_floating_point() else v
    save_file(merged, str(out / "model.safetensors"), metadata={"format": "pt"})
    FULL["obliqa"] = True
    result: dict[str, Any] = {"variant": f"wise-{alpha}", "from": tuned.name}
    for name in sets:
        service, figures = build(name, str(out), f"wise-{alpha}")
        result[name] = {"build": figures, "held-back": score(service, name, query_set(name, "held-back"))}
    save(f"wise-{alpha}", result)


def direct_dense(name: str, part: str) -> None:
    """Dense ranking straight from each index's stored vectors (exact cosine, a document
    ranked by its best chunk, the query's exclusions dropped), untuned next to tuned: the
    encoders compared without the searcher's other stages, for when the full evaluation
    through `NavSearch.search` does not fit the time (on a machine at load 20 it did not)."""
    import numpy as np

    from navsearch.embedding.registry import make_embedder
    from navsearch.settings import EmbeddingSettings
    from navsearch.store.catalog import Catalog
    from navsearch.store.reads import corpus_chunks

    qs = query_set(name, part)
    variant = "qrels" if part == "held-back" else "structure"
    untuned = WORK / "src-patsnap" if name == "patsnap" else WORK / f"idx-{name}-untuned"
    out: dict[str, Any] = {"set": name, "part": part, "queries": len(qs.qrels), "cpu": CPU}
    for label, index, model in (("untuned", untuned, None), ("tuned", WORK / f"idx-{name}-{variant}", WORK / f"model-{name}-{variant}")):
        catalog = Catalog(index / "catalog.sqlite")
        dim = int(catalog.get_meta("dimension") or 0)
        ids, vectors = catalog.all_vectors(dim)
        doc_of = {c.rowid: c.doc_id for c in corpus_chunks(catalog)}
        embedder = make_embedder(EmbeddingSettings(model=str(model)) if model else EmbeddingSettings())
        order = list(qs.qrels)
        t0 = time.perf_counter()
        queries = embedder.embed([str(qs.queries[q]["text"]) for q in order])
        encode_s = time.perf_counter() - t0
        run: dict[str, list[str]] = {}
        for q, row in zip(order, queries @ vectors.T):
            ranked: list[str] = []
            for i in np.argsort(-row)[:2000]:
                d = doc_of[int(ids[i])]
                if d not in ranked and d not in qs.exclude.get(q, set()):
                    ranked.append(d)
                if len(ranked) == 100:
                    break
            run[q] = ranked
        scores = score_run(run, qs.qrels)
        scores["map@10"] = map_at_10(run, qs.qrels)
        out[label] = {"model_id": embedder.model_id, "chunks": len(ids), "query_encode_s": round(encode_s, 1), **scores}
    save(f"{name}-{variant}-direct-dense", out)


def held_back_scores(name: str) -> None:
    """The tuned index of ``run --variant qrels`` and the untuned one, both scored on the
    held-back half: for a run whose own scoring was stopped (the index is kept). The e5
    leg is left out: these dev corpora are English, so it would rank nothing."""
    out: dict[str, Any] = {}
    tuned = WORK / f"idx-{name}{'-full' if FULL['obliqa'] and name == 'obliqa' else ''}-qrels"
    untuned = WORK / f"src-{name}"
    for label, index, model in (("tuned-qrels", tuned, str(WORK / f"model-{name}-qrels")), ("untuned", untuned, None)):
        embedding: dict[str, Any] = {"cross_language": "none", **({"model": model} if model else {})}
        service = NavSearch(Settings(index_dir=index, embedding=embedding))
        out[label] = {"model_id": service.embedder.model_id, **score(service, name, query_set(name, "held-back"))}
    save(f"{name}-qrels-heldback", {"set": name, "part": "held-back", "queries": len(query_set(name, "held-back").qrels),
                                     "cpu": CPU, "results": out})


def save(stem: str, result: dict[str, Any]) -> None:
    if FULL["obliqa"] and stem.startswith("obliqa"):
        stem = stem.replace("obliqa", "obliqa-full", 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str)[:3000])


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="stage", required=True)
    b = sub.add_parser("baseline")
    b.add_argument("--set", choices=("patsnap", "obliqa"), required=True)
    r = sub.add_parser("run")
    r.add_argument("--set", choices=("patsnap", "obliqa"), required=True)
    r.add_argument("--variant", choices=("structure", "qrels"), required=True)
    r.add_argument("--max-pairs", type=int, default=256)
    r.add_argument("--seq", type=int, default=64)
    d = sub.add_parser("direct")
    d.add_argument("--set", choices=("patsnap", "obliqa"), required=True)
    d.add_argument("--part", choices=("all", "held-back"), default="all")
    h = sub.add_parser("heldback", help="Score the kept tuned (qrels) and untuned indexes on the held-back half.")
    h.add_argument("--set", choices=("patsnap", "obliqa"), required=True)
    c = sub.add_parser("combined", help="One encoder tuned on both sets (train halves or all) and three corpora's structure.")
    c.add_argument("--part", choices=("half", "all"), default="half")
    c.add_argument("--structure", default="obliqa=300,patsnap=200,corpus=500", help="Structure pairs per corpus.")
    c.add_argument("--seq", type=int, default=128)
    c.add_argument("--tag", default="half")
    w = sub.add_parser("interpolate", help="The combined model's weights moved toward the base model's (WiSE-FT), scored.")
    w.add_argument("--alpha", type=float, default=0.5)
    w.add_argument("--sets", default="patsnap")
    sub.add_parser("report")
    ap.add_argument("--cached", type=Path, default=CACHED, help="Folder of the untuned dev indexes.")
    ap.add_argument("--full", action="store_true", help="ObliQA: score on the whole corpus, not the sample.")
    args = ap.parse_args()
    FULL["obliqa"] = args.full
    globals()["CACHED"] = args.cached
    if args.stage == "baseline":
        baseline(args.set)
    elif args.stage == "direct":
        direct_dense(args.set, args.part)
    elif args.stage == "heldback":
        held_back_scores(args.set)
    elif args.stage == "combined":
        per = {k: int(v) for k, v in (kv.split("=") for kv in args.structure.split(","))}
        combined(args.part, per, args.seq, args.tag)
    elif args.stage == "interpolate":
        interpolate(args.alpha, args.sets.split(","))
    elif args.stage == "run":
        run(args.set, args.variant, args.max_pairs, args.seq)
    else:
        from tune_report import write_report  # beside this script

        write_report(RESULTS, ROOT / "benchmarks" / "reports", CPU)


if __name__ == "__main__":
    main()
