"""A short run of benchmarks/load.py: 8 clients for 10 s against a real `navsearch serve`
with the real model on loopback, idle and then during an ingest run started over the API.
Every request must succeed: no error, no timeout, every client served."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.load import (
    build_corpus,
    free_port,
    ingest_base,
    load,
    load_during_ingest,
    server,
    server_env,
    warm_up,
)

pytestmark = pytest.mark.slow
CLIENTS = 8
SECONDS = 10.0


def test_load_with_and_without_an_ingest_run(tmp_path: Path, real_embedder: object) -> None:
    # Two statute slices to ingest: a run that outlasts the load phase, not much longer.
    corpus, extra = build_corpus(tmp_path, ingest_files=[("statutes", "gdpr-slice.json"), ("statutes", "usc35-slice.xml")])
    assert ingest_base(tmp_path / "index", corpus, real_embedder) > 300
    env = server_env(tmp_path / "index", corpus, extra, free_port())
    with server(env, tmp_path / "server.log") as base:
        asyncio.run(warm_up(base))
        idle = asyncio.run(load(base, clients=CLIENTS, seconds=SECONDS, name="idle"))
        busy = asyncio.run(load_during_ingest(base, clients=CLIENTS, seconds=SECONDS, paths=[str(extra)]))
    for phase in (idle, busy):
        assert phase.errors == 0, phase.error_samples
        assert phase.clients_served == CLIENTS and phase.requests >= CLIENTS * 2, phase
        assert set(phase.by_endpoint) == {"/search", "/ask"}
    assert busy.ingest is not None and busy.ingest["state"] == "done" and busy.ingest["errors"] == 0
    assert busy.ingest["documents"] >= 2 and busy.ingest["overlap_seconds"] > 1, busy.ingest
