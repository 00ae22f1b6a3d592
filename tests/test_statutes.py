"""Statute parsers on small slices of the real files (tests/data/statutes/).

Slices: 35 U.S.C. chapter 10 (§§ 100–105, with § 104 repealed) plus §§ 282 and 295 in
official USLM XML (editorial <notes> kept only on § 101); the GDPR JSON with Articles 4, 6,
16, 17, 53 and recitals 1–3; the Chinese Patent Law (2020) up to 第二十五条.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from navsearch.errors import ParseError
from navsearch.ingest.cn_law import parse_cn_law_markdown
from navsearch.numerals import cn_numeral
from navsearch.ingest.gdpr import parse_gdpr_json
from navsearch.ingest.uslm import parse_uslm
from navsearch.types import Document, Section

DATA = Path(__file__).parent / "data" / "statutes"
USLM = DATA / "usc35-slice.xml"
GDPR = DATA / "gdpr-slice.json"
CN_LAW = DATA / "专利法(2020-10-17).md"


def _only(docs: list[Document]) -> Document:
    assert len(docs) == 1
    return docs[0]


def _section(doc: Document, path: str) -> Section:
    found = [s for s in doc.sections if s.path == path]
    assert found, f"{path} not among {[s.path for s in doc.sections]}"
    return found[0]


def _assert_well_formed(doc: Document) -> None:
    """Offsets quote the text exactly, paths are unique, and the text is the sections joined."""
    for s in doc.sections:
        assert doc.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
    paths = [s.path for s in doc.sections]
    assert len(paths) == len(set(paths))
    assert doc.doc_type == "statute"
    assert re.fullmatch(r"[a-z0-9-]+", doc.doc_id)


# --- USLM (35 U.S.C.) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def usc() -> Document:
    return _only(parse_uslm(USLM))


def test_uslm_metadata(usc: Document) -> None:
    assert usc.doc_id == "usc-35"
    assert usc.title == "35 U.S.C. — Patents"
    assert usc.number == "35 U.S.C."
    assert usc.jurisdiction == "US"
    assert usc.issuer == "United States Congress"
    assert usc.publication_date == date(2013, 7, 25)  # <dcterms:created> of the XML
    assert usc.source == str(USLM)
    _assert_well_formed(usc)


def test_uslm_paragraphs_are_the_finest_unit(usc: Document) -> None:
    para = _section(usc, "§ 102(a)(1)")
    assert para.kind == "article"
    assert para.heading == "Conditions for patentability; novelty"
    assert para.text.startswith(
        "(1) the claimed invention was patented, described in a printed publication, or in public use"
    )
    # The chapeau before the first paragraph is its own section, with the subsection heading.
    assert _section(usc, "§ 102(a)").text == "(a) Novelty; Prior Art.—A person shall be entitled to a patent unless—"
    # Subparagraphs (A), (B) stay inside their paragraph, one line each.
    b1 = _section(usc, "§ 102(b)(1)").text
    assert "\n(A) the disclosure was made by the inventor or joint inventor" in b1
    assert "\n(B) the subject matter disclosed had, before such disclosure" in b1
    assert not any(s.path.startswith("§ 102(b)(1)(") for s in usc.sections)


def test_uslm_label_only_subsection_leads_its_first_paragraph(usc: Document) -> None:
    # 102(b) has a heading but no chapeau: no empty "§ 102(b)" section, its label opens (b)(1).
    assert "§ 102(b)" not in {s.path for s in usc.sections}
    assert _section(usc, "§ 102(b)(1)").text.startswith("(b) Exceptions.—\n(1) Disclosures made 1 year or less")


def test_uslm_sections_without_subsections(usc: Document) -> None:
    s101 = _section(usc, "§ 101")
    assert s101.heading == "Inventions patentable"
    assert s101.text == (
        "Whoever invents or discovers any new and useful process, machine, manufacture, or composition "
        "of matter, or any new and useful improvement thereof, may obtain a patent therefor, subject to "
        "the conditions and requirements of this title."
    )
    s103 = _section(usc, "§ 103")
    assert s103.heading == "Conditions for patentability; non-obvious subject matter"
    assert s103.text.startswith("A patent for a claimed invention may not be obtained")


def test_uslm_section_level_paragraphs_and_flush_language(usc: Document) -> None:
    assert _section(usc, "§ 295").text.endswith("if the court finds—")
    assert _section(usc, "§ 295(1)").text.startswith("(1) that a substantial likelihood exists")
    # 282(c) ends with text that applies to the whole subsection, after its paragraphs.
    flush = _section(usc, "§ 282(c) (flush language)")
    assert flush.text.startswith("to comply with the requirements of such section shall be a defense")
    paths = [s.path for s in usc.sections]
    assert paths.index("§ 282(c)(2)") < paths.index("§ 282(c) (flush language)")


def test_uslm_leaves_out_notes_credits_and_repealed(usc: Document) -> None:
    assert "Historical and Revision Notes" not in usc.text  # <notes> of § 101
    assert "66 Stat. 797" not in usc.text  # <sourceCredit> of § 101
    assert not any(s.path.startswith("§ 104") for s in usc.sections)
    assert any(n.startswith("§ 104 skipped: Repealed.") for n in usc.notes)
    assert "§\u202f" not in usc.text  # narrow no-break spaces become plain spaces


def test_uslm_is_in_document_order(usc: Document) -> None:
    starts = [s.start for s in usc.sections]
    assert starts == sorted(starts)
    assert [s.path for s in usc.sections][:2] == ["§ 100", "§ 100(a)"]


@pytest.mark.parametrize(
    ("xml", "step"),
    [
        ("<uscDoc><main>", "parse XML"),
        ('<?xml version="1.0"?><!DOCTYPE uscDoc [<!ENTITY a "aaaa">]><uscDoc>&a;</uscDoc>', "parse XML"),
        (
            '<?xml version="1.0"?><!DOCTYPE uscDoc [<!ENTITY x SYSTEM "file:///etc/passwd">]><uscDoc>&x;</uscDoc>',
            "parse XML",
        ),
        ('<bill xmlns="http://xml.house.gov/schemas/uslm/1.0"/>', "parse XML"),
        ('<uscDoc xmlns="http://xml.house.gov/schemas/uslm/1.0"><meta/></uscDoc>', "structure"),
        (
            '<uscDoc xmlns="http://xml.house.gov/schemas/uslm/1.0"><main><title><num value="35">Title 35—</num>'
            "<heading>PATENTS</heading></title></main></uscDoc>",
            "structure",
        ),
    ],
)
def test_uslm_malformed(tmp_path: Path, xml: str, step: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse_uslm(path, source="bad.xml")
    assert info.value.step == step
    assert info.value.source == "bad.xml"


# --- GDPR JSON ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gdpr() -> Document:
    return _only(parse_gdpr_json(GDPR))


def test_gdpr_metadata(gdpr: Document) -> None:
    assert gdpr.doc_id == "gdpr"
    assert gdpr.title == "General Data Protection Regulation"
    assert gdpr.number == "Regulation (EU) 2016/679"
    assert gdpr.jurisdiction == "EU"
    assert gdpr.issuer == "European Parliament and Council"
    assert gdpr.publication_date == date(2016, 4, 27)
    _assert_well_formed(gdpr)


def test_gdpr_paragraph_is_the_unit(gdpr: Document) -> None:
    para = _section(gdpr, "Article 17(1)")
    assert para.kind == "article"
    assert para.heading == "Right to erasure (‘right to be forgotten’)"
    assert "right to obtain from the controller the erasure" in para.text
    assert "\n(a) the personal data are no longer necessary" in para.text
    assert para.text.rstrip().endswith("referred to in Article 8(1).")  # its last point, (f)
    assert [s.path for s in gdpr.sections if s.path.startswith("Article 17")] == [
        "Article 17(1)",
        "Article 17(2)",
        "Article 17(3)",
    ]


def test_gdpr_unnumbered_text(gdpr: Document) -> None:
    # An article with no numbered paragraphs is one section.
    assert _section(gdpr, "Article 16").text.startswith("The data subject shall have the right to obtain")
    # Unnumbered text after paragraph 1 is its second subparagraph, not a new unit.
    assert "Point (f) of the first subparagraph shall not apply" in _section(gdpr, "Article 6(1)").text
    # Unnumbered text before the numbered definitions is the article's lead.
    assert _section(gdpr, "Article 4").text == "For the purposes of this Regulation:"
    assert _section(gdpr, "Article 4(1)").text.startswith("‘personal data’ means")
    # Points without letters (Article 53(1)) keep their order, printed with dashes.
    assert "\n— their parliament;\n— their government;" in _section(gdpr, "Article 53(1)").text


def test_gdpr_recitals(gdpr: Document) -> None:
    recital = _section(gdpr, "Recital 1")
    assert recital.kind == "preamble"
    assert recital.text.startswith("The protection of natural persons in relation to the processing")
    assert gdpr.sections[0].path == "Recital 1"  # recitals precede the articles


@pytest.mark.parametrize(
    ("payload", "step"),
    [
        ("{not json", "read"),
        ("[]", "read"),
        (json.dumps({"title": "General Data Protection Regulation"}), "chapters"),
        (json.dumps({"chapters": [{"number": "I", "contents": [{"type": "article", "title": "x"}]}]}), "articles"),
        (
            json.dumps(
                {
                    "dated": "2016-04-27",
                    "chapters": [{"contents": [{"number": "1", "type": "article", "contents": []}]}],
                }
            ),
            "metadata",
        ),
    ],
)
def test_gdpr_malformed(tmp_path: Path, payload: str, step: str) -> None:
    path = tmp_path / "gdpr.json"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse_gdpr_json(path)
    assert info.value.step == step


# --- Chinese law in Markdown ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cn_law() -> Document:
    return _only(parse_cn_law_markdown(CN_LAW))


def test_cn_law_metadata(cn_law: Document) -> None:
    assert cn_law.doc_id == "cn-patent-law-2020"
    assert cn_law.title == "中华人民共和国专利法"
    assert cn_law.number is None
    assert cn_law.language == "zh"
    assert cn_law.jurisdiction == "CN"
    assert cn_law.issuer == "全国人民代表大会常务委员会"
    assert cn_law.publication_date == date(2020, 10, 17)  # the latest amendment, from the file name
    assert cn_law.notes == []
    _assert_well_formed(cn_law)


def test_cn_law_articles(cn_law: Document) -> None:
    articles = [s for s in cn_law.sections if s.kind == "article"]
    assert len(articles) == 25
    assert articles[0].path == "第一条" and articles[-1].path == "第二十五条"
    art = _section(cn_law, "第二十二条")
    assert art.heading == "第二章 授予专利权的条件"
    assert art.text.startswith("第二十二条 授予专利权的发明和实用新型，应当具备新颖性、创造性和实用性。")
    assert "\n新颖性，是指该发明或者实用新型不属于现有技术" in art.text  # later paragraphs included
    assert _section(cn_law, "第一条").heading == "第一章 总则"
    # Items and a paragraph opening with a cross-reference stay in their article.
    art25 = _section(cn_law, "第二十五条").text
    assert "\n（一）科学发现；" in art25
    assert art25.endswith("对前款第（四）项所列产品的生产方法，可以依照本法规定授予专利权。")


def test_cn_law_preamble(cn_law: Document) -> None:
    pre = cn_law.sections[0]
    assert (pre.kind, pre.path) == ("preamble", "题注")
    assert pre.text.startswith("1984年3月12日 第六届全国人民代表大会常务委员会第四次会议通过")
    assert pre.text.endswith("第四次修正")
    assert "INFO END" not in cn_law.text


def test_cn_law_known_titles_and_fallback_ids(tmp_path: Path) -> None:
    text = CN_LAW.read_text(encoding="utf-8")
    rules = tmp_path / "专利法实施细则(2023-12-11).md"
    rules.write_text(text.replace("# 中华人民共和国专利法\n", "# 中华人民共和国专利法实施细则\n"), encoding="utf-8")
    doc = _only(parse_cn_law_markdown(rules))
    assert doc.doc_id == "cn-patent-law-rules-2023"
    assert (doc.issuer, doc.publication_date) == ("国务院", date(2023, 12, 11))
    assert any("2023-12-11" in n for n in doc.notes)  # that date is not in this 题注

    other = tmp_path / "某法(2021-01-01).md"
    other.write_text(text.replace("# 中华人民共和国专利法\n", "# 中华人民共和国某法\n"), encoding="utf-8")
    doc = _only(parse_cn_law_markdown(other))
    assert doc.doc_id == "cn-law-2021-01-01"
    assert doc.issuer == "全国人民代表大会常务委员会"  # named in its 题注


def test_cn_law_sections_within_chapters(tmp_path: Path) -> None:
    path = tmp_path / "test(2022-05-01).md"
    path.write_text(
        "# 某条例\n\n2022年5月1日 公布\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 总则条文。\n\n"
        "## 第二章 管理\n\n### 第一节 一般规定\n\n第二条 第一项。\n\n（一）甲；\n\n（二）乙。\n\n"
        "### 第二节 特别规定\n\n第三条 第二项。\n",
        encoding="utf-8",
    )
    doc = _only(parse_cn_law_markdown(path))
    assert _section(doc, "第二条").heading == "第二章 管理 第一节 一般规定"
    assert _section(doc, "第二条").text == "第二条 第一项。\n（一）甲；\n（二）乙。"
    assert _section(doc, "第三条").heading == "第二章 管理 第二节 特别规定"
    _assert_well_formed(doc)


@pytest.mark.parametrize(
    ("content", "step"),
    [
        ("没有标题\n\n第一条 内容。\n", "title"),
        ("# 某法\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n只有文字，没有条文。\n", "articles"),
        ("# 某法\n\n<!-- INFO END -->\n\n第一条 甲。\n\n第一条 乙。\n", "articles"),
    ],
)
def test_cn_law_malformed(tmp_path: Path, content: str, step: str) -> None:
    path = tmp_path / "bad(2020-01-01).md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse_cn_law_markdown(path)
    assert info.value.step == step


def test_cn_numeral() -> None:
    assert [cn_numeral(n) for n in ("一", "十", "十二", "二十二", "一百", "一百零一", "一百一十", "一百四十九")] == [
        1,
        10,
        12,
        22,
        100,
        101,
        110,
        149,
    ]

