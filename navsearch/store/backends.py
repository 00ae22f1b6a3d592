"""The configured store backend (settings.store.backend): the embedded SQLite catalog
with FAISS + BM25 generation files in the index folder, or PostgreSQL + pgvector
(store/postgres/, imported only when configured: its drivers are an optional extra)."""

from __future__ import annotations

from pathlib import Path

from navsearch.settings import Settings
from navsearch.store.catalog import Catalog
from navsearch.store.dense import AnnBuild
from navsearch.store.generation import FileGenerationStore
from navsearch.store.protocol import IndexStore, Store


def open_store(settings: Settings) -> Store:
    if settings.store.backend == "postgres":
        from navsearch.store.postgres import PgStore

        return PgStore.open(settings.store)
    return Catalog(settings.index_dir / "catalog.sqlite")


def index_store(store: Store, settings: Settings, vector_dir: Path) -> IndexStore:
    """Where ``store``'s generations are published and loaded from."""
    if isinstance(store, Catalog):
        r = settings.retrieval
        return FileGenerationStore(vector_dir, store, AnnBuild(r.ann_threshold, r.hnsw_m, r.hnsw_ef_construction))
    from navsearch.store.postgres import PgIndexStore, PgStore

    assert isinstance(store, PgStore)
    return PgIndexStore(store)
