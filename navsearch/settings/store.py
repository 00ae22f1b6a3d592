"""Settings of the storage backend: the embedded one (SQLite + FAISS + BM25 files in the
index folder) or PostgreSQL with pgvector shared by several servers (store/postgres/)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

Backend = Literal["embedded", "postgres"]
IterativeScan = Literal["off", "relaxed_order", "strict_order"]


class StoreSettings(BaseModel):
    backend: Backend = Field(
        "embedded",
        description=(
            "Where documents, chunks and indexes live: 'embedded' (the index folder, one process) or "
            "'postgres' (a PostgreSQL 16+ database with pgvector, which several `navsearch serve` share)."
        ),
    )
    dsn: SecretStr | None = Field(
        None,
        description="PostgreSQL connection string of the primary (writes, and reads without a replica); "
        "required when backend is 'postgres'.",
    )
    replica_dsn: SecretStr | None = Field(
        None, description="A streaming read replica that serves searches; the primary when unset."
    )
    pool_min: int = Field(1, ge=0, description="Connections each pool keeps open.")
    pool_max: int = Field(8, ge=1, description="Connections each pool opens at most (per process).")
    pool_timeout_s: float = Field(30.0, gt=0, description="Seconds to wait for a free pooled connection.")
    hnsw_m: int = Field(16, ge=2, le=100, description="HNSW graph degree (pgvector's m).")
    hnsw_ef_construction: int = Field(64, ge=4, le=1000, description="HNSW build-time candidate list.")
    hnsw_ef_search: int = Field(
        100,
        ge=1,
        le=1000,
        description=(
            "HNSW query-time candidate list (hnsw.ef_search); at least the candidates a search fetches "
            "keeps HNSW's top-n equal to exact search on small corpora (tests/test_store_backends.py)."
        ),
    )
    index_build_memory_mb: int = Field(
        1024,
        ge=64,
        description=(
            "maintenance_work_mem of a bulk load's HNSW build (pgvector builds much faster while the graph fits): "
            "the index of 100k chunks of 384 dimensions is 205 MB, over PostgreSQL's default 64 MB, and its build "
            "took 12 min on 2 busy cores with the default (benchmarks/reports/store_latency_100k_random.md)."
        ),
    )
    iterative_scan: IterativeScan = Field(
        "relaxed_order",
        description=(
            "pgvector's hnsw.iterative_scan for filtered searches: keep scanning the graph until enough "
            "rows pass the filter ('off': filters may return fewer hits than asked)."
        ),
    )
    max_scan_tuples: int = Field(
        20_000, ge=1, description="hnsw.max_scan_tuples: how far an iterative scan goes before it stops."
    )

    @model_validator(mode="after")
    def _dsn_for_postgres(self) -> "StoreSettings":
        if self.backend == "postgres" and not self.dsn:
            raise ValueError(
                "store.backend is 'postgres' but no store.dsn is set: set NAVSEARCH_STORE__DSN to the "
                "primary's connection string (e.g. postgresql://user@host:5432/navsearch)"
            )
        if self.pool_min > self.pool_max:
            raise ValueError(f"store.pool_min ({self.pool_min}) must not exceed store.pool_max ({self.pool_max})")
        return self
