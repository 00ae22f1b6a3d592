"""The failures a new user met on the bundled corpus (corpus/), each as a test: a false
"novel", a false "disclosed", provisions cut before their items, lookups by number that
found something else, questions answered from a clause on another subject, and the
refinements a patent agent expects. One index of the whole bundled corpus, built once
with the real encoder."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from navsearch.api.app import create_app
from navsearch.service import NavSearch
from navsearch.settings import PROJECT_ROOT, Settings
from navsearch.types import Filters

pytestmark = pytest.mark.slow

WIND_CLAIM = (
    "A wind power station comprising: a tower; a floating foundation placed in deep water; and anchoring "
    "lines connecting the foundation to the seabed."
)
POWDER_IDEA = (
    "An electrostatic powder coating gun in which a corona electrode charges the powder particles before they "
    "are sprayed onto a grounded metal workpiece, and the overspray is recovered by a cyclone."
)
WEARABLE_IDEA = (
    "A wearable sensor patch that measures lactate in sweat during exercise and sends the readings to a phone "
    "over Bluetooth."
)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory, real_embedder) -> NavSearch:
    service = NavSearch(Settings(index_dir=tmp_path_factory.mktemp("bundled") / "index"), embedder=real_embedder)
    report = service.ingest([PROJECT_ROOT / "corpus"], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    return service


# --- (1) the honest floor and the novelty refusal ------------------------------------------
def test_priority_cutoff_on_undated_patents_refuses_a_novelty_call(bundled: NavSearch) -> None:
    result = bundled.prior_art(WIND_CLAIM, priority_date=date(2002, 5, 22), cutoff_field="priority", k=5)
    assert not result.novelty_call
    assert result.coverage.novelty_candidates == ()  # "a tower" is not called novel
    cut = result.cutoff
    assert cut is not None and cut.undated >= 2244 and cut.removed == cut.patents and cut.eligible == 0
    assert f"{cut.undated:,} of {cut.patents:,} patents have no priority date" in result.novelty_note
    assert "--cutoff-field publication" in result.novelty_note
    assert any(f"removed {cut.removed:,} of {cut.patents:,}" in n for n in result.notes)
    # On publication dates most of the corpus is dated, so the cutoff itself is no reason to refuse.
    by_publication = bundled.prior_art(WIND_CLAIM, priority_date=date(2002, 5, 22), k=5)
    assert by_publication.cutoff.eligible > 100
    assert "no publication date" not in (by_publication.novelty_note or "")


def test_off_field_idea_is_neither_disclosed_nor_novel(bundled: NavSearch) -> None:
    """The corpus has no powder-coating art: a produce mister once 'partly disclosed' every element."""
    result = bundled.prior_art(POWDER_IDEA, k=5)
    assert not result.relevant and not result.novelty_call
    assert result.references and all(r.weak for r in result.references)
    assert result.coverage.novelty_candidates == () and result.coverage.weakly_covered == ()
    assert result.coverage.anticipating == () and result.coverage.covering_pairs == ()
    assert "no reference reaches the relevance floor" in result.novelty_note
    search = bundled.search(POWDER_IDEA, k=5)
    assert not search.relevant and all(h.weak for h in search.hits)
    assert any("nothing in the corpus is relevant" in n for n in search.notes)


def test_a_reference_matching_no_element_is_not_ranked_first(bundled: NavSearch) -> None:
    result = bundled.prior_art(WEARABLE_IDEA, k=8)
    assert not result.novelty_call
    matched = [any(m.status != "not found" for m in r.matches) for r in result.references]
    if any(matched):
        assert matched[0]
        assert matched == sorted(matched, reverse=True)  # matching references before the rest


def test_in_field_idea_is_relevant(bundled: NavSearch) -> None:
    result = bundled.prior_art("A notebook computer whose battery pack detaches at the hinge and is held by a latch.", k=5)
    assert result.relevant and not result.references[0].weak
    assert bundled.search("hollow fiber membrane module for water treatment", k=3).relevant


# --- (3) lookup by number and `navsearch show` ---------------------------------------------
@pytest.mark.parametrize(
    ("query", "doc_id", "path"),
    [
        ("专利法第二十四条", "cn-patent-law-2020", "第二十四条"),
        ("实施细则第六条", "cn-patent-law-rules-2023", "第六条"),
        ("35 U.S.C. 102", "usc-35", "§ 102(a)"),
        ("GDPR Article 17", "gdpr", "Article 17(1)"),
        ("Recital 26", "gdpr", "Recital 26"),
        ("US6078496", "US6078496", None),
        ("US 6,078,496 B1", "US6078496", None),
        ("EP 0 547 107 B1", "EP0547107B1", None),
        ("G. ZH. F. G. Z. [2013] No. 27", "sipo-2013-27", None),
    ],
)
def test_lookup_by_number_puts_the_cited_unit_first(bundled: NavSearch, query: str, doc_id: str, path: str | None) -> None:
    for group in ("document", "chunk"):
        result = bundled.search(query, k=5, group=group)  # type: ignore[arg-type]
        top = result.hits[0]
        assert top.cited and top.doc_id == doc_id, (query, group, [h.doc_id for h in result.hits])
        if path:
            assert top.passages[0].path == path
        assert result.relevant
    assert len(bundled.search(query, k=5).hits) > 1  # then what is near it


def test_lookup_names_what_is_missing_and_finds_family_members(bundled: NavSearch) -> None:
    missing = bundled.search("US1234567", k=3)
    assert not any(h.cited for h in missing.hits)
    assert any("'US1234567': no such document" in n for n in missing.notes)
    via_family = bundled.search("US4382867", k=3)  # not in the corpus; EP0049154B2 of its family is
    assert via_family.hits[0].doc_id == "EP0049154B2" and via_family.hits[0].cited
    both = bundled.search("第24条", k=5)
    assert {h.doc_id for h in both.hits if h.cited} == {"cn-patent-law-2020", "cn-patent-law-rules-2023"}


def test_show_reads_a_document_or_one_provision(bundled: NavSearch) -> None:
    art = bundled.show("cn-patent-law-2020", "第24条")
    assert art.citation == "中华人民共和国专利法, 第二十四条" and "（四）他人未经申请人同意而泄露其内容的。" in art.text
    gdpr = bundled.show("GDPR", "Article 17")
    assert gdpr.paths == ["Article 17(1)", "Article 17(2)", "Article 17(3)"]
    assert bundled.document("gdpr").text[gdpr.start : gdpr.end] == gdpr.text
    assert bundled.show("35 U.S.C.", "154(a)(2)").text.startswith("(2) Term.")
    patent = bundled.show("US 6,078,496")
    assert patent.meta.doc_id == "US6078496" and patent.path is None


# --- (2) whole provisions --------------------------------------------------------------------
def test_erasure_answer_quotes_the_grounds(bundled: NavSearch) -> None:
    answer = bundled.ask("When must a controller erase personal data?")
    assert answer.answered
    quote = next(q for q in answer.quotes if q.path == "Article 17(1)")
    assert quote.text.rstrip().endswith(("processing.", ";", ".")) and "one of the following grounds applies:" in quote.text
    for point in ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)"):
        assert f"\n{point} " in quote.text
    assert bundled.document("gdpr").text[quote.start : quote.end] == quote.text


def test_grace_period_article_comes_with_all_four_items(bundled: NavSearch) -> None:
    answer = bundled.ask("申请日以前六个月内不丧失新颖性的情形有哪些？")
    assert answer.answered
    quote = next(q for q in answer.quotes if q.path == "第二十四条")
    assert all(item in quote.text for item in ("（一）", "（二）", "（三）", "（四）"))
    assert "不丧失新颖性：" in quote.text


def test_compulsory_licence_main_article_is_among_the_sources(bundled: NavSearch) -> None:
    answer = bundled.ask("什么情况下可以给予强制许可？")
    assert any(s.path == "第五十三条" for s in answer.sources)
    assert answer.answered
    art53 = [q for q in answer.quotes if q.path == "第五十三条"]
    if art53:  # quoted with both of its items
        assert "（一）" in art53[0].text and "（二）" in art53[0].text


def test_citations_carry_paragraph_and_item(bundled: NavSearch) -> None:
    answer = bundled.ask("发明专利权的期限是多少年？")
    assert answer.answered
    assert answer.quotes[0].citation == "中华人民共和国专利法, 第四十二条第一款"
    assert "二十年" in answer.quotes[0].text


# --- the subject check and questions in another language -------------------------------------
def test_patent_term_question_is_not_answered_from_a_circular(bundled: NavSearch) -> None:
    answer = bundled.ask("Which article of the Chinese Patent Law sets the term of a patent?")
    assert not answer.answered and answer.quotes == []
    assert any("in Chinese" in n for n in answer.notes)


def test_english_question_about_chinese_law_says_why_it_is_refused(bundled: NavSearch) -> None:
    answer = bundled.ask("What is the grace period for novelty in China?")
    assert not answer.answered
    assert any("ask in Chinese" in n for n in answer.notes)


def test_how_long_is_not_answered_by_a_deadline_rule(bundled: NavSearch) -> None:
    """It was answered from "the last day for taking any action" (§ 21(b)) and a patent's
    continuation data; § 154(a)(2) is still not retrieved for this wording, so the honest
    answer is a refusal."""
    answer = bundled.ask("How long does a US patent last?")
    assert not answer.answered or any(q.path.startswith("§ 154(a)") for q in answer.quotes)


def test_chinese_query_about_english_patents_is_read_in_translation(bundled: NavSearch) -> None:
    zh = bundled.search("笔记本电脑的可拆卸电池", k=5)
    en = bundled.search("detachable battery of a notebook computer", k=5)
    # Among what the Chinese wording finds is what the English one puts first.
    assert {h.doc_id for h in zh.hits} & {h.doc_id for h in en.hits[:3]}, ([h.doc_id for h in zh.hits], [h.doc_id for h in en.hits])
    assert not any("ask again in English" in n for n in zh.notes)
    # Without the dictionary (and without e5) nothing reads it: said so, not guessed.
    settings = bundled.settings.model_copy(update={"retrieval": bundled.settings.retrieval.model_copy(update={"translation": "none"})})
    result = NavSearch(settings, embedder=bundled.embedder).search("笔记本电脑的可拆卸电池", k=5)
    assert not result.relevant and all(h.weak for h in result.hits)
    assert any("ask again in English" in n for n in result.notes)


# --- (4) refinement ---------------------------------------------------------------------------
def test_exclusion_phrase_assignee_and_more_like_this(bundled: NavSearch) -> None:
    hits = bundled.search("membrane filtration -bioreactor", k=10).hits
    assert hits
    for h in hits:
        doc = bundled.document(h.doc_id)
        assert "bioreactor" not in f"{doc.meta.title} {doc.text}".lower()
    phrase = bundled.search('"hollow fiber" membrane', k=5).hits
    # the passages holding the phrase (as indexed: with the patent's title) come first
    assert phrase and all("hollow fiber" in " ".join(f"{h.title} {h.passages[0].text}".lower().split()) for h in phrase)
    kubota = bundled.search("membrane", k=5, filters=bundled.filters(assignees=["kubota"])).hits
    assert kubota and all("KUBOTA" in (h.assignee or "") for h in kubota)
    like = bundled.search("", like="US6078496", k=5).hits
    assert like and "US6078496" not in {h.doc_id for h in like}
    assert all("batter" in (h.title or "").lower() or "batter" in h.passages[0].text.lower() for h in like[:3])


def test_families_are_one_hit_with_their_members(bundled: NavSearch) -> None:
    query = "process and device for treating sludge"
    family = {"EP0266476A2", "EP0266476A3"}  # one application, two publications
    flat = [h.doc_id for h in bundled.searcher().search(query, k=10, collapse_families=False).hits]
    assert family <= set(flat)
    hits = bundled.search(query, k=10).hits
    assert len(family & {h.doc_id for h in hits}) == 1
    rep = next(h for h in hits if h.doc_id in family)
    assert family - {rep.doc_id} <= set(rep.family_members)


def test_csv_export_cli_and_http(bundled: NavSearch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from navsearch.cli import app

    result = bundled.search("battery latch for a portable computer", k=3)
    rows = list(csv.reader(io.StringIO(bundled.export_search("battery latch", result))))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "rank")
    assert len(rows) - header - 1 == sum(len(h.passages) for h in result.hits)
    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(bundled.settings.index_dir))
    runner = CliRunner()
    out = runner.invoke(app, ["search", POWDER_IDEA, "--k", "3", "--csv-out", str(tmp_path / "r.csv")])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("nothing relevant found.") and "[weak]" in out.output
    assert (tmp_path / "r.csv").read_text().startswith("# query,")
    for line in out.output.splitlines():
        if line.startswith("        ") and line.endswith("…"):
            assert not line[-2].isspace()  # cut at a word
    families = runner.invoke(app, ["search", "Process and device for treating sludge", "--k", "5"])
    assert families.exit_code == 0
    shown = runner.invoke(app, ["show", "cn-patent-law-2020", "第二十四条"])
    assert shown.exit_code == 0 and "（四）" in shown.output
    family = runner.invoke(app, ["show", "EP0049154B2"])  # nine family members, eight listed
    assert family.exit_code == 0 and "+1 more" in family.output
    refused = runner.invoke(app, ["prior-art", WIND_CLAIM, "--priority-date", "2002-05-22", "--cutoff-field", "priority"])
    assert refused.exit_code == 0 and "candidate points of novelty: none listed" in refused.output
    # The module's index was built before the autouse fixture let TestClient's host in: ask as localhost.
    with TestClient(create_app(bundled.settings, service=bundled), base_url="http://localhost") as client:
        body = client.post("/search", json={"query": POWDER_IDEA, "k": 3}).json()
        assert body["relevant"] is False and body["notes"] and body["hits"][0]["weak"] is True
        cited = client.post("/search", json={"query": "GDPR Article 17", "k": 3}).json()
        assert cited["hits"][0]["cited"] is True and cited["cited"]
        csv_text = client.post("/search", json={"query": "battery", "k": 2, "format": "csv"}).text
        assert csv_text.startswith("# query,battery")
        pa = client.post(
            "/prior-art", json={"idea": WIND_CLAIM, "priority_date": "2002-05-22", "cutoff_field": "priority", "k": 3}
        ).json()
        assert pa["novelty_call"] is False and pa["coverage"]["novelty_candidates"] == []
        assert pa["cutoff"]["eligible"] == 0
    record = json.loads(bundled.export_prior_art(bundled.prior_art(POWDER_IDEA, k=2), "json"))
    assert record["novelty_call"] is False and record["references"][0]["weak"] is True


def test_filters_still_apply_to_cited_units(bundled: NavSearch) -> None:
    result = bundled.search("US6078496", k=3, filters=Filters(doc_types=("statute",)))
    assert not any(h.cited for h in result.hits)
    assert any("in the documents the filters leave" in n for n in result.notes)


# --- (5) clause questions: the answering clause in view (benchmarks/clause_questions.py) --------
def _shown(client: TestClient, question: str) -> list[tuple[str, str]]:
    """(doc id, path) of the passages POST /search shows with its defaults, in display order."""
    body = client.post("/search", json={"query": question}).json()
    return [(h["doc_id"], p["path"]) for h in body["hits"] for p in h["passages"]]


@pytest.mark.parametrize(
    ("question", "doc_id", "path"),
    [
        # The example: under main the summarizing stage came first and this one was not shown.
        ("When does the cultivation (building) stage of the patent navigation pilot run?", "sipo-2013-27", "IV.ii.2"),
        ("Which months of 2013 does the first phase of the navigation pilot cover?", "sipo-2013-27", "IV.ii.1"),
        ("How long does a US utility patent last, counted from the filing date?", "usc-35", "§ 154(a)(2)"),
        # "PCT国际申请" and "30个月内…" were single unsearchable terms before navsearch/terms.py split them.
        ("PCT国际申请最晚什么时候要进入中国国家阶段？", "cn-patent-law-rules-2023", "第一百二十条"),
    ],
)
def test_the_answering_clause_is_among_the_first_five_passages(bundled: NavSearch, question: str, doc_id: str, path: str) -> None:
    with TestClient(create_app(bundled.settings, service=bundled), base_url="http://localhost") as client:
        shown = _shown(client, question)
    assert shown[0][0] == doc_id
    assert (doc_id, path) in shown[:5], shown[:6]


def test_a_stage_of_the_pilot_carries_its_lead_in_and_a_circular_shows_five_clauses(bundled: NavSearch) -> None:
    _, _, chunks = bundled.searcher().catalog.document("sipo-2013-27")
    stage = next(c for c in chunks if c.path == "IV.ii.2")
    assert "three stages: initiation, cultivation (building) and summarizing" in stage.context
    assert stage.text == "Cultivation (building) stage (July 2013 June 2018)"  # what is quoted is the clause itself
    hit = bundled.search("stages of the patent navigation pilot project", k=3).hits[0]
    assert hit.doc_id == "sipo-2013-27" and len(hit.passages) == bundled.settings.retrieval.provisions_per_hit
    assert all(p.kind != "title" for p in hit.passages)  # the hit shows its title already
    patent = next(h for h in bundled.search("battery latch for a portable computer", k=3).hits if h.doc_type == "patent")
    assert len(patent.passages) <= bundled.settings.retrieval.passages_per_hit
