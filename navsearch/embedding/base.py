"""The embedder contract: a batch method to embed documents, one to embed queries, one
to count tokens.

Symmetric encoders (all-MiniLM-L6-v2) embed both sides the same way; asymmetric ones
(e5: "query: " / "passage: ") do not, so every search-side text (a query, a claim
element, a question) goes through ``embed_queries`` and every indexed text through ``embed``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    model_id: str  # recorded in the index; an index built with another id is refused
    dimension: int
    max_tokens: int  # the encoder's input limit, special tokens included

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text: the document (passage) side."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The same for texts searched with: the query side (``embed`` for symmetric encoders)."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text takes in the encoder, special tokens included, untruncated."""
        ...
