"""ADGM rulebooks (ObliQA text files): rule numbers as paths, heading chains, metadata.

Slices of four real files live in tests/data/adgm (the first 270 lines of COBS, 104 of
AML, 70 of FSMR, 250 of the Continuous Disclosure guidance) with ObliQA's DocumentMap.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from navsearch.errors import ParseError
from navsearch.ingest.adgm import (
    canonical_number,
    document_map_id,
    load_document_map,
    looks_like_adgm_rulebook,
    match_marker,
    parse_adgm_rulebook,
    short_name,
    slug,
    version_date,
)
from navsearch.types import Document

COBS = "COBS_VER15.150823.txt"
AML = "AML_VER09.211223.txt"
FSMR = "FSMR (Consolidated_December 2023).txt"
GUIDANCE = "Guidance - Continuous Disclosure_VER01.280922.txt"


@pytest.fixture(scope="module")
def adgm_dir(data_dir: Path) -> Path:
    return data_dir / "adgm"


def parse_one(path: Path, **kwargs) -> Document:
    (doc,) = parse_adgm_rulebook(path, **kwargs)
    return doc


@pytest.fixture(scope="module")
def cobs(adgm_dir: Path) -> Document:
    return parse_one(adgm_dir / COBS)


def clause_paths(doc: Document) -> list[str]:
    """Paths of the retrievable provisions (heading lines are sections of kind "heading")."""
    return [s.path for s in doc.sections if s.kind == "clause"]


def section(doc: Document, path: str):
    found = [s for s in doc.sections if s.path == path]
    assert found, f"no section {path!r}; paths: {[s.path for s in doc.sections][:40]}"
    return found[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- rule numbers and headings ---------------------------------------------------------
def test_rule_numbers_become_paths_in_obliqa_style(cobs: Document) -> None:
    paths = clause_paths(cobs)
    for expected in ("1.1", "2.1.1", "2.1.3", "2.1.3.Guidance.1", "2.1.3.Guidance.2", "2.2.1",
                     "2.4.2.(a)", "2.4.3", "2.4.4.Individuals.(a)", "2.4.4.Undertakings.Guidance.4",
                     "2.5.Guidance", "3.2.4.(a).Guidance.1"):
        assert expected in paths
    assert paths.index("2.1.3") < paths.index("2.1.3.Guidance.1") < paths.index("2.2.1")
    assert {s.kind for s in cobs.sections} == {"clause", "heading"}


def test_heading_lines_feed_the_heading_chain_and_stay_in_the_text(cobs: Document) -> None:
    paths = set(clause_paths(cobs))
    # "2.<TAB>CLIENT CLASSIFICATION", "2.1<TAB>Application", "2.1.3.Guidance" are headings:
    # not provisions to retrieve, but in the text where a reader sees them, cited by number.
    assert not {"2", "2.1", "2.2", "2.1.3.Guidance"} & paths
    heading = section(cobs, "2.1")
    assert heading.kind == "heading" and cobs.text[heading.start : heading.end] == "2.1\tApplication"
    assert heading.heading == "CLIENT CLASSIFICATION"
    assert cobs.text.index("2.1\tApplication") < section(cobs, "2.1.1").start
    assert section(cobs, "2.1.3").heading == "CLIENT CLASSIFICATION > Application"
    assert section(cobs, "2.1.3.Guidance.1").heading == "CLIENT CLASSIFICATION > Application > Guidance"
    assert section(cobs, "2.2.1").heading == "CLIENT CLASSIFICATION > Client Categorisation"
    assert section(cobs, "2.4.4.Individuals.(b)").heading == (
        'CLIENT CLASSIFICATION > Professional Clients > "Assessed" Professional Clients > Individuals'
    )
    # A caption with the rule text on the next lines is a section, its caption in the chain.
    assert section(cobs, "1.1").heading == "INTRODUCTION > Application"
    assert section(cobs, "1.1").text.startswith("1.1\tApplication\nThis Rulebook applies")


def test_lettered_items_stay_inside_their_rule(cobs: Document) -> None:
    rule = section(cobs, "2.1.3")
    assert "(a)\ta Credit Rating Agency" in rule.text and "(d)\tan Authorised Person" in rule.text
    assert all(re.match(r"\d", s.path) for s in cobs.sections)  # no "(a)" path on its own
    deemed = section(cobs, "2.4.2.(a)")
    assert "(xii)\ta Subsidiary or a Parent" in deemed.text and "(C)\town funds" in deemed.text


def test_offsets_are_exact_and_paths_unique(adgm_dir: Path) -> None:
    for name in (COBS, AML, FSMR, GUIDANCE):
        doc = parse_one(adgm_dir / name)
        assert doc.sections, name
        for s in doc.sections:
            assert doc.text[s.start:s.end] == s.text
        paths = [s.path for s in doc.sections]
        assert len(paths) == len(set(paths)), name
        assert "\u200e" not in doc.text  # direction marks removed ("Rule \u200e1.3.3")


# --- cross-references are never markers -------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "Rule 1.3.3 applies to every Relevant Person.",
        "in accordance with 2.4.1 the Authorised Person must",
        "section 151 of FSMR applies.",
        "2.4.1 of these Rules applies equally to branches.",  # number, then a lower-case word
        "3 months after the date of the notice",
        "(a)\tan Authorised ISPV;",
        "A.\ta transaction related to an individual Financial Instrument",
    ],
)
def test_cross_references_and_list_items_are_not_markers(line: str) -> None:
    assert match_marker(line) is None


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("2.1.3.Guidance.1\tThe Regulated Activity", "2.1.3.Guidance.1"),
        ("1.2.1.(2)\tIn respect of", "1.2.1.(2)"),
        ("Part 1.Chapter 1.1.(1)\tThe Regulator has", "Part 1.Chapter 1.1.(1)"),
        ("Schedule 1.Part 3 .85.(1)\tA Deposit is", "Schedule 1.Part 3.85.(1)"),
        ("PART 2.2.1.16 Sukuks. An arrangement", "PART 2.2.1.16"),
        ("PART 1.INTRODUCTION", "PART 1"),
        ("7.1.3.Guidance on high-risk customers .1.\tWhen assessing", "7.1.3.Guidance on high-risk customers.1"),
        ("12)\tINTRODUCTION", "12)"),
        ("SECTION VIII.C.1.\tThe term", "SECTION VIII.C.1"),
    ],
)
def test_markers_of_every_style(line: str, number: str) -> None:
    marker = match_marker(line)
    assert marker is not None and canonical_number(marker[0]) == number


def test_a_cross_reference_in_the_text_stays_text(tmp_path: Path) -> None:
    path = write(tmp_path, "TEST_VER01.010124.txt", (
        "1\tINTRODUCTION\n"
        "1.1\tApplication\n"
        "1.1.1\tA firm must comply with Rule 1.3.3 and section 151 of FSMR.\n"
        "2.4.1 of the Rules applies equally to branches, in accordance with 2.4.2.\n"
        "1.1.2\tSee Rule 2.4.1.\n"
    ))
    doc = parse_one(path)
    assert clause_paths(doc) == ["1.1.1", "1.1.2"]
    assert "2.4.1 of the Rules applies" in section(doc, "1.1.1").text
    assert all("2.4.1" not in (s.heading or "") for s in doc.sections)


def test_aml_cross_references_and_tables(adgm_dir: Path) -> None:
    doc = parse_one(adgm_dir / AML)
    scope = section(doc, "1.2.1.(1)")
    assert "the Persons specified in Rule 1.3.3 as being responsible" in scope.text
    chain = "INTRODUCTION > Responsibility for compliance with the AML Rulebook"
    assert section(doc, "1.3.3.(1)").heading == chain
    # The application table (rows "11 - 14", "NPO<TAB>16") is text of the rule it follows.
    guidance = section(doc, "1.2.1.Guidance.3")
    assert "/Table Start" in guidance.text and "\n11 - 14\n" in guidance.text and "NPO\t16" in guidance.text
    assert not {"11", "16"} & {s.path for s in doc.sections}
    assert any("1 table(s)" in n for n in doc.notes)


# --- other numbering styles ---------------------------------------------------------------
def test_fsmr_parts_chapters_sections_and_preamble(adgm_dir: Path) -> None:
    doc = parse_one(adgm_dir / FSMR)
    assert doc.sections[0].kind == "preamble" and doc.sections[0].path == "preamble"
    assert doc.sections[0].text.startswith("FINANCIAL SERVICES AND MARKETS REGULATIONS 2015")
    s = section(doc, "Part 1.Chapter 1.1.(3)")
    assert s.heading == (
        "The Regulator > Powers, Functions and Objectives > Powers, Functions and Objectives of the Regulator"
    )
    assert "(k)\tto pursue any other objectives" in s.text
    assert section(doc, "Part 2.Chapter 1.3.(2)").heading.startswith("Rules and Guidance > Rule making Powers")


def test_guidance_numbered_paragraphs_and_quoted_rules(adgm_dir: Path) -> None:
    doc = parse_one(adgm_dir / GUIDANCE)
    paths = [s.path for s in doc.sections]
    assert paths[:3] == ["1)", "2)", "3)"] and "42)" in paths
    assert section(doc, "10)").heading == "IMPORTANCE OF CONTINUOUS DISCLOSURE"
    # MKT Rules 7.2.1 and 7.2.2 quoted inside paragraph 15) are its text, not provisions.
    assert "7.2.1" not in paths and "7.2.2" not in paths
    assert "7.2.1\t(1)\tOnce a Reporting Entity" in section(doc, "15)").text
    assert any("quoted rules" in n for n in doc.notes)


def test_appendix_provisions_get_the_appendix_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, "PIN_VER05.181223.txt", (
        "1\tAPPLICATION\n1.1.1\tThese Rules apply to an Insurer.\n"
        "APP1\tGUIDE TO THE APPENDICES\n"
        "A1.1\tGuide to the appendices\n"
        "A1.1.Guidance\n"
        "A1.1.Guidance.1.\tIn PIN, appendices present detailed material.\n"
        "A1.1.Guidance.2.\tAPP2 presents detailed guidance.\n"
    ))
    doc = parse_one(path)
    assert clause_paths(doc) == ["1.1.1", "APP1.A1.1.Guidance.1", "APP1.A1.1.Guidance.2"]
    chain = "GUIDE TO THE APPENDICES > Guide to the appendices > Guidance"
    assert section(doc, "APP1.A1.1.Guidance.1").heading == chain


def test_a_number_repeated_on_each_subsection_line(tmp_path: Path) -> None:
    path = write(tmp_path, "FSMR.txt", (
        "Part 12\tRecognised Bodies\n"
        "Part 12.Chapter 1.134.\tSupervision. Revoking recognition\n"
        "Part 12.Chapter 1.134.\t(1)\tA Recognition Order may be revoked.\n"
        "Part 12.Chapter 1.134.\t(2)\tIf it appears to the Regulator that a Recognised Body—\n"
        "(a)\tis failing to satisfy the Recognition Requirements,\n"
        "it may make an order revoking the Recognition Order.\n"
    ))
    doc = parse_one(path)
    assert clause_paths(doc) == ["Part 12.Chapter 1.134.(1)", "Part 12.Chapter 1.134.(2)"]
    assert "(a)\tis failing" in section(doc, "Part 12.Chapter 1.134.(2)").text


def test_a_repeated_number_is_suffixed_and_noted(tmp_path: Path) -> None:
    path = write(tmp_path, "GEN_VER08.181223.txt", (
        "5.2.13\tAn Authorised Person must keep records.\n"
        "5.2.14\tAn Authorised Person must notify the Regulator.\n"
        "5.2.13\tAn Authorised Person must keep records for six years.\n"
    ))
    doc = parse_one(path)
    assert clause_paths(doc) == ["5.2.13", "5.2.14", "5.2.13#2"]
    assert any("repeated rule number" in n and "5.2.13" in n for n in doc.notes)


# --- metadata --------------------------------------------------------------------------
def test_metadata_from_the_file_name_and_the_document_map(cobs: Document) -> None:
    assert cobs.doc_id == "cobs-ver15-150823"
    assert cobs.doc_type == "policy"
    assert cobs.number == "COBS"
    assert cobs.publication_date == date(2023, 8, 15)
    assert cobs.jurisdiction == "AE-ADGM"
    assert cobs.issuer == "Financial Services Regulatory Authority (FSRA), ADGM"
    assert cobs.title == "Conduct of Business Rulebook"


def test_fsmr_metadata_without_a_version_stamp(adgm_dir: Path) -> None:
    doc = parse_one(adgm_dir / FSMR)
    assert doc.number == "FSMR" and doc.publication_date is None
    assert doc.doc_id == "fsmr-consolidated-december-2023"
    assert any("no unambiguous date" in n for n in doc.notes)


def test_title_without_a_document_map(tmp_path: Path, adgm_dir: Path) -> None:
    shutil.copy(adgm_dir / FSMR, tmp_path / FSMR)
    shutil.copy(adgm_dir / COBS, tmp_path / COBS)
    assert parse_one(tmp_path / FSMR).title == "FINANCIAL SERVICES AND MARKETS REGULATIONS 2015"  # title line
    assert parse_one(tmp_path / COBS).title == "COBS_VER15.150823"  # no title line: the stem
    assert parse_one(tmp_path / COBS, title="COBS rulebook").title == "COBS rulebook"


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("COBS_VER15.150823", date(2023, 8, 15)),
        ("CONF_VER03.18042019", date(2019, 4, 18)),
        ("GPM VER03.120623", date(2023, 6, 12)),
        ("Guidance - Virtual Asset Activities in ADGM (VER05.181223)", date(2023, 12, 18)),
        ("UAE_CRS_Guidance_Notes_17 June 2020 (002)", date(2020, 6, 17)),
        ("Guidance - Digital Securities Offerings_240220", None),  # YYMMDD or DDMMYY: unknown
        ("BRR Regulations (December 2018)", None),
    ],
)
def test_version_dates(stem: str, expected: date | None) -> None:
    assert version_date(stem) == expected


def test_short_names_and_slugs() -> None:
    assert short_name("AML_VER09.211223") == "AML"
    assert short_name("GPM VER03.120623") == "GPM"
    assert short_name("BRR Regulations (December 2018)") == "BRR"
    assert short_name("Guidance - Private Credit Funds_VER01.040523") is None
    assert slug("Guidance  Regulation of Digital Securities Activities in ADGM_240224") == (
        "guidance-regulation-of-digital-securities-activities-in-adgm-240224"
    )


def test_document_map(adgm_dir: Path) -> None:
    entries = load_document_map(adgm_dir / "DocumentMap.rtf")
    assert len(entries) == 40
    assert entries[3][0] == "COBS_VER15.150823"
    assert entries[12][2] == "Prudential \u2013 Insurance Business (PIN)"  # \'96 decoded as cp1252
    assert document_map_id("GPM VER03.120623", entries) == 27
    assert document_map_id("CRS Regulations 2017 (Consolidated_October 2023) v6", entries) == 15
    assert document_map_id("Not a rulebook", entries) is None


# --- routing ---------------------------------------------------------------------------
def test_content_sniff_tells_rulebooks_from_circulars(adgm_dir: Path, data_dir: Path) -> None:
    for name in (COBS, AML, FSMR, GUIDANCE):
        head = (adgm_dir / name).read_bytes()[:4096].decode("utf-8", errors="replace")
        assert looks_like_adgm_rulebook(head), name
    circular = (data_dir / "policy" / "sipo-circulars-2013.txt").read_bytes()[:4096]
    assert not looks_like_adgm_rulebook(circular.decode("utf-8", errors="replace"))


# --- errors ----------------------------------------------------------------------------
def test_no_numbered_rule_is_a_parse_error(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "Meeting notes\nWe discussed Rule 2.4.1 and section 151.\n")
    with pytest.raises(ParseError, match="no numbered rule"):
        parse_adgm_rulebook(path)


def test_undecodable_file_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "COBS_VER15.150823.txt"
    path.write_bytes(b"1.1\tApplication \xff\xfe\x00 broken")
    with pytest.raises(ParseError, match="read text"):
        parse_adgm_rulebook(path)
