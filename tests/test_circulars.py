"""The SIPO circulars: repaired text, the two circulars, every provision with its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from navsearch.errors import ParseError
from navsearch.ingest.circulars import parse_circulars_text, roman_to_int
from navsearch.ingest.cleaning import join_hyphenated, vocabulary

EXPECTED_PATHS_NO_27 = [
    "title", "preamble",
    "I", "II",
    "III", "III.i", "III.ii", "III.iii", "III.iv", "III.v", "III.vi",
    "IV", "IV.i", "IV.i.1", "IV.i.2", "IV.i.3",
    "IV.ii", "IV.ii.1", "IV.ii.1(1)", "IV.ii.1(2)", "IV.ii.1(3)",
    "IV.ii.2", "IV.ii.2(1)", "IV.ii.2(2)", "IV.ii.3",
    "V", "V.i", "V.ii", "V.iii",
    "closing", "closing 2",
]


@pytest.fixture(scope="module")
def docs(data_dir: Path):
    return parse_circulars_text(data_dir / "policy" / "sipo-circulars-2013.txt")


def test_two_circulars_with_their_metadata(docs) -> None:
    ceramic, navigation = docs
    assert navigation.title == (
        "Circular of the State Intellectual Property Office on Implementing Patent Navigation Pilot Project"
    )
    assert navigation.number == "G. ZH. F. G. Z. [2013] No. 27"
    assert navigation.publication_date.isoformat() == "2013-04-02"
    assert navigation.doc_id == "sipo-2013-27"
    # The ceramic circular's title page is missing: unknown, not invented.
    assert ceramic.title is None and ceramic.number is None
    assert ceramic.publication_date.isoformat() == "2013-03-26"
    assert any("title unknown" in n for n in ceramic.notes)
    assert "ceramic industry" in ceramic.text and "ceramic" not in navigation.text


def test_every_provision_has_its_path(docs) -> None:
    ceramic, navigation = docs
    assert [s.path for s in navigation.sections] == EXPECTED_PATHS_NO_27
    assert [s.path for s in ceramic.sections] == ["[fragment]", "V", "V.x", "V.xi", "V.xii", "closing"]


def test_no_section_mixes_two_provisions(docs) -> None:
    import re

    marker = re.compile(r"\n\n(?:[IVX]+|[ivx]+|\d{1,2})\. |\n\n\(\d\) ")
    for doc in docs:
        for s in doc.sections:
            assert not marker.search(s.text), f"{s.path} holds another provision: {s.text[:80]!r}"


def test_the_clause_on_pilot_enterprises(docs) -> None:
    section = {s.path: s for s in docs[1].sections}["IV.i.3"]
    assert section.text.startswith("3. For market entities")
    assert "about 30 national pilot enterprises of patent operation" in section.text
    assert section.heading.startswith("Implementation Methods and Steps > Implementation methods")


def test_missing_numbers_inferred(docs) -> None:
    sections = {s.path: s for s in docs[1].sections}
    assert sections["IV.ii.2"].text.startswith("Cultivation (building) stage")
    assert sections["IV.ii.2(1)"].text.startswith("Relevant industrial cluster areas")
    assert any("inferred as '2'" in n for n in docs[1].notes)


def test_hyphenation_and_page_breaks_repaired(docs) -> None:
    text = docs[1].text
    for repaired in ("improve the overall quality", "rely on patent resources", "order-style patent R&D model",
                     "national patent collaboration;", "Collaborative Patent Utilization (Trial)"):
        assert repaired in text, repaired
    for broken in ("o-verall", "pa-tent", "re-sources", "collab-oration", "Utiliza-tion"):
        assert broken not in text, broken
    # Real hyphens stay.
    for compound in ("market-based", "cluster-based", "innovation-driven", "re-development", "medium-sized"):
        assert compound in text, compound
    # Sentences cut by page breaks are joined.
    assert "the spirit of the 18th CPC National Congress" in text
    assert "Each and every department has to truly understand" in docs[0].text
    # Em dashes the PDF put inside words are hyphens.
    assert "decision-making mechanism" in text and "decision\u2014making" not in text


def test_offsets_rebuild_the_text(docs) -> None:
    for doc in docs:
        for s in doc.sections:
            assert doc.text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("improve the o-", "verall quality", "improve the overall quality"),
        ("the pa-", "tent system", "the patent system"),
        ("market-", "based means", "market-based means"),
        ("patent-", "intensive industries", "patent-intensive industries"),
        ("a co-", "operative", "a co-operative"),  # attested hyphenated in the vocabulary below
    ],
)
def test_join_hyphenated(left: str, right: str, expected: str) -> None:
    vocab = vocabulary(["overall patent co-operative market-based"])
    assert join_hyphenated(left, right, vocab)[0] == expected


def test_roman_numerals() -> None:
    assert [roman_to_int(n) for n in ("i", "iv", "ix", "xii", "IV", "XIV")] == [1, 4, 9, 12, 4, 14]


def test_text_without_clauses_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Just a note.\n\nNothing numbered here.\n")
    with pytest.raises(ParseError, match="note.txt: clause tree: circular 1 has no numbered clause"):
        parse_circulars_text(path)
