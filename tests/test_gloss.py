"""An English-only encoder reading Chinese through the dictionary's gloss
(navsearch/embedding/gloss.py, Lexicon.gloss, the patent-law glossary), with CC-CEDICT,
the real encoder and the real Chinese Patent Law beside a 35 U.S.C. slice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from navsearch.chunking.chunker import Chunker
from navsearch.embedding.fake import HashingEmbedder
from navsearch.embedding.gloss import GlossingEmbedder, gloss_version, reading_chinese
from navsearch.embedding.registry import make_embedder
from navsearch.indexer import chunker_key
from navsearch.ingest.builder import TextBuilder
from navsearch.lexicon import lexicon
from navsearch.service import NavSearch
from navsearch.settings import EmbeddingSettings, Settings
from navsearch.types import Document
from slices import indexed

TERM = "第四十二条 发明专利权的期限为二十年，实用新型专利权的期限为十年，外观设计专利权的期限为十五年，均自申请日起计算。"


def test_a_chinese_article_glosses_into_english_words() -> None:
    gloss = lexicon().gloss(TERM)
    assert gloss.startswith("Article 42 ")
    # CC-CEDICT's words, and the glossary's terms CC-CEDICT lacks or renders otherwise:
    # 实用新型 is not an entry there, 外观设计 is "look" first, 申请日 was "apply for" + "sun".
    for words in ("patent right", "time limit", "twenty year", "utility model", "design", "filing date"):
        assert words in gloss, (words, gloss)
    assert "sun" not in gloss.split() and "look" not in gloss.split()
    # Latin words and digits pass as they are; a function word glosses to nothing.
    assert lexicon().gloss("PCT国际申请的") == "PCT international application"


def test_the_glossary_comes_first_both_ways() -> None:
    lx = lexicon()
    assert lx.senses["说明书"][0] == "description"  # CC-CEDICT's first sense is "manual"
    chinese = lx.to_chinese("novelty of an invention", known=lambda t: True)
    assert chinese.words[0].translations[0] == "新颖性"  # not an entry of CC-CEDICT
    assert "novelti" in lx.to_english("不丧失新颖性").terms


def test_the_encoder_reads_the_gloss_of_chinese_texts_only() -> None:
    inner = HashingEmbedder(dimension=64)
    glossing = GlossingEmbedder(inner)
    english = "A wind turbine tower held upright by ballast"
    out = glossing.embed([TERM, english])
    assert np.allclose(out[0], inner.embed([lexicon().gloss(TERM)])[0])
    assert np.allclose(out[1], inner.embed([english])[0])
    assert np.allclose(glossing.embed_queries([TERM])[0], inner.embed_queries([lexicon().gloss(TERM)])[0])
    assert glossing.count_tokens([TERM]) == inner.count_tokens([TERM])  # the chunker cuts the text itself
    assert glossing.model_id == inner.model_id


def test_which_encoders_gloss() -> None:
    assert isinstance(make_embedder(EmbeddingSettings(backend="hashing", dimension=32)), GlossingEmbedder)
    assert not isinstance(make_embedder(EmbeddingSettings(backend="hashing", dimension=32, gloss_chinese=False)), GlossingEmbedder)

    class Multilingual(HashingEmbedder):
        multilingual = True

    reads = Multilingual(dimension=32)
    assert reading_chinese(reads, True) is reads  # it reads Chinese itself
    once = reading_chinese(HashingEmbedder(dimension=32), True)
    assert reading_chinese(once, True) is once


def test_a_gloss_is_part_of_a_chinese_chunk_id_only() -> None:
    b = TextBuilder()
    b.add("article", "第四十二条", TERM, heading="第五章 专利权的期限、终止和无效")
    b.add("article", "§ 154", "Each patent shall contain a short title of the invention and a grant to the patentee.")
    doc = Document(doc_id="d1", doc_type="statute", title="T", text=b.text, sections=b.sections, source="x")

    def count(texts):
        return [len(t) + 2 for t in texts]

    plain = Chunker(count, 256, 8).chunk(doc)
    glossed = Chunker(count, 256, 8, gloss_version()).chunk(doc)
    assert plain[0].chunk_id != glossed[0].chunk_id  # re-embedded when the gloss changes
    assert plain[1].chunk_id == glossed[1].chunk_id  # English: the same vector as before
    assert [c.text for c in plain] == [c.text for c in glossed]
    assert gloss_version() in chunker_key("m", Chunker(count, 256, 8, gloss_version()))
    assert chunker_key("m", Chunker(count, 256, 8)) != chunker_key("m", Chunker(count, 256, 8, gloss_version()))


@pytest.fixture(scope="module")
def service(tmp_path_factory, real_embedder) -> NavSearch:
    return indexed(tmp_path_factory.mktemp("gloss"), real_embedder, ("statutes/专利法(2020-10-17).md", "statutes/usc35-slice.xml"))


EXCLUDED = "Which things cannot be patented in China, like rules of mental activities or methods for diagnosing diseases?"
CONDITIONS = "What conditions of novelty, inventiveness and practical applicability must an invention meet to get a patent in China?"


def _dense(service: NavSearch, query: str) -> list[tuple[str, str]]:
    searcher = service.searcher()
    dense = searcher.rankings(query, service.filters(), 10, "dense")["dense"]
    rows = searcher.catalog.chunks_by_rowid(dense)
    return [(rows[r].chunk.doc_id, rows[r].chunk.path) for r in dense]


def test_an_english_question_finds_the_chinese_article_by_meaning(service: NavSearch) -> None:
    # The main encoder itself ranks the answering article among its first 10 (of some 70 passages)
    # (without the gloss its vector was noise, and English queries' dense leg left it out).
    assert ("cn-patent-law-2020", "第二十五条") in _dense(service, EXCLUDED), _dense(service, EXCLUDED)
    for query, article in ((EXCLUDED, "第二十五条"), (CONDITIONS, "第二十二条")):
        result = service.search(query, k=5)
        passages = [(h.doc_id, p.path) for h in result.hits for p in h.passages]
        assert ("cn-patent-law-2020", article) in passages[:5], (query, passages)


def test_without_the_gloss_the_encoder_leaves_chinese_passages_out(tmp_path: Path, service: NavSearch) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding=EmbeddingSettings(gloss_chinese=False))
    plain = NavSearch(settings)
    report = plain.ingest([Path(service.settings.index_dir).parent / "corpus"], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    assert not isinstance(plain.embedder, GlossingEmbedder)
    assert all(doc != "cn-patent-law-2020" for doc, _ in _dense(plain, EXCLUDED))


def test_the_own_language_answers_only_when_its_passage_is_nearer(service: NavSearch) -> None:
    # With the gloss the main encoder judges both scripts' passages: an English question is
    # answered in English (the translated ranking down-weighted) only when an English
    # passage is relevant and no glossed Chinese one is nearer to it.
    from navsearch.retrieval.relevance import judge

    searcher = service.searcher()

    def answered(query: str) -> bool:
        legs = searcher.scored_rankings(query, service.filters(), 50)
        rel = judge(query, searcher.lexical, legs, searcher.settings, semantic=True)
        return searcher._answered(legs, rel, set())

    assert not answered(EXCLUDED)  # the Chinese article (its gloss) is nearest
    assert answered("Whoever invents or discovers any new and useful process, machine or manufacture may obtain a patent")


def test_a_chinese_query_weighs_the_dense_ranking_only_when_the_encoder_reads_it() -> None:
    from navsearch.retrieval.legs import leg_weights, reads_cjk
    from navsearch.settings import RetrievalSettings

    settings = RetrievalSettings(cjk_dense_weight=0.35)
    assert reads_cjk(GlossingEmbedder(HashingEmbedder(dimension=32)))
    assert not reads_cjk(HashingEmbedder(dimension=32))
    assert leg_weights("专利权的期限是多久？", settings, reads_cjk=True)["dense"] == 0.35
    assert leg_weights("专利权的期限是多久？", settings, reads_cjk=False)["dense"] == 0.0  # noise: not weighed
    assert leg_weights("How long does a patent last?", settings)["dense"] == settings.dense_weight


def test_a_glossed_passage_is_judged_on_the_gloss_scale(service: NavSearch) -> None:
    # A gloss reads loosely, so its cosines run lower than an English passage's: a glossed
    # passage is relevant from retrieval.gloss_floor (calibrated), not the English floor.
    settings = service.settings.retrieval
    assert settings.gloss_floor < settings.relevance_floor
    result = service.search(EXCLUDED, k=5)
    law = next(h for h in result.hits if h.doc_id == "cn-patent-law-2020")
    assert not law.weak and result.relevant
    # A question nothing answers leaves the Chinese articles weak.
    off = service.search("What is the best sourdough bread recipe for a beginner?", k=5)
    assert all(h.weak for h in off.hits if h.doc_id == "cn-patent-law-2020")


def test_a_chinese_query_is_encoded_only_when_its_dense_ranking_counts(service: NavSearch, monkeypatch) -> None:
    # A CJK query's relevance is its terms' coverage, and its dense ranking weighs
    # cjk_dense_weight (0 by default): then nothing reads its vector, and it is not encoded.
    searcher = service.searcher()
    encoded: list[str] = []
    real = searcher.embedder.embed_queries
    monkeypatch.setattr(searcher.embedder, "embed_queries", lambda texts: encoded.extend(texts) or real(texts))
    result = service.search("授予专利权的发明和实用新型应当具备哪些条件？", k=5)
    assert encoded == [] and result.relevant
    assert ("cn-patent-law-2020", "第二十二条") in [(h.doc_id, p.path) for h in result.hits for p in h.passages]
    assert all(p.dense_rank is None for h in result.hits for p in h.passages)  # no dense ranking was made
    service.search("Which inventions are excluded from patent protection in China?", k=5)
    assert len(encoded) == 1  # an English query's cosines judge its relevance: always encoded
    monkeypatch.setattr(searcher, "settings", searcher.settings.model_copy(update={"cjk_dense_weight": 0.35}))
    service.search("对违反法律、社会公德或者妨害公共利益的发明创造，不授予专利权吗？", k=5)
    assert len(encoded) == 2
