"""Pure pieces of honest search: references in a query, the query's operators, whole
provisions and their pinpoint citations, the checks an answer must pass, patent families."""

from __future__ import annotations

import pytest

from navsearch.answer.checks import asks_duration, shares_subject, states_duration, subject_terms
from navsearch.answer.extractive import sentence_spans, whole_provisions
from navsearch.answer.provisions import Unit, pinpoint, provision_unit
from navsearch.retrieval.citation_lookup import (
    parse_references,
    patent_base,
    residual_text,
    rule_key,
    unit_contains,
    unit_of,
)
from navsearch.numerals import to_cn_numeral
from navsearch.retrieval.families import family_groups, family_members
from navsearch.retrieval.query_syntax import holds_phrases, parse_query, passage_matches
from navsearch.types import DocumentMeta


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("US6078496", [("patent", "US6078496", None)]),
        ("US 6,078,496 B1", [("patent", "US6078496", None)]),
        ("U.S. Pat. No. 6,078,496", [("patent", "US6078496", None)]),
        ("EP0698680A1", [("patent", "EP698680", None)]),
        ("EP 0 698 680 A1", [("patent", "EP698680", None)]),
        ("WO 2004/012345 A1", [("patent", "WO2004012345", None)]),
        ("CN101234567A", [("patent", "CN101234567", None)]),
        ("35 U.S.C. 102", [("usc", "§ 102", "usc35")]),
        ("35 USC § 102(a)(1)", [("usc", "§ 102(a)(1)", "usc35")]),
        ("§ 102(a)(1)", [("usc", "§ 102(a)(1)", None)]),
        ("GDPR Article 17", [("gdpr-article", "Article 17", "gdpr")]),
        ("Art. 17(1)(a) GDPR", [("gdpr-article", "Article 17(1)", "gdpr")]),
        ("Recital 26", [("gdpr-recital", "Recital 26", None)]),
        ("专利法第二十四条", [("cn-article", "第二十四条", "cn-patent-law")]),
        ("第24条", [("cn-article", "第二十四条", None)]),
        ("实施细则第六条", [("cn-article", "第六条", "cn-patent-law-rules")]),
        ("Article 24 of the Chinese Patent Law", [("cn-article", "第二十四条", "cn-patent-law")]),
        ("G. ZH. F. G. Z. [2013] No. 27", [("document-number", "[2013] No. 27", None)]),
        ("Rule 4.1.1(4)(b)", [("rule", "4.1.1(4)(b)", None)]),
        ("under 9.7.5 of COBS", [("rule", "9.7.5", None)]),
        # Values and prose are not references.
        ("a 1.5 mm membrane at 2.5 bar", []),
        ("US law in 2013 for 20 years", []),
        ("What is the grace period for novelty in China?", []),
        ("Regulation (EU) 2016/679", []),
    ],
)
def test_references_in_a_query(query: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(r.kind, r.key, r.law) for r in parse_references(query)] == expected


def test_reference_details() -> None:
    [ref] = parse_references("专利法第五十三条第（一）项")
    assert ref.point == "第（一）项"
    [ref] = parse_references("US 6,078,496 B1")
    assert ref.kind_code == "B1"
    assert residual_text("35 U.S.C. 102 prior art exceptions", parse_references("35 U.S.C. 102 prior art exceptions")) == (
        "prior art exceptions"
    )


def test_numbers_and_paths() -> None:
    assert [to_cn_numeral(n) for n in (1, 10, 11, 20, 24, 53, 100, 101, 110, 122)] == [
        "一", "十", "十一", "二十", "二十四", "五十三", "一百", "一百零一", "一百一十", "一百二十二"
    ]
    assert patent_base("US 6,078,496 B1") == patent_base("US6078496") == "US6078496"
    assert rule_key("4.1.1.(4)(b)#2") == "4.1.1(4)(b)"
    assert unit_contains("§ 102(a)(1)", "§ 102", "usc") and not unit_contains("§ 1021", "§ 102", "usc")
    assert unit_contains("6.6.1", "6.6", "rule") and not unit_contains("Article 170", "Article 17", "gdpr-article")
    assert unit_of("§102(a)") == ("§ 102(a)", "usc")
    assert unit_of("102(a)") == ("§ 102(a)", "usc")
    assert unit_of("第24条") == ("第二十四条", "cn-article")


def test_query_operators() -> None:
    p = parse_query('membrane filtration -bioreactor "hollow fiber" NOT ozone')
    assert p.text == "membrane filtration hollow fiber"
    assert p.excluded == ("bioreactor", "ozone") and p.phrases == ("hollow fiber",)
    assert parse_query("battery AND hinge").required == ("battery", "hinge")
    assert parse_query("a self-cleaning filter at -5 degrees").excluded == ()  # hyphens and numbers are not operators
    assert passage_matches(p, "A hollow fiber membrane module for filtration")
    assert not passage_matches(p, "A hollow fiber membrane bioreactor")  # excluded word
    assert holds_phrases(p, "A Hollow  Fiber membrane") and not holds_phrases(p, "A hollow-fibre membrane module")
    # In capitals, AND/OR/NOT belong to a title, not to the syntax.
    assert parse_query("SYSTEM AND METHOD FOR TREATING WATER").required == ()
    assert not passage_matches(parse_query("filter -bioreactors"), "membrane bioreactor")  # stems, as BM25 matches


def test_lead_in_with_its_items_and_pinpoints() -> None:
    gdpr = (
        "The controller shall erase personal data where one of the following grounds applies:\n"
        "(a) the personal data are no longer necessary;\n(b) the data subject withdraws consent;\n"
        "(e) the personal data have to be erased for compliance with a legal obligation."
    )
    spans = sentence_spans(gdpr)
    assert len(spans) == 4  # the splitter cuts before each point
    assert provision_unit(gdpr, spans, 3) == provision_unit(gdpr, spans, 0) == Unit(lead=0, last=3)
    assert pinpoint(gdpr, "Article 17(1)", *spans[3]) == "(e)"
    assert pinpoint(gdpr, "Article 17(1)", 0, len(gdpr)) == ""  # the whole paragraph: no pinpoint
    assert provision_unit("Personal data shall be processed lawfully. It shall be accurate.", [(0, 42), (43, 64)], 1) is None
    cn = "第四十二条 发明专利权的期限为二十年。\n自发明专利申请日起满四年的，给予补偿。\n补偿期限不超过五年。"
    assert pinpoint(cn, "第四十二条", 0, 10) == "第一款"
    assert pinpoint(cn, "第四十二条", cn.index("补偿期限"), len(cn)) == "第三款"
    cn24 = "第二十四条 有下列情形之一的，不丧失新颖性：\n（一）在国家出现紧急状态时首次公开的；\n（二）在展览会上首次展出的。"
    spans = sentence_spans(cn24)  # "：" is no sentence end: the lead-in and item (一) are one sentence
    assert len(spans) == 2 and provision_unit(cn24, spans, 1) == Unit(lead=0, last=1)
    assert pinpoint(cn24, "第二十四条", *spans[1]) == "第（二）项"
    usc = "(b) Exceptions.—\n(1) Disclosures made 1 year or less before.—A disclosure shall not be prior art if—\n(A) the disclosure was made by the inventor; or\n(B) the subject matter had been disclosed."
    a = usc.index("(A)")
    assert pinpoint(usc, "§ 102(b)(1)", a, usc.index("\n", a)) == "(A)"


def test_quotes_are_whole_provisions() -> None:
    from navsearch.types import Hit, Passage

    text = "第二十四条 有下列情形之一的，不丧失新颖性：\n（一）在国家出现紧急状态时首次公开的；\n（二）在展览会上首次展出的。"
    passage = Passage("c1", "article", "第二十四条", text, 100, 100 + len(text), None, None, 0.1, 1, 1, "专利法, 第二十四条")
    hit = Hit("cn", "statute", "专利法", None, 0.1, None, None, "CN", (), None, None, (passage,))
    spans = sentence_spans(text)
    [quote] = whole_provisions([((hit, *spans[1]), 0.7)], {"c1": spans}, max_chars=1500)
    assert quote.text == text and (quote.start, quote.end) == (100, 100 + len(text))
    assert quote.citation == "专利法, 第二十四条"
    lead, item = whole_provisions([((hit, *spans[1]), 0.7)], {"c1": spans}, max_chars=40)
    assert lead.text.endswith("（一）在国家出现紧急状态时首次公开的；") and item.citation == "专利法, 第二十四条第（二）项"


def test_answer_checks() -> None:
    share = {"patent": 0.11}.get
    subject = subject_terms("Which article of the Chinese Patent Law sets the term of a patent?", lambda t: share(t, 0.01), 0.05)
    assert subject == ["term"]
    circular = "Instruct the market entities to set up patent agencies in accordance with the law."
    assert not shares_subject(subject, circular)
    assert shares_subject(subject, "the term of twenty years")
    assert "的期" not in subject_terms("发明专利权的期限是多少年？", lambda t: 0.01, 0.05)
    assert asks_duration("How long does a US patent last?") and asks_duration("发明专利权的期限是多少年？")
    assert not asks_duration("When must a controller erase personal data?")
    assert states_duration("ending 20 years from the date") and states_duration("期限为二十年")
    assert not states_duration("When the day, or the last day, for taking any action falls on a Saturday")


def test_families_collapse_in_rank_order() -> None:
    metas = {
        d: DocumentMeta(d, "patent", None, d, "s", family=f)
        for d, f in [("EP0547107B1", ("US5170942",)), ("US5170942", ()), ("US1", ()), ("US2", ("JP9",))]
    }
    groups = family_groups(["US5170942", "US1", "EP0547107B1", "US2"], lambda x: x, metas)
    assert groups == [["US5170942", "EP0547107B1"], ["US1"], ["US2"]]
    assert family_members(["US2"], metas) == ["JP9", "US2"]
