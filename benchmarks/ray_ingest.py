"""Ingest throughput on Ray (`navsearch ingest --ray`) with 1 and 2 embed actors, beside the
plain Indexer, on the same files, on this machine, in one run.

Files: corpus/statutes/usc35.xml, the five USPTO full texts of corpus/patents/uspto/ and
corpus/policy/sipo-circulars-2013.txt, each run into a fresh index under --work with the
default encoder (all-MiniLM-L6-v2, ONNX int8). Ray runs locally in this process
(``ray.init(num_cpus=2)``, started once; its start is timed apart), every actor at
cluster.actor_cpus = 0.5 (one parse actor and 1 or 2 embed actors, each encoder on one
thread); the plain ingest's encoder uses ONNX Runtime's default threads (both cores). Each
figure is one run's wall time, from planning to the published generation, actor start-up
included; the load average (other jobs share the cores) is recorded before and after each.
Writes benchmarks/reports/ray_ingest.json and ray_ingest.md.

    PYTHONPATH=. .venv/bin/python benchmarks/ray_ingest.py [--work /tmp/navsearch-ray-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from navsearch.indexer import IngestReport
from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "reports"
CORPUS = ROOT / "corpus"
FILES = [
    CORPUS / "statutes" / "usc35.xml",
    *sorted((CORPUS / "patents" / "uspto").glob("*.xml")),
    CORPUS / "policy" / "sipo-circulars-2013.txt",
]
ACTOR_CPUS = 0.5


def cpu_model() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")
    return f"{model}, {os.cpu_count()} cores"


def row(name: str, report: IngestReport, seconds: float, load: tuple[float, float]) -> dict[str, Any]:
    files = sum(f.status == "indexed" for f in report.files)
    assert files == len(FILES) and not report.failed, [(f.path, f.status, f.error) for f in report.files]
    return {
        "run": name,
        "files": files,
        "chunks": report.embedded,
        "seconds": round(seconds, 1),
        "chunks_per_s": round(report.embedded / seconds, 1),
        "files_per_s": round(files / seconds, 3),
        "encoder_seconds": round(report.embed_seconds, 1),  # summed over the actors on Ray
        "nodes": len(report.nodes),
        "load_before": round(load[0], 2),
        "load_after": round(load[1], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/navsearch-ray-bench"))
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    corpus = args.work / "corpus"
    corpus.mkdir(parents=True)
    for path in FILES:
        shutil.copy(path, corpus)
    rows = []

    plain = NavSearch(Settings(index_dir=args.work / "plain"))
    before = os.getloadavg()[0]
    t0 = time.perf_counter()
    report = plain.ingest([corpus], progress=False)
    rows.append(row("plain Indexer", report, time.perf_counter() - t0, (before, os.getloadavg()[0])))
    print(rows[-1], flush=True)

    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=2, object_store_memory=512 << 20, log_to_driver=False)
    ray_start = time.perf_counter() - t0
    try:
        for workers in (1, 2):
            settings = Settings(index_dir=args.work / f"ray-{workers}", cluster={"actor_cpus": ACTOR_CPUS})
            service = NavSearch(settings)
            before = os.getloadavg()[0]
            t0 = time.perf_counter()
            report = service.ingest_on_ray([corpus], workers=workers, progress=False)
            rows.append(row(f"Ray, {workers} embed actor(s)", report, time.perf_counter() - t0, (before, os.getloadavg()[0])))
            print(rows[-1], flush=True)
    finally:
        ray.shutdown()

    result = {
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "ray": ray.__version__,
        "ray_start_s": round(ray_start, 1),
        "actor_cpus": ACTOR_CPUS,
        "files": [str(p.relative_to(ROOT)) for p in FILES],
        "rows": rows,
    }
    (OUT / "ray_ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "| run | files | chunks | wall s | chunks/s | files/s | encoder s | load before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *(
            f"| {r['run']} | {r['files']} | {r['chunks']} | {r['seconds']} | {r['chunks_per_s']} | {r['files_per_s']} "
            f"| {r['encoder_seconds']} | {r['load_before']} → {r['load_after']} |"
            for r in rows
        ),
    ]
    print("\n".join(lines))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))


if __name__ == "__main__":
    main()
