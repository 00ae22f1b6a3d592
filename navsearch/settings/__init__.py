"""The one settings root. Environment variables use the ``NAVSEARCH_`` prefix, nested
sections use ``__`` (e.g. ``NAVSEARCH_RETRIEVAL__RRF_K=30``). Nothing else reads the
environment: every component receives the settings it needs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The sections live in modules by concern; this root re-exports them so every caller
# keeps importing from ``navsearch.settings``.
from navsearch.settings.api import MIN_KEY_CHARS, SCOPES, ApiKey, ApiSettings, Scope
from navsearch.settings.cluster import ClusterSettings
from navsearch.settings.encoder import (
    DEFAULT_MODEL, PROJECT_ROOT, ChunkingSettings, CrossLanguageBuild, EmbeddingSettings, TuneSettings,
)
from navsearch.settings.ingest import IngestSettings
from navsearch.settings.search import AnswerSettings, PriorArtSettings, RetrievalSettings
from navsearch.settings.store import StoreSettings

__all__ = [
    "DEFAULT_MODEL", "MIN_KEY_CHARS", "PROJECT_ROOT", "SCOPES", "AnswerSettings", "ApiKey", "ApiSettings",
    "ChunkingSettings", "ClusterSettings", "CrossLanguageBuild", "EmbeddingSettings", "IngestSettings",
    "PriorArtSettings", "RetrievalSettings",
    "Scope", "Settings", "StoreSettings", "TuneSettings",
]


class Settings(BaseSettings):
    """Everything configurable, validated at start-up.

    >>> Settings(index_dir="/tmp/idx").index_dir
    PosixPath('/tmp/idx')
    """

    model_config = SettingsConfigDict(
        env_prefix="NAVSEARCH_", env_nested_delimiter="__", extra="forbid"
    )

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Bundled documents to index.")
    index_dir: Path = Field(
        PROJECT_ROOT / "indexes" / "default",
        description="Folder of the SQLite store and the FAISS generations.",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    prior_art: PriorArtSettings = Field(default_factory=PriorArtSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    tune: TuneSettings = Field(default_factory=TuneSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
