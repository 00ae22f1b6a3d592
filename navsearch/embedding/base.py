"""The embedder contract: one batch method to embed, one to count tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    model_id: str  # recorded in the index; an index built with another id is refused
    dimension: int
    max_tokens: int  # the encoder's input limit, special tokens included

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text takes in the encoder, special tokens included, untruncated."""
        ...
