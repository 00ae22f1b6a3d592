"""The driver of a cluster ingest: plan here, parse + chunk + embed on Ray, commit here.

Planning is the Indexer's (sources named under the recorded roots; a file whose hash and
chunker key match its stored record is skipped, which is what makes a rerun resume: files
committed before a crash are not sent again). Only the files left go to Ray Data, one row
each; every file that comes back is committed by ``Indexer.store_parsed`` in one
transaction, the same change detection and commit as a plain ingest, and one generation is
published at the end. Without an address Ray starts in this process (``ray.init()``).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from navsearch.distributed.pools import Pools, plan_pools
from navsearch.distributed.stages import Embed, ParseChunk, Parsed, load
from navsearch.errors import InvalidInput, NavsearchError
from navsearch.indexer import FileReport, Indexer, IngestReport, PlannedFile
from navsearch.ingest.worker import ParseLimits, ParseWorker, parse_error
from navsearch.progress import Progress
from navsearch.settings import Settings

log = logging.getLogger("navsearch.ingest")


def ingest_on_ray(
    indexer: Indexer,
    settings: Settings,
    paths: Sequence[Path],
    *,
    address: str | None = None,
    workers: int | None = None,
    prune: bool = False,
    progress: bool = True,
    allow_shrink: bool = False,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestReport:
    """Ingest ``paths`` with the parse, chunk and embed steps on a Ray cluster (``address``,
    e.g. "head:6379"; None: a local Ray in this process) and ``workers`` embed actors."""
    started = time.perf_counter()
    report = IngestReport()
    plan = indexer.plan(paths, prune=prune)

    def done(file: FileReport) -> None:
        report.files.append(file)
        if on_file is not None:
            on_file(file)

    todo: list[PlannedFile] = []
    limits = ParseLimits(indexer.settings.parse_timeout_s, indexer.settings.parse_memory_mb, indexer.settings.max_file_mb)
    sizes = ParseWorker(limits)  # its size check only: nothing is parsed on the driver
    for path, source in plan.files:
        try:
            planned = indexer.plan_file(path, source, sizes)
        except NavsearchError as exc:
            done(indexer.failed(source, exc))
            continue
        if isinstance(planned, FileReport):
            done(planned)
        else:
            todo.append(planned)
    log.info("ray ingest: %d file(s) to ingest, %d unchanged or refused", len(todo), len(report.files))
    if todo:
        _run(indexer, settings, todo, report, done, address=address, workers=workers, progress=progress, allow_shrink=allow_shrink)
    indexer.finish(report, plan, started)
    return report


def _run(
    indexer: Indexer,
    settings: Settings,
    todo: list[PlannedFile],
    report: IngestReport,
    done: Callable[[FileReport], None],
    *,
    address: str | None,
    workers: int | None,
    progress: bool,
    allow_shrink: bool,
) -> None:
    try:
        import ray
    except ImportError:
        raise NavsearchError("--ray needs Ray Data on this machine and every node: pip install 'navsearch[cluster]'") from None

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    try:
        pools = plan_pools(ray.cluster_resources(), settings, workers)
        log.info(
            "ray ingest: %d parse actor(s), %d embed actor(s), %g CPU%s each",
            pools.parse_actors, pools.workers, pools.actor_cpus, f" and {pools.gpus:g} GPU" if pools.gpus else "",
        )
        planned = {p.source: p for p in todo}
        bar = Progress(total=len(todo), desc="files on ray", unit="file", enabled=progress)
        try:
            for row in _rows(todo, settings, pools):
                file = _commit(indexer, planned.pop(str(row["source"])), row, report, allow_shrink)
                report.nodes.update({str(row["parse_node"]), str(row["node"])})
                report.embed_seconds += float(row["embed_s"])
                bar.update()
                done(file)
        finally:
            bar.close()
    finally:
        if started_here:
            ray.shutdown()


def _rows(todo: list[PlannedFile], settings: Settings, pools: Pools) -> Iterator[dict[str, Any]]:
    """The embedded files as they come back, in no set order."""
    import ray.data
    from ray.exceptions import RayError

    ray.data.DataContext.get_current().enable_progress_bars = False  # the driver logs per file
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    cfg = settings.cluster
    ds = ray.data.from_items(
        [{"path": str(p.path), "source": p.source} for p in todo],
        override_num_blocks=math.ceil(len(todo) / cfg.parse_batch_files),
    )
    ds = ds.map_batches(
        ParseChunk,
        fn_constructor_args=(settings,),
        batch_size=cfg.parse_batch_files,
        compute=ray.data.ActorPoolStrategy(size=pools.parse_actors),
        num_cpus=pools.actor_cpus,
    )
    ds = ds.map_batches(
        Embed,
        fn_constructor_args=(settings, pools.embedding),
        batch_size=cfg.embed_batch_files,
        compute=ray.data.ActorPoolStrategy(size=pools.workers),
        num_cpus=pools.actor_cpus,
        num_gpus=pools.gpus or None,
    )
    try:
        yield from ds.iter_rows()
    except RayError as exc:  # an actor that could not start (an encoder missing on a node ...)
        raise NavsearchError(
            f"the Ray pipeline failed ({type(exc).__name__}: {exc}); the files committed before it are kept "
            "and a rerun continues with the others"
        ) from exc


def _commit(
    indexer: Indexer, planned: PlannedFile, row: dict[str, Any], report: IngestReport, allow_shrink: bool
) -> FileReport:
    """One file that came back: committed as a plain ingest commits it, or its failure recorded."""
    if row["key"] != indexer.chunker_key:
        raise InvalidInput(
            f"the Ray workers chunk and embed with {row['key']!r}, this index with {indexer.chunker_key!r}: "
            "the nodes run another navsearch, encoder or chunking settings; nothing of this file was written"
        )
    try:
        if row["error"]:
            kind, step, reason = load(row["error"])
            raise parse_error(kind, planned.source, step, reason)
        parsed: Parsed = load(row["parsed"])
        docs, chunked = parsed
        return indexer.store_parsed(
            planned, docs, report, allow_shrink=allow_shrink, chunked=chunked, embedded=load(row["vectors"])
        )
    except NavsearchError as exc:
        return indexer.failed(planned.source, exc)
