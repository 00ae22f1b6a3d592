"""Bulk ingestion on a real 2-node Ray cluster (ray.cluster_utils.Cluster: a head and one
worker node, one CPU each, every actor at 0.5 CPU) with the real encoder, against a plain
ingest of the same files: the same documents, chunk ids and vectors, the same search
results; a run killed after two commits resumes with the other files only, and a rerun
sends nothing to the cluster. The cluster must start: the test fails when it cannot."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from navsearch.cli import app, with_ray_default
from navsearch.distributed.pools import plan_pools
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# A slice of the bundled corpus: the five USPTO full texts and the SIPO circulars.
SLICE = [*sorted((CORPUS / "patents" / "uspto").glob("*.xml")), CORPUS / "policy" / "sipo-circulars-2013.txt"]
QUERIES = [
    "battery electrode with a coated separator",
    "wireless communication between a mobile device and a base station",
    "how many pilot enterprises will be cultivated",
    "patent agency supervision and administration",
    "method of manufacturing a semiconductor device",
]
# Each node's shared-memory object store: Ray's default (30% of the memory) is more than a
# CI container's /dev/shm, and a file's rows are a few MB here.
OBJECT_STORE = 256 << 20
CLUSTER = {"actor_cpus": 0.5, "embed_batch_files": 1}  # 1 parse + 2 embed actors fit 2 one-CPU nodes


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A head node and one worker node, one CPU each; its address. Shut down after."""
    from ray.cluster_utils import Cluster

    started = time.perf_counter()
    node = {"num_cpus": 1, "object_store_memory": OBJECT_STORE}
    c = Cluster(initialize_head=True, head_node_args=node)
    try:
        c.add_node(**node)
        c.wait_for_nodes()
        print(f"\nRay cluster of 2 nodes started in {time.perf_counter() - started:.1f} s")
        yield c.address
    finally:
        c.shutdown()


@pytest.fixture()
def corpus_slice(tmp_path: Path) -> Path:
    root = tmp_path / "slice"
    root.mkdir()
    for path in SLICE:
        shutil.copy(path, root)
    return root


def _chunk_ids(service: NavSearch) -> dict[str, tuple[str, ...]]:
    """The chunk ids of every stored document, by document id."""
    catalog = service.catalog
    doc_ids = [d for ids in catalog.files().values() for d in ids]
    return {d: tuple(c.chunk_id for c in catalog.document(d).chunks) for d in doc_ids}


def _top10(service: NavSearch, query: str) -> list[str]:
    """The chunk ids of the 10 best passages."""
    return [p.chunk_id for h in service.search(query, k=10, group="chunk").hits for p in h.passages]


def test_ray_ingest_matches_the_plain_one_and_resumes(
    cluster: str, corpus_slice: Path, tmp_path: Path, real_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file the parser refuses: recorded as failed on both paths, with the same reason.
    broken = tmp_path / "bad" / "broken.xml"
    broken.parent.mkdir()
    broken.write_text('<?xml version="1.0"?>\n<us-patent-grant lang="EN"><us-bibliographic-data-grant>')
    plain = NavSearch(Settings(index_dir=tmp_path / "plain"), embedder=real_embedder)
    t0 = time.perf_counter()
    plain_report = plain.ingest([corpus_slice, broken], progress=False)
    print(f"plain ingest: {time.perf_counter() - t0:.1f} s, {plain_report.embedded} chunks")
    assert [f.path for f in plain_report.failed] == ["bad/broken.xml"]

    # A run killed at its third commit (the driver dies there): two files are stored.
    ray_settings = Settings(index_dir=tmp_path / "ray", cluster=CLUSTER)
    crashed = NavSearch(ray_settings, embedder=real_embedder)
    commit = Catalog.commit_file
    calls: list[str] = []

    def dies_at_the_third(self: Catalog, record, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(record.path)
        if len(calls) == 3:
            raise RuntimeError("injected crash")
        return commit(self, record, *args, **kwargs)

    monkeypatch.setattr(Catalog, "commit_file", dies_at_the_third)
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="injected crash"):
        crashed.ingest_on_ray([corpus_slice, broken], address=cluster, workers=2, progress=False)
    print(f"ray run killed at its third commit: {time.perf_counter() - t0:.1f} s")
    monkeypatch.setattr(Catalog, "commit_file", commit)
    stored = set(crashed.catalog.files())
    assert stored == set(calls[:2])

    # The rerun, from the command line: the two stored files are skipped, the rest sent.
    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(tmp_path / "ray"))
    monkeypatch.setenv("NAVSEARCH_CLUSTER__ACTOR_CPUS", "0.5")
    monkeypatch.setenv("NAVSEARCH_CLUSTER__EMBED_BATCH_FILES", "1")
    t0 = time.perf_counter()
    args = ["ingest", str(corpus_slice), str(broken), "-q", "--ray", cluster, "--ray-workers", "2"]
    result = CliRunner().invoke(app, args)
    print(f"ray rerun (CLI): {time.perf_counter() - t0:.1f} s")
    assert result.exit_code == 1, result.output  # the broken file failed again
    assert "failed    bad/broken.xml" in result.output, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(("unchanged", "indexed"))]
    assert sorted(line.split()[1].rstrip(":") for line in lines if line.startswith("unchanged")) == sorted(stored)
    assert len([line for line in lines if line.startswith("indexed")]) == len(SLICE) - 2
    assert "parsed and embedded on 2 node(s)" in result.output, result.output  # both nodes did work

    # A third run finds everything stored: nothing is sent to the cluster (no Ray start).
    ray = NavSearch(ray_settings, embedder=real_embedder)
    again = ray.ingest_on_ray([corpus_slice], address=cluster, workers=2, progress=False)
    assert [f.status for f in again.files] == ["unchanged"] * len(SLICE)
    assert again.embedded == 0 and not again.nodes
    # and so does a plain ingest: the vectors and records are the plain path's
    assert all(f.status == "unchanged" for f in ray.ingest([corpus_slice], progress=False).files)

    failures = [[(f.path, f.step, f.error) for f in service.catalog.failures()] for service in (plain, ray)]
    assert failures[0] == failures[1] and len(failures[0]) == 1

    # The same documents, chunk ids and vectors as the plain ingest.
    plain_chunks, ray_chunks = _chunk_ids(plain), _chunk_ids(ray)
    assert plain_chunks == ray_chunks
    ids = [c for chunks in plain_chunks.values() for c in chunks]
    a, b = plain.catalog.stored_vectors(ids), ray.catalog.stored_vectors(ids)
    va = np.stack([np.frombuffer(a[i], dtype=np.float32) for i in ids])
    vb = np.stack([np.frombuffer(b[i], dtype=np.float32) for i in ids])
    identical = sum(a[i] == b[i] for i in ids)
    print(f"{len(ids)} chunks; vectors bit-identical: {identical}; max |diff| {np.abs(va - vb).max():.2e}")
    assert np.allclose(va, vb, atol=1e-5)

    # The same search results.
    overlaps = []
    for query in QUERIES:
        ours, theirs = _top10(plain, query), _top10(ray, query)
        overlaps.append(len(set(ours) & set(theirs)))
        assert len(ours) == 10 and ours == theirs, query
        assert [h.doc_id for h in plain.search(query).hits] == [h.doc_id for h in ray.search(query).hits]
    print(f"top-10 passages shared per query: {overlaps}")


def test_ray_ingest_into_postgres(
    cluster: str, corpus_slice: Path, tmp_path: Path, real_embedder, pg_dsn: str
) -> None:
    """The same Ray ingest into PostgreSQL + pgvector: the same chunks and vectors as a plain
    ingest into the embedded store, and searches that agree (HNSW is approximate)."""
    plain = NavSearch(Settings(index_dir=tmp_path / "plain"), embedder=real_embedder)
    assert not plain.ingest([corpus_slice], progress=False).failed
    pg = NavSearch(
        Settings(index_dir=tmp_path / "pg", cluster=CLUSTER, store={"backend": "postgres", "dsn": pg_dsn}),
        embedder=real_embedder,
    )
    t0 = time.perf_counter()
    report = pg.ingest_on_ray([corpus_slice], address=cluster, workers=2, progress=False)
    print(f"ray ingest into PostgreSQL: {time.perf_counter() - t0:.1f} s, {report.embedded} chunks")
    assert [f.status for f in report.files] == ["indexed"] * len(SLICE)
    assert _chunk_ids(plain) == _chunk_ids(pg)
    ids = [c for chunks in _chunk_ids(plain).values() for c in chunks]
    a, b = plain.catalog.stored_vectors(ids), pg.catalog.stored_vectors(ids)
    identical = sum(a[i] == b[i] for i in ids)
    print(f"{len(ids)} chunks; vectors bit-identical: {identical}")
    assert identical == len(ids)
    overlaps = []
    for query in QUERIES:
        ours, theirs = _top10(plain, query), _top10(pg, query)
        overlaps.append(len(set(ours) & set(theirs)))
    print(f"top-10 passages shared per query (embedded vs PostgreSQL): {overlaps}")
    assert min(overlaps) >= 9


def test_pools_fit_the_cluster_or_are_refused() -> None:
    settings = Settings(cluster={"actor_cpus": 0.5})
    pools = plan_pools({"CPU": 2.0}, settings)  # 1 parse actor + as many embed actors as fit
    assert (pools.parse_actors, pools.workers, pools.gpus, pools.embedding.threads) == (1, 3, 0.0, 1)
    with pytest.raises(InvalidInput, match="need 2.5"):
        plan_pools({"CPU": 2.0}, settings, workers=4)
    # GPUs go to a torch encoder, one per actor, on cuda; the ONNX default leaves them idle
    torch = Settings(embedding={"backend": "torch"})
    gpu = plan_pools({"CPU": 8.0, "GPU": 2.0}, torch)
    assert (gpu.workers, gpu.gpus, gpu.embedding.device) == (2, 1.0, "cuda")
    assert plan_pools({"CPU": 8.0, "GPU": 2.0}, Settings()).gpus == 0.0
    with pytest.raises(InvalidInput, match="GPU"):
        plan_pools({"CPU": 8.0, "GPU": 2.0}, torch, workers=3)


def test_a_bare_ray_option_means_a_local_ray() -> None:
    assert with_ray_default(["ingest", "corpus", "--ray"]) == ["ingest", "corpus", "--ray", "local"]
    assert with_ray_default(["ingest", "corpus", "--ray", "-q"]) == ["ingest", "corpus", "--ray", "local", "-q"]
    assert with_ray_default(["ingest", "corpus", "--ray", "h:6379"]) == ["ingest", "corpus", "--ray", "h:6379"]


def test_the_plain_path_never_imports_ray() -> None:
    code = "import sys, navsearch.cli, navsearch.service; assert 'ray' not in sys.modules, 'ray imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
