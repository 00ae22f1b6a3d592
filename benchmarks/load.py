"""Load on loopback: N concurrent clients against a real `navsearch serve` (uvicorn, the
real model, API keys on) over a small corpus, for T seconds while the server is idle of
other work, then for T seconds while an ingest run started over the API embeds more
documents in the same process. Reports clients, requests, throughput, p50/p90/p99
latency and errors per phase.

Only 127.0.0.1 is ever contacted; every loop is bounded by its phase's time.
Writes benchmarks/reports/load.json and load.md.

    .venv/bin/python benchmarks/load.py [--clients 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
if __package__:  # imported by the tests as benchmarks.load
    from benchmarks.machine import cpu_and_cores
else:  # run as a script: its folder is on sys.path
    from machine import cpu_and_cores

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's navsearch, as the server below runs it (cwd=ROOT)
DATA = ROOT / "tests" / "data"
READ_KEY = "load-read-key-0123456789"
ADMIN_KEY = "load-admin-key-0123456789"
HOST = "127.0.0.1"  # the only address this script sends to
# (endpoint, body): four searches to one question, as a reader of the corpus would mix them.
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("/search", {"query": "how many pilot enterprises of patent operation will be cultivated", "k": 10}),
    ("/search", {"query": "a notebook computer whose battery pack detaches at the hinge", "k": 10}),
    ("/search", {"query": "membrane filter for waste water treatment", "k": 10, "doc_types": ["patent"]}),
    ("/search", {"query": "patent navigation for industrial planning", "k": 5, "group": "chunk"}),
    ("/ask", {"question": "How many national pilot enterprises of patent operation will be cultivated?"}),
]
# The base corpus the server starts with, and what an ingest run adds during the load.
BASE_FILES = [("policy", "sipo-circulars-2013.txt"), ("patents", "patsnap-slice.jsonl")]
INGEST_FILES = [
    ("statutes", "gdpr-slice.json"),
    ("statutes", "usc35-slice.xml"),
    ("uspto", "ipg060103.first3.xml"),
    ("uspto", "ipg090106.first3.xml"),
    ("uspto", "ipg120327.first3.xml"),
]


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    clients_served: int = 0  # clients that completed at least one request
    per_s: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    by_endpoint: dict[str, dict[str, float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    ingest: dict[str, Any] | None = None  # the run that went on during the phase, if any


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(base: str, *, clients: int, seconds: float, name: str) -> Phase:
    """``clients`` concurrent clients, each sending the request mix back to back for
    ``seconds``; a request counts as an error unless it gets a 200."""
    headers = {"Authorization": f"Bearer {READ_KEY}"}
    latencies: dict[str, list[float]] = {}
    served: set[int] = set()
    phase = Phase(name, clients, seconds)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:

        async def client(n: int) -> None:
            i = n  # clients start at different points of the mix
            while time.monotonic() < deadline:
                path, body = REQUESTS[i % len(REQUESTS)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await http.post(path, json=body)
                    ok, what = r.status_code == 200, f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, what = False, f"{type(exc).__name__}: {exc}"
                took = (time.perf_counter() - t0) * 1000
                phase.requests += 1
                if ok:
                    latencies.setdefault(path, []).append(took)
                    served.add(n)
                else:
                    phase.errors += 1
                    if len(phase.error_samples) < 5:
                        phase.error_samples.append(f"{path}: {what}")

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    every = [x for values in latencies.values() for x in values]
    phase.clients_served = len(served)
    phase.per_s = round(phase.requests / elapsed, 1)
    phase.p50_ms, phase.p90_ms, phase.p99_ms = (round(_pct(every, q), 1) for q in (0.5, 0.9, 0.99))
    phase.max_ms = round(max(every, default=0.0), 1)
    phase.by_endpoint = {
        path: {"requests": len(v), "p50_ms": round(_pct(v, 0.5), 1), "p99_ms": round(_pct(v, 0.99), 1)}
        for path, v in sorted(latencies.items())
    }
    return phase


async def load_during_ingest(base: str, *, clients: int, seconds: float, paths: list[str]) -> Phase:
    """Start an ingest run over the API, then load the server while it runs."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=base, headers=admin, timeout=60) as http:
        r = await http.post("/ingest/runs", json={"paths": paths})
        r.raise_for_status()
        run_id = r.json()["id"]
        started = time.monotonic()
        phase = await load(base, clients=clients, seconds=seconds, name="during an ingest run")
        loaded_until = time.monotonic()
        while (run := (await http.get(f"/ingest/runs/{run_id}")).json())["state"] == "running":
            assert time.monotonic() - started < 600, "the ingest run did not finish in 10 minutes"
            await asyncio.sleep(0.2)
        finished = time.monotonic()  # within 0.2 s
    phase.ingest = {
        "state": run["state"],
        "files": run["files_done"],
        "documents": run["documents"],
        "chunks": run["chunks"],
        "errors": len(run["errors"]),
        "run_seconds_after_load_start": round(finished - started, 1),
        "overlap_seconds": round(min(finished, loaded_until) - started, 1),
    }
    return phase


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def build_corpus(root: Path, ingest_files: list[tuple[str, str]] = INGEST_FILES) -> tuple[Path, Path]:
    """The base corpus folder and the folder an ingest run adds, from the test data."""
    corpus, extra = root / "corpus", root / "extra"
    for folder, files in ((corpus, BASE_FILES), (extra, ingest_files)):
        for sub, name in files:
            (folder / sub).mkdir(parents=True, exist_ok=True)
            shutil.copy(DATA / sub / name, folder / sub / name)
    return corpus, extra


def server_env(index_dir: Path, corpus: Path, extra: Path, port: int) -> dict[str, str]:
    keys = [{"name": "load", "scope": "read", "key": READ_KEY}, {"name": "ops", "scope": "admin", "key": ADMIN_KEY}]
    return {
        **os.environ,
        "NAVSEARCH_INDEX_DIR": str(index_dir),
        "NAVSEARCH_CORPUS_DIR": str(corpus),
        "NAVSEARCH_API__HOST": HOST,
        "NAVSEARCH_API__PORT": str(port),
        "NAVSEARCH_API__KEYS": json.dumps(keys),
        "NAVSEARCH_API__INGEST_ROOTS": json.dumps([str(extra)]),
        "HF_HUB_OFFLINE": "1",
    }


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[str]:
    """`navsearch serve` as its own process; yields its base URL once /health is ready."""
    base = f"http://{HOST}:{env['NAVSEARCH_API__PORT']}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "navsearch.cli", "serve"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).json().get("ready"):
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not become ready in 5 minutes: {log.read_text()[-2000:]}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def ingest_base(index_dir: Path, corpus: Path, embedder: Any = None) -> int:
    """Index the base corpus with the configured (real) model, or an already loaded
    ``embedder`` of it; the chunks indexed."""
    from navsearch.service import NavSearch
    from navsearch.settings import Settings

    service = NavSearch(Settings(index_dir=index_dir, corpus_dir=corpus), embedder=embedder)
    report = service.ingest([corpus], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    return sum(f.chunks for f in report.files)


async def warm_up(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {READ_KEY}"}, timeout=60) as http:
        for path, body in REQUESTS:
            (await http.post(path, json=body)).raise_for_status()


def run(root: Path, *, clients: int, seconds: float) -> dict[str, Any]:
    corpus, extra = build_corpus(root)
    index_dir = root / "index"
    chunks = ingest_base(index_dir, corpus)
    env = server_env(index_dir, corpus, extra, free_port())
    load_before = os.getloadavg()[0]
    with server(env, root / "server.log") as base:
        asyncio.run(warm_up(base))
        idle = asyncio.run(load(base, clients=clients, seconds=seconds, name="idle (no other work)"))
        busy = asyncio.run(load_during_ingest(base, clients=clients, seconds=seconds, paths=[str(extra)]))
    # Other work on the machine shares the cores: its load average is part of the figures.
    load_average = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return {"base_chunks": chunks, "phases": [asdict(idle), asdict(busy)], "load_average": load_average}


def report_md(result: dict[str, Any]) -> str:
    lines = [
        "# Load on loopback (benchmarks/load.py)",
        "",
        f"Measured {result['measured']} on {result['cpu']}; server and clients share those cores "
        f"(1-minute load average {result['load_average'][0]} before, {result['load_average'][1]} after: "
        "above 2, other jobs were running too, so the latencies are upper bounds). "
        f"`navsearch serve` (uvicorn, one process) with the default encoder ({result['encoder']}), "
        f"API keys on, {result['base_chunks']} chunks in the base corpus (SIPO circulars, PatSnap slice). "
        f"{result['clients']} clients send back to back, 4 searches to 1 /ask, for {result['seconds']:.0f} s a phase; "
        "the second phase starts an ingest run over the API (GDPR and 35 U.S.C. slices, 9 USPTO grants) "
        "that embeds in the same process while the clients load it.",
        "",
        "| phase | clients held | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in result["phases"]:
        lines.append(
            f"| {p['name']} | {p['clients_served']}/{p['clients']} | {p['requests']} | {p['per_s']} | {p['p50_ms']} | "
            f"{p['p90_ms']} | {p['p99_ms']} | {p['max_ms']} | {p['errors']} |"
        )
    lines += ["", "Per endpoint (p50 / p99 ms):", ""]
    for p in result["phases"]:
        parts = [f"`{path}` {v['p50_ms']} / {v['p99_ms']} ({v['requests']:.0f})" for path, v in p["by_endpoint"].items()]
        lines.append(f"- {p['name']}: " + "; ".join(parts))
    busy = result["phases"][1].get("ingest")
    if busy:
        lines += [
            "",
            f"The ingest run: {busy['state']}, {busy['files']} files, {busy['documents']} documents, "
            f"{busy['chunks']} chunks, {busy['errors']} file errors; it ran {busy['run_seconds_after_load_start']} s "
            f"from its start, {busy['overlap_seconds']} s of it under load.",
        ]
    samples = [s for p in result["phases"] for s in p["error_samples"]]
    if samples:
        lines += ["", "Errors seen:", "", *[f"- {s}" for s in samples]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = parser.parse_args()
    from navsearch.settings import Settings

    with tempfile.TemporaryDirectory(prefix="navsearch-load-") as tmp:
        result = run(Path(tmp), clients=args.clients, seconds=args.seconds)
    result.update(
        measured=datetime.now().strftime("%Y-%m-%d %H:%M"),
        cpu=cpu_and_cores(),
        encoder=Settings().embedding.backend,
        clients=args.clients,
        seconds=args.seconds,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "load.md").write_text(report_md(result))
    print(report_md(result))
    for p in result["phases"]:
        print(f"{p['name']}: p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, {p['errors']} errors")


if __name__ == "__main__":
    main()
