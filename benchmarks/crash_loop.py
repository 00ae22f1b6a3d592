"""Crash loop: upload documents over HTTP while the server is killed with SIGKILL at random
moments; after each restart, check that nothing acknowledged is lost and nothing partial
is visible.

Each round starts `navsearch serve` on a free loopback port (the deterministic hashing
encoder, an admin API key), uploads small patent files (one JSON Lines file, 1-3 patents,
each abstract carrying a sentence found nowhere else) one after another, and kills the
server after a random delay, whatever it is doing: receiving a file, parsing, committing,
publishing. After the restart:

- every upload the server acknowledged (2xx) is there: each of its documents opens with
  the exact text sent, and a search for its unique sentence finds it first;
- no document is partial: every stored document that came from an upload has all the
  chunks its text needs (they cover its text exactly) and is searchable;
- the published generation holds as many vectors as the catalog has current chunks.

    .venv/bin/python benchmarks/crash_loop.py --rounds 200   # writes benchmarks/reports/crash_loop.md

The test suite runs 20 rounds of the same loop (tests/test_crash_loop.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "crash-loop-admin-key-0123456789"
WORDS = (
    "valve rotor flange gasket piston spindle bearing nozzle sensor relay damper impeller "
    "manifold coupling actuator bracket diaphragm plunger sprocket ratchet"
).split()


@dataclass
class Upload:
    name: str
    doc_ids: list[str]
    texts: dict[str, str]  # doc id -> abstract sent
    sentences: dict[str, str]  # doc id -> its unique sentence


@dataclass
class Result:
    rounds: int = 0
    uploads_sent: int = 0
    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    unsearchable: list[str] = field(default_factory=list)
    count_mismatches: list[str] = field(default_factory=list)
    restart_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.partial or self.unsearchable or self.count_mismatches or self.restart_failures)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(index: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "NAVSEARCH_INDEX_DIR": str(index),
        "NAVSEARCH_EMBEDDING__BACKEND": "hashing",
        "NAVSEARCH_API__PORT": str(port),
        "NAVSEARCH_API__KEYS": json.dumps([{"name": "crash-loop", "scope": "admin", "key": ADMIN_KEY}]),
    }


def _start(index: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "navsearch.cli", "serve"],
        env=_env(index, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"the server exited on start: {err[-1500:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                time.sleep(0.3)
                if proc.poll() is None:  # ours answered, not another process that took the port
                    return proc, base
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not answer /health in 120 s")


def _make_upload(rng: random.Random, serial: int) -> tuple[str, bytes, Upload]:
    rows = []
    upload = Upload(name=f"crash-{serial:05d}.jsonl", doc_ids=[], texts={}, sentences={})
    for j in range(rng.randint(1, 3)):
        doc_id = f"US9{serial:05d}{j}"
        unique = f"zq{serial}x{j}"  # a token found in no other document
        sentence = f"The {rng.choice(WORDS)} {unique} engages the {rng.choice(WORDS)} at a fixed angle."
        abstract = f"{sentence} " + " ".join(f"A {rng.choice(WORDS)} holds the {rng.choice(WORDS)}." for _ in range(rng.randint(2, 12)))
        rows.append({
            "publication_number": doc_id, "title": f"Assembly {serial}-{j}", "abstract": abstract,
            "ipc": ["F16K1/00"], "publication_date": "2010-01-05", "application_date": "2008-03-01",
            "assignee": "Crash Loop Ltd", "family": [],
        })
        upload.doc_ids.append(doc_id)
        upload.texts[doc_id] = abstract
        upload.sentences[doc_id] = unique
    return upload.name, "\n".join(json.dumps(r) for r in rows).encode(), upload


def _uploader(base: str, rng: random.Random, serial: list[int], acked: list[Upload], sent: list[int], stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            serial[0] += 1
            name, data, upload = _make_upload(rng, serial[0])
            sent[0] += 1
            try:
                r = client.post(f"{base}/documents", files={"file": (name, data, "application/jsonl")}, headers=headers)
            except httpx.HTTPError:
                return  # the server died mid-request: not acknowledged
            if r.status_code in (200, 201):
                acked.append(upload)
            elif r.status_code >= 500:
                raise RuntimeError(f"upload answered {r.status_code}: {r.text[:300]}")


def _check(index: Path, base: str, acked: list[Upload], result: Result) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(timeout=30, headers=headers) as client:
        for upload in acked:
            for doc_id in upload.doc_ids:
                r = client.get(f"{base}/documents/{doc_id}", params={"include_text": True})
                if r.status_code != 200:
                    result.lost.append(f"{doc_id} ({r.status_code})")
                    continue
                if r.json()["text"] != upload.texts[doc_id]:
                    result.lost.append(f"{doc_id}: text differs from what was sent")
        # Every uploaded document in the catalog, acknowledged or not, is whole and searchable.
        con = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
        try:
            stored = [r[0] for r in con.execute("SELECT doc_id FROM documents WHERE retired IS NULL AND doc_id LIKE 'US9%'")]
        finally:
            con.close()
        for doc_id in stored:
            doc = client.get(f"{base}/documents/{doc_id}", params={"include_text": True}).json()
            text, chunks = doc.get("text") or "", doc.get("chunks") or []
            covered = "".join(text[c["start"] : c["end"]] for c in sorted(chunks, key=lambda c: c["start"]))
            if not chunks or covered.strip() != text.strip():
                result.partial.append(doc_id)
                continue
            unique = next((w for w in text.split() if w.startswith("zq")), None)
            if unique:
                hits = client.post(f"{base}/search", json={"query": unique, "k": 1, "mode": "lexical"}).json().get("hits", [])
                if not hits or hits[0]["doc_id"] != doc_id:
                    result.unsearchable.append(doc_id)
        health = client.get(f"{base}/health").json()
        path = index / "vectors" / "manifest.json"
        if not path.exists():  # nothing published yet: then nothing may be stored either
            if health["counts"]["chunks"]:
                result.count_mismatches.append(f"no generation, {health['counts']['chunks']} chunks")
            return
        manifest = json.loads(path.read_text())
        if manifest["count"] != health["counts"]["chunks"] or not health["ready"]:
            result.count_mismatches.append(
                f"generation {manifest['generation']}: {manifest['count']} vectors, {health['counts']['chunks']} chunks"
            )


def run(
    rounds: int, seed: int = 0, index: Path | None = None, max_delay_s: float = 1.5, min_acknowledged: int = 0
) -> Result:
    """``rounds`` kill-and-restart rounds over one index folder; the findings. With
    ``min_acknowledged``, more rounds (up to three times ``rounds``) until that many uploads
    were acknowledged: on a slow or busy machine fewer uploads finish before a kill, and a
    loop that acknowledged almost nothing proves little."""
    rng = random.Random(seed)
    result = Result()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = index or Path(tmp) / "index"
        serial = [0]
        acked: list[Upload] = []
        n = 0
        while n < rounds or (len(acked) < min_acknowledged and n < 3 * rounds):
            n += 1
            try:
                proc, base = _start(folder)
            except RuntimeError as exc:
                result.restart_failures.append(f"round {n}: {exc}")
                break
            _check(folder, base, acked, result)
            sent = [0]
            stop = threading.Event()
            thread = threading.Thread(target=_uploader, args=(base, rng, serial, acked, sent, stop), daemon=True)
            thread.start()
            time.sleep(rng.uniform(0.05, max_delay_s))
            proc.send_signal(signal.SIGKILL)  # wherever it is: receiving, parsing, committing, publishing
            proc.wait()
            stop.set()
            thread.join(60)
            result.uploads_sent += sent[0]
            result.rounds += 1
        proc, base = _start(folder)
        try:
            _check(folder, base, acked, result)
        finally:
            proc.terminate()
            proc.wait(30)
    result.acknowledged = len(acked)
    result.seconds = time.perf_counter() - started
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports" / "crash_loop.md")
    args = ap.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    result = run(args.rounds, args.seed)
    lines = [
        "# Crash loop: uploads over HTTP, the server killed with SIGKILL at random moments",
        "",
        f"`python benchmarks/crash_loop.py --rounds {args.rounds} --seed {args.seed}` on {cpu} ({os.cpu_count()} cores).",
        "",
        "| rounds | uploads sent | acknowledged (2xx) | lost | partial | unsearchable | vector/chunk mismatches | restart failures | wall |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {result.rounds} | {result.uploads_sent} | {result.acknowledged} | {len(result.lost)} | {len(result.partial)} | "
        f"{len(result.unsearchable)} | {len(result.count_mismatches)} | {len(result.restart_failures)} | {result.seconds:.0f} s |",
        "",
    ]
    for name in ("lost", "partial", "unsearchable", "count_mismatches", "restart_failures"):
        for item in getattr(result, name)[:20]:
            lines.append(f"- {name}: {item}")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
