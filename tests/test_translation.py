"""Dictionary translation for cross-language search (navsearch/lexicon.py,
retrieval/translated.py) with CC-CEDICT, the real encoder and the real corpus slices:
Chinese law, the SIPO circulars (English) and a 35 U.S.C. slice, in the default build
(translation on, the e5 leg off)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from navsearch.lexicon import lexicon
from navsearch.retrieval import translated
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.store.lexical import Bm25Index
from slices import indexed

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def service(tmp_path_factory, real_embedder) -> NavSearch:
    return indexed(tmp_path_factory.mktemp("tr"), real_embedder, ("statutes/专利法(2020-10-17).md", "statutes/usc35-slice.xml", "policy/sipo-circulars-2013.txt"))


def _shown(result) -> list[tuple[str, str]]:
    return [(h.doc_id, p.path) for h in result.hits for p in h.passages]


def test_the_dictionary_translates_both_ways() -> None:
    lx = lexicon()
    assert lx.segment("专利导航试点") == ["专利", "导航", "试点"]
    english = lx.to_english("专利导航试点工程的目的")
    assert {"patent", "navig", "pilot", "purpos"} <= set(english.terms)
    assert "的" not in [w.source for w in english.words]  # a function word translates to nothing
    chinese = lx.to_chinese("compulsory license for a patent", known=lambda t: True)
    assert "强制" in chinese.terms and "专利" in chinese.terms
    # Each source word's translations share one unit of weight.
    assert sum(chinese.weights) == pytest.approx(len([w for w in chinese.words if w.terms]))


def test_only_translations_the_corpus_holds_are_searched() -> None:
    held = {"专利"}
    chinese = lexicon().to_chinese("patent grace period", known=lambda t: t in held)
    assert chinese.terms == ["专利"]
    # A word with no translation the corpus holds stays in the query (it counts against
    # a passage's share), with nothing to search.
    assert [w.terms for w in chinese.words if not w.terms]


def test_an_english_phrase_is_looked_up_once_per_index(service: NavSearch, monkeypatch) -> None:
    lx = lexicon()
    scans: list[tuple[str, ...]] = []
    scan = type(lx)._heads

    def counted(self, key, known):  # type: ignore[no-untyped-def]
        if key in self.reverse:  # a phrase that is no entry has no headwords to scan
            scans.append(key)
        return scan(self, key, known)

    monkeypatch.setattr(type(lx), "_heads", counted)
    held = {"专利", "强制", "许可", "期限"}
    cache: dict = {}
    query = "compulsory license of a patent and the term of the patent"
    first = lx.to_chinese(query, lambda t: t in held, cache)
    assert scans and cache
    # Again with the same index's cache: the same translation, no headword list scanned again.
    scanned = len(scans)
    assert lx.to_chinese(query, lambda t: t in held, cache) == first and len(scans) == scanned
    assert lx.to_chinese(query, lambda t: t in held) == first  # and what no cache gives
    # A search keeps one cache per generation's lexical index, gone with it.
    lexical = service.searcher().lexical
    service.search("How long does an invention patent last?", k=3)
    assert translated.heads_cache(lexical), "the generation's lexical index kept no lookups"
    gone = Bm25Index.build([(1, "专利权的期限")])
    translated.heads_cache(gone)["patent",] = ["专利"]
    key = id(gone)
    del gone
    assert key not in translated._HEADS  # an index no longer searched takes its lookups with it


def test_a_chinese_question_finds_the_english_circular(service: NavSearch) -> None:
    result = service.search("专利导航试点工程五年内要达到什么目标？", k=5)
    assert _shown(result)[0] == ("sipo-2013-27", "II"), _shown(result)
    assert result.relevant
    searcher = service.searcher()
    assert searcher.cross is None  # the dictionary alone: no multilingual encoder here


def test_a_chinese_question_on_chinese_law_keeps_the_law_first(service: NavSearch) -> None:
    # 35 U.S.C. §§ 101-103 answer the same question in English; asked in Chinese, the
    # Chinese article leads.
    result = service.search("授予专利权的发明应当具备哪些条件？", k=5)
    assert _shown(result)[0] == ("cn-patent-law-2020", "第二十二条"), _shown(result)
    assert "usc-35" in [h.doc_id for h in result.hits]  # and the English provisions follow


def test_no_translation_without_passages_in_the_other_script(tmp_path: Path, real_embedder, monkeypatch) -> None:
    (tmp_path / "c").mkdir()
    shutil.copy(DATA / "policy" / "sipo-circulars-2013.txt", tmp_path / "c")
    ns = NavSearch(Settings(index_dir=tmp_path / "index"), embedder=real_embedder)
    ns.ingest([tmp_path / "c"], progress=False)

    def refuse():
        raise AssertionError("the dictionary was read for an English-only corpus")

    monkeypatch.setattr("navsearch.retrieval.translated.lexicon", refuse)
    assert ns.search("patent navigation pilot enterprises", k=3).hits


def test_translation_can_be_turned_off(service: NavSearch, real_embedder) -> None:
    settings = service.settings.model_copy(update={"retrieval": service.settings.retrieval.model_copy(update={"translation": "none"})})
    off = NavSearch(settings, embedder=real_embedder)
    assert "translated" not in off.searcher().rankings("专利导航试点工程的目标", off.filters(), 50, "hybrid")
    assert "translated" in service.searcher().rankings("专利导航试点工程的目标", service.filters(), 50, "hybrid")


def test_each_passage_has_its_own_script() -> None:
    # A patent record in English with a machine-translated Chinese abstract: by passage.
    index = Bm25Index.build([(1, "A wind turbine tower held upright by ballast"), (2, "漂浮在深水中的风力发电站 (EP)"), (3, "专利 patent law text in English mostly here")])
    assert index.script_rowids("cjk").tolist() == [2]
    assert index.script_rowids("latin").tolist() == [1, 3]
    again = Bm25Index.from_bytes(index.to_bytes())
    assert np.array_equal(again.script_rowids("cjk"), index.script_rowids("cjk"))
