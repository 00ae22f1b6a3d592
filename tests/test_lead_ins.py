"""A list item keeps the lead-in of the provisions enclosing it in its embedded text
(navsearch/chunking/lead_ins.py), read from the bundled SIPO circular and from small
documents built here."""

from __future__ import annotations

from navsearch.chunking.chunker import Chunker
from navsearch.chunking.lead_ins import encloses, lead_ins
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.circulars import parse_circulars_text
from navsearch.settings import PROJECT_ROOT
from navsearch.types import Document

STAGES = "Implementation of the pilot project can be divided into three stages: initiation, cultivation (building) and summarizing:"


def words(texts):
    return [len(t.split()) + 2 for t in texts]


def _doc(*sections: tuple[str, str, str | None], doc_type: str = "statute") -> Document:
    b = TextBuilder()
    for path, text, heading in sections:
        b.add("article", path, text, heading=heading)
    return Document(doc_id="d", doc_type=doc_type, title="T", text=b.text, sections=b.sections, source="x")


def _navigation_circular() -> Document:
    docs = parse_circulars_text(PROJECT_ROOT / "corpus" / "policy" / "sipo-circulars-2013.txt")
    return next(d for d in docs if d.doc_id == "sipo-2013-27")


def test_paths_enclose_only_their_own_items() -> None:
    assert encloses("IV.ii", "IV.ii.2") and encloses("IV.ii.2", "IV.ii.2(1)") and encloses("§ 2(b)", "§ 2(b)(1)")
    assert not encloses("Article 1", "Article 10")
    assert not encloses("I", "IV") and not encloses("closing", "closing 2") and not encloses("V", "V")


def test_the_stages_of_the_navigation_pilot_carry_their_lead_in() -> None:
    doc = _navigation_circular()
    leads = dict(zip((s.path for s in doc.sections), lead_ins(doc)))
    # The cultivation stage is a stage of the pilot project only through the clause above it.
    for path in ("IV.ii.1", "IV.ii.2", "IV.ii.2(1)", "IV.ii.3"):
        assert leads[path] == STAGES, path
    # "Cultivation (building) stage (...)" encloses IV.ii.2(1) but is already its heading.
    assert "July 2013" not in leads["IV.ii.2(1)"]
    # Clauses that end their sentences lead into nothing; top-level clauses have no parent.
    assert leads["III.i"] == "" and leads["I"] == "" and leads["V.ii"] == ""
    assert leads["IV.i.1"].endswith("patent navigation pilot project. Specifically,")


def test_chunk_context_is_the_heading_then_the_lead_in() -> None:
    doc = _doc(
        ("§ 2(a)", "(a) In General.—The Office shall keep records.", "Powers and duties"),
        ("§ 2(b)", "(b) Specific Powers.—The Office—", "Powers and duties"),
        ("§ 2(b)(1)", "(1) shall adopt and use a seal;", "Powers and duties"),
        ("§ 2(b)(2)", "(2) may establish regulations.", "Powers and duties"),
        ("§ 3", "(a) The Director shall be appointed.", "Officers"),
    )
    chunks = {c.path: c for c in Chunker(words, max_tokens=64, overlap_tokens=4).chunk(doc)}
    assert chunks["§ 2(b)(1)"].context == "Powers and duties\n(b) Specific Powers.—The Office—"
    assert chunks["§ 2(b)(2)"].embed_text.startswith("Powers and duties\n(b) Specific Powers.—The Office—\n(2) may")
    # A paragraph that ends its sentence, a sibling and a new section inherit nothing.
    assert chunks["§ 2(b)"].context == chunks["§ 2(a)"].context == "Powers and duties"
    assert chunks["§ 3"].context == "Officers"
    # Quoted text is the provision's own: the lead-in is context, never part of the passage.
    assert chunks["§ 2(b)(1)"].text == "(1) shall adopt and use a seal;"


def test_a_long_lead_in_keeps_its_end_and_the_heading() -> None:
    lead = " ".join(f"w{i}" for i in range(40)) + " the following:"
    doc = _doc(("1", f"1. Scope\n\n{lead}", "Scope"), ("1.1", "1.1 an item.", "Scope"))
    chunker = Chunker(words, max_tokens=64, overlap_tokens=4)  # context may take 16 tokens
    context = next(c for c in chunker.chunk(doc) if c.path == "1.1").context
    assert context.startswith("Scope\n") and context.endswith("the following:")
    assert words([context])[0] <= 16 and "w0 " not in context


def test_patents_and_unnested_documents_are_unchanged() -> None:
    patent = _doc(("claim 1", "A pack comprising:", None), ("claim 1(a)", "a cell.", None), doc_type="patent")
    assert all(c.context == "T" for c in Chunker(words, 64, 4).chunk(patent))
    flat = _doc(("第一条", "第一条 为了保护专利权人的合法权益，制定本法：", "第一章"), ("第二条", "第二条 本法所称……", "第一章"))
    assert [c.context for c in Chunker(words, 64, 4).chunk(flat)] == ["第一章", "第一章"]
