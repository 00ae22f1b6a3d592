"""How many actors of each kind a Ray ingest starts, and what each reserves.

Decided on the driver from the cluster's resources before anything starts: actors that
do not fit would wait for ever (Ray never says so), so a pool too large is refused here
with the numbers, not discovered as a hang.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from navsearch.errors import InvalidInput
from navsearch.settings import EmbeddingSettings, Settings

log = logging.getLogger("navsearch.ingest")


@dataclass(frozen=True)
class Pools:
    parse_actors: int
    workers: int  # embed actors
    actor_cpus: float
    gpus: float  # per embed actor
    embedding: EmbeddingSettings  # what each embed actor builds its encoder from


def plan_pools(resources: Mapping[str, float], settings: Settings, workers: int | None = None) -> Pools:
    """The pools ``settings.cluster`` (and ``workers``, the CLI's ``--ray-workers``) give a
    cluster with ``resources`` (``ray.cluster_resources()``).

    >>> plan_pools({"CPU": 2.0}, Settings(cluster={"actor_cpus": 0.5})).workers
    3
    """
    cfg = settings.cluster
    cpus = float(resources.get("CPU", 0.0))
    gpus_total = float(resources.get("GPU", 0.0))
    embedding = settings.embedding
    gpus = cfg.gpus_per_actor
    if gpus is None:  # the ONNX backends have no GPU provider here: a GPU would sit idle
        gpus = 1.0 if gpus_total >= 1 and embedding.backend == "torch" else 0.0
    if gpus and embedding.device == "cpu":
        embedding = embedding.model_copy(update={"device": "cuda"})
    if gpus_total and not gpus:
        log.warning(
            "the cluster's %g GPU(s) stay unused: embedding.backend %r encodes on the CPU "
            "(NAVSEARCH_EMBEDDING__BACKEND=torch encodes on them, into an index of its own model id)",
            gpus_total, embedding.backend,
        )
    parse_cpus = cfg.parse_actors * cfg.actor_cpus
    count = workers or cfg.workers
    if count is None:
        count = int(gpus_total // gpus) if gpus else int((cpus - parse_cpus + 1e-9) // cfg.actor_cpus)
    need = parse_cpus + count * cfg.actor_cpus
    if count < 1 or need > cpus + 1e-9:
        raise InvalidInput(
            f"the Ray cluster has {cpus:g} CPU(s); {cfg.parse_actors} parse actor(s) and {max(count, 1)} embed "
            f"actor(s) at cluster.actor_cpus = {cfg.actor_cpus:g} CPU each need {parse_cpus + max(count, 1) * cfg.actor_cpus:g}: "
            "lower --ray-workers or NAVSEARCH_CLUSTER__ACTOR_CPUS, or add nodes"
        )
    if gpus and count * gpus > gpus_total + 1e-9:
        raise InvalidInput(
            f"the Ray cluster has {gpus_total:g} GPU(s); {count} embed actor(s) at {gpus:g} GPU each need "
            f"{count * gpus:g}: lower --ray-workers or NAVSEARCH_CLUSTER__GPUS_PER_ACTOR"
        )
    if embedding.threads is None and not gpus:  # the runtime's default is every core of the node
        embedding = embedding.model_copy(update={"threads": max(1, int(cfg.actor_cpus))})
    return Pools(cfg.parse_actors, count, cfg.actor_cpus, gpus, embedding)
