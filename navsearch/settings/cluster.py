"""Settings of bulk ingestion on a Ray cluster (`navsearch ingest --ray`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClusterSettings(BaseModel):
    """How a Ray ingest divides the cluster: an actor pool that parses and chunks files,
    and one that embeds them (one encoder per actor). Every actor reserves ``actor_cpus``;
    the pools together must fit the cluster's CPUs, or their actors would wait for ever."""

    actor_cpus: float = Field(
        1.0,
        gt=0,
        le=256,
        description=(
            "CPUs each parse or embed actor reserves. An embed actor's encoder gets as many threads "
            "(at least one) unless embedding.threads is set. 0.5 fits two actors on a 1-CPU node."
        ),
    )
    workers: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description=(
            "Embed actors (`--ray-workers`); None: one per GPU when embedding runs on GPUs, else as "
            "many as the cluster's CPUs hold beside the parse actors."
        ),
    )
    parse_actors: int = Field(1, ge=1, le=10_000, description="Actors that parse and chunk files.")
    gpus_per_actor: float | None = Field(
        None,
        ge=0,
        le=8,
        description=(
            "GPUs each embed actor reserves; None: 1 when the cluster has GPUs and embedding.backend "
            "is 'torch' (the encoder then runs on 'cuda'), else 0 (the ONNX backends run on the CPU)."
        ),
    )
    parse_batch_files: int = Field(
        1, ge=1, le=10_000, description="Files one parse call reads (a Ray Data block each)."
    )
    embed_batch_files: int = Field(
        4, ge=1, le=10_000, description="Parsed files one embed call encodes; a file's chunks always go together."
    )
