"""USPTO full-text XML parser: real slices in tests/data/uspto, synthetic documents for edge cases.

The slices were cut from /work/shared/data/patents/uspto-xml at ``<?xml`` boundaries;
expected values were read off the XML by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from navsearch.errors import ParseError
from navsearch.ingest.uspto_xml import (
    _format_number,
    _normalise_ipc,
    iter_uspto_documents,
    parse_uspto_xml,
    split_documents,
)
from navsearch.types import Document

DATA = Path(__file__).parent / "data" / "uspto"


def _parse(name: str) -> list[Document]:
    return parse_uspto_xml(DATA / name, source=name)


def _sections(doc: Document) -> dict[str, object]:
    return {s.path: s for s in doc.sections}


# (file, number of <?xml declarations, number of patent documents)
COUNTS = [
    ("US08930553.xml", 1, 1),  # v4.5 grant
    ("ipa061228.one.xml", 1, 1),  # v4.1 application
    ("ipa130117.one.xml", 2, 2),  # v4.3 applications: ".one" holds two documents
    ("pa040101.two.xml", 1, 1),  # pap-v16 application: ".two" holds one document
    ("ipg050104.first2.xml", 2, 2),  # v4.0 grants
    ("ipg060103.first3.xml", 3, 3),  # v4.1: two designs and a statutory invention registration
    ("ipg060103.seqlist.xml", 2, 1),  # a grant, then a sequence listing (not a patent)
    ("ipg090106.first3.xml", 3, 3),  # v4.2 designs
    ("ipg100824-hyphenated.xml", 1, 1),
    ("ipg120327.first3.xml", 3, 3),  # designs: no abstract, no IPC
    ("ipg130416.first3.xml", 3, 3),  # v4.3 grants
]


@pytest.mark.parametrize(("name", "declarations", "documents"), COUNTS)
def test_document_counts(name: str, declarations: int, documents: int) -> None:
    data = (DATA / name).read_bytes()
    assert data.count(b"<?xml") == declarations
    assert len(split_documents(data)) == declarations
    assert len(_parse(name)) == documents


@pytest.mark.parametrize("name", [c[0] for c in COUNTS])
def test_section_offsets_are_exact(name: str) -> None:
    for doc in _parse(name):
        assert doc.sections, doc.doc_id
        for s in doc.sections:
            assert doc.text[s.start : s.end] == s.text
            assert s.text == s.text.strip() and "  " not in s.text
        paths = [s.path for s in doc.sections]
        assert len(paths) == len(set(paths)), doc.doc_id
        kinds = [s.kind for s in doc.sections]
        # abstract, then claims, then description
        assert kinds == sorted(kinds, key=["abstract", "claim", "description"].index)


def test_v45_grant() -> None:
    (doc,) = _parse("US08930553.xml")
    assert doc.doc_id == doc.number == "US8930553B2"
    assert doc.doc_type == "patent"
    assert doc.title == "Managing mid-dialog session initiation protocol (SIP) messages"
    assert doc.jurisdiction == "US" and doc.language == "en"
    assert doc.publication_date == date(2015, 1, 6)
    assert doc.application_date == date(2012, 10, 9)
    assert doc.priority_date is None
    assert doc.ipc == ["G06F15/16"]
    assert doc.assignee == "International Business Machines Corporation"
    assert len(doc.cited) == 16
    assert doc.cited[:3] == ["US7844851", "US7995466", "US8078737"]
    assert doc.source == "US08930553.xml"

    claims = [s for s in doc.sections if s.kind == "claim"]
    assert len(claims) == 8
    assert [c.claim_number for c in claims] == list(range(1, 9))
    by_path = _sections(doc)
    assert by_path["claim 1"].parent_claim is None
    assert by_path["claim 8"].parent_claim is None  # second independent claim
    assert by_path["claim 2"].parent_claim == 1
    assert by_path["claim 5"].parent_claim == 4
    # the printed "5. " is stripped; the number lives in claim_number
    assert by_path["claim 5"].text.startswith("The system according to claim 4 wherein")

    assert doc.sections[0].kind == "abstract" and doc.sections[0].path == "abstract"
    assert doc.sections[0].text.startswith("Processing mid-dialog SIP messages")
    para = by_path["[0012]"]
    assert para.kind == "description"
    assert para.heading == "BRIEF DESCRIPTION OF THE DRAWINGS"
    assert para.text.startswith("FIG. 4 is a simplified block diagram")
    assert by_path["[0001]"].heading == "FIELD OF THE INVENTION"


def test_v40_grants_fixed_width_ipc_and_priority() -> None:
    first, second = _parse("ipg050104.first2.xml")
    assert first.doc_id == "US6836899B1"
    assert first.title == "Device for detachably holding an absorbent napkin across the torso"
    assert first.publication_date == date(2005, 1, 4)
    assert first.application_date == date(2003, 1, 9)
    assert first.ipc == ["A45F5/04"]  # printed "A45F  504"
    assert len(first.cited) == 39
    assert first.cited[0] == "US675108" and "USD448703" in first.cited
    claims = [s for s in first.sections if s.kind == "claim"]
    assert len(claims) == 23
    by_path = _sections(first)
    assert by_path["claim 3"].parent_claim == 2
    assert by_path["claim 16"].parent_claim is None
    assert by_path["[00002]"].text == "1. Field of the Invention"  # description keeps numbering

    assert second.doc_id == "US6836979B2"
    assert second.priority_date == date(2002, 11, 27)  # Italian priority
    assert second.ipc == ["A43B13/14", "A43B23/00"]


def test_v43_grant() -> None:
    docs = _parse("ipg130416.first3.xml")
    assert [d.doc_id for d in docs] == ["USD680087S1", "USD680199S1", "US8418361B2"]
    doc = docs[2]
    assert doc.title == "Method of manufacturing printed circuit board having landless via hole"
    assert doc.priority_date == date(2008, 4, 15)
    assert doc.application_date == date(2011, 11, 18)
    assert doc.ipc == ["H05K3/02"]
    assert doc.assignee == "Samsung Electro-Mechanics Co., Ltd."
    assert len(doc.cited) == 7  # us-references-cited, patents only
    by_path = _sections(doc)
    assert [by_path[f"claim {n}"].parent_claim for n in range(1, 6)] == [None, 1, 1, 1, 4]


def test_pap_2004_application() -> None:
    (doc,) = _parse("pa040101.two.xml")
    assert doc.doc_id == "US20040000002A1"
    assert doc.title == "Garment for preventing muscle strain"
    assert doc.publication_date == date(2004, 1, 1)
    assert doc.application_date == date(2002, 6, 27)
    assert doc.ipc == ["A41B1/00"]  # printed "A41B001/00"
    assert doc.assignee == "Hill-Rom Services, Inc."
    assert doc.jurisdiction == "US"
    assert any("assumed US" in n for n in doc.notes)
    by_path = _sections(doc)
    claim = by_path["claim 1"]
    assert claim.claim_number == 1 and claim.parent_claim is None
    assert claim.text.startswith("A garment for releasably securing")  # "1." printed in <bold>
    para = by_path["[0012]"]
    assert para.heading == "BACKGROUND OF THE INVENTION"
    assert para.text.startswith("Another situation where")  # <number>[0012]</number> not in text
    assert by_path["[0036]"].heading == "DETAILED DESCRIPTION OF THE PREFERRED EMBODIMENTS"
    assert len([s for s in doc.sections if s.kind == "description"]) == 57


def test_v43_applications_in_one_file() -> None:
    first, second = _parse("ipa130117.one.xml")
    assert (first.doc_id, second.doc_id) == ("US20130014308A1", "US20130014306A1")
    assert first.title == "TYPING-MATE"
    assert first.assignee == "Yennifer Feliciano"  # an individual assignee
    assert second.assignee is None and second.cited == []
    assert second.ipc == ["A41D13/08", "A41D19/02"]
    assert len([s for s in second.sections if s.kind == "claim"]) == 14
    assert _sections(second)["claim 14"].parent_claim == 2


def test_design_patents_have_no_abstract() -> None:
    doc = _parse("ipg120327.first3.xml")[0]
    assert doc.doc_id == "USD656296S1"
    assert doc.ipc == [] and "no abstract" in doc.notes
    assert [s.path for s in doc.sections][:2] == ["claim 1", "[0001]"]
    assert len(doc.cited) == 36 and doc.cited[0] == "USD38206"


def test_statutory_invention_registration_number() -> None:
    doc = _parse("ipg060103.first3.xml")[2]
    assert doc.doc_id == "USH2140H1"  # doc-number H0002140
    assert doc.priority_date == date(1998, 11, 18)


def test_cited_numbers_drop_repeated_country() -> None:
    (doc,) = _parse("ipg100824-hyphenated.xml")
    assert doc.doc_id == "US7783348B2"
    assert "WO2008137319" in doc.cited  # printed WO / WO-2008137319
    assert len(doc.cited) == 79


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A45F  504", "A45F5/04"),
        ("C07C24900", "C07C249/00"),
        ("H01L 31107", "H01L31/107"),
        ("A41B001/00", "A41B1/00"),
        ("H01M 2/10", "H01M2/10"),
        ("G06F", "G06F"),
        ("nonsense", None),
    ],
)
def test_normalise_ipc(raw: str, expected: str | None) -> None:
    assert _normalise_ipc(raw) == expected


@pytest.mark.parametrize(
    ("country", "number", "expected"),
    [
        ("US", "06836899", "US6836899"),
        ("US", "D0534340", "USD534340"),
        ("US", "2001/0003163", "US20010003163"),
        ("WO", "WO 03/015838", "WO03/015838"),
        ("EP", "0 906 947", "EP0906947"),
    ],
)
def test_format_number(country: str, number: str, expected: str) -> None:
    assert _format_number(country, number) == expected


# ---------------------------------------------------------------------------
# Synthetic documents

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
DOCTYPE = b'<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v45-2014-04-03.dtd" [ ]>\n'


def _grant(number: bytes = b"08000001", body: bytes = b"", title: bytes = b"A widget") -> bytes:
    title_el = b"<invention-title>" + title + b"</invention-title>" if title else b""
    return (
        HEAD
        + DOCTYPE
        + b'<us-patent-grant><us-bibliographic-data-grant><publication-reference><document-id>'
        + b"<country>US</country><doc-number>" + number + b"</doc-number><kind>B2</kind>"
        + b"<date>20150106</date></document-id></publication-reference>"
        + b"<application-reference><document-id><country>US</country><doc-number>1</doc-number>"
        + b"<date>20120230</date></document-id></application-reference>"
        + b"<classifications-cpc><main-cpc><classification-cpc><section>H</section><class>01</class>"
        + b"<subclass>M</subclass><main-group>2</main-group><subgroup>1077</subgroup>"
        + b"</classification-cpc>"
        + b"</main-cpc></classifications-cpc>"
        + title_el
        + b"</us-bibliographic-data-grant>"
        + body
        + b"</us-patent-grant>\n"
    )


BODY = (
    b'<abstract><p num="0000">An &eacute;lan&mdash;widget &amp; more.</p></abstract>'
    b'<claims><claim id="CLM-00001" num="00001"><claim-text>1. A widget.</claim-text></claim>'
    b'<claim id="CLM-00002" num="00002"><claim-text>2. The widget of '
    b'<claim-ref idref="CLM-00001">claim 1</claim-ref>.</claim-text></claim>'
    b'<claim id="CLM-00003" num="00003"><claim-text>3. The widget of '
    b'<claim-ref idref="CLM-00001">claim 1</claim-ref>'
    b' or <claim-ref idref="CLM-00002">2</claim-ref>.</claim-text></claim></claims>'
    b'<description><heading>FIELD</heading><p num="0001">First <b>bold</b>.</p>'
    b'<p num="0000">Unnumbered in-line heading</p><p num="0001">Repeated number.</p>'
    b'<p num="0002"><chemistry><img file="x.tif"/></chemistry></p>'
    b"<description-of-drawings><heading>DRAWINGS</heading>"
    b'<p num="0003">FIG. 1 shows<ul><li>a</li><li>b</li></ul></p>'
    b"</description-of-drawings></description>"
)


def test_synthetic_grant_details() -> None:
    (doc,) = iter_uspto_documents(_grant(body=BODY), "synthetic.xml")
    assert doc.doc_id == "US8000001B2"
    assert doc.cpc == ["H01M2/1077"]
    assert doc.application_date is None
    assert any("invalid application date '20120230'" in n for n in doc.notes)
    by_path = _sections(doc)
    assert by_path["abstract"].text == "An \u00e9lan\u2014widget & more."
    assert any("2 named entities replaced" in n for n in doc.notes)
    assert by_path["claim 3"].parent_claim == 1  # "claim 1 or 2": the first one
    assert any("claim 3 refers to claims 1, 2" in n for n in doc.notes)
    paths = [s.path for s in doc.sections if s.kind == "description"]
    assert paths == ["[0001]", "¶2", "¶3", "[0003]"]
    assert by_path["¶2"].text == "Unnumbered in-line heading"  # num="0000" is not a number
    assert by_path["¶3"].text == "Repeated number."
    assert by_path["[0003]"].heading == "DRAWINGS"
    assert by_path["[0003]"].text == "FIG. 1 shows a b"
    assert any("without text" in n for n in doc.notes)
    for s in doc.sections:
        assert doc.text[s.start : s.end] == s.text


def test_unknown_named_entity_becomes_replacement_character() -> None:
    body = b"<abstract><p>x &notanentity; y</p></abstract>"
    (doc,) = iter_uspto_documents(_grant(body=body), "s.xml")
    assert doc.sections[0].text == "x \ufffd y"
    assert any("notanentity" in n for n in doc.notes)


def test_sequence_listing_is_skipped_and_noted() -> None:
    listing = (
        HEAD
        + b'<!DOCTYPE sequence-cwu SYSTEM "us-sequence-listing-2004-03-09.dtd" [ ]>\n'
        + b"<sequence-cwu><publication-reference><document-id><country>US</country>"
        + b"<doc-number>08000001</doc-number><kind>B2</kind></document-id></publication-reference>"
        + b"<s400>Cys Cys Thr</s400></sequence-cwu>\n"
    )
    data = _grant(body=BODY) + listing + _grant(number=b"08000002", body=BODY)
    docs = list(iter_uspto_documents(data, "bulk.xml"))
    assert [d.doc_id for d in docs] == ["US8000001B2", "US8000002B2"]
    assert "sequence listing (sequence-cwu) skipped" in docs[0].notes
    assert not any("sequence" in n for n in docs[1].notes)


def test_title_only_document_is_kept() -> None:
    (doc,) = iter_uspto_documents(_grant(), "s.xml")
    assert doc.title == "A widget" and doc.text == "" and doc.sections == []
    assert "no abstract, claims or description text" in doc.notes


def test_no_title_and_no_text_is_an_error() -> None:
    with pytest.raises(ParseError) as err:
        list(iter_uspto_documents(_grant(title=b""), "empty.xml"))
    assert err.value.source == "empty.xml"
    assert "document 1/1" in err.value.step and "content" in err.value.step


def test_unsupported_root_is_an_error() -> None:
    with pytest.raises(ParseError, match="unsupported root element <PATDOC>"):
        list(iter_uspto_documents(HEAD + b"<PATDOC><B100/></PATDOC>", "old.xml"))


def test_malformed_xml_names_document_and_step() -> None:
    data = _grant(body=BODY) + HEAD + b"<us-patent-grant><oops></us-patent-grant>"
    with pytest.raises(ParseError) as err:
        list(iter_uspto_documents(data, "broken.xml"))
    assert err.value.source == "broken.xml"
    assert err.value.step.startswith("document 2/2") and err.value.step.endswith("xml syntax")


def test_parse_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="read"):
        parse_uspto_xml(tmp_path / "missing.xml")


# ---------------------------------------------------------------------------
# Security: entity tricks are refused, the external DTD is never read

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<us-patent-grant><invention-title>&lol9;</invention-title></us-patent-grant>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<us-patent-grant><invention-title>&xxe;</invention-title></us-patent-grant>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [ <!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote; ]>
<us-patent-grant/>
"""


@pytest.mark.parametrize(
    "attack", [BILLION_LAUGHS, XXE, PARAMETER_ENTITY], ids=["billion-laughs", "xxe", "param-entity"]
)
def test_entity_attacks_are_refused(attack: bytes) -> None:
    with pytest.raises(ParseError) as err:
        list(iter_uspto_documents(attack, "evil.xml"))
    assert err.value.source == "evil.xml"
    assert err.value.step == "document 1/1 (byte 0): xml security"
    assert str(err.value).startswith("evil.xml: document 1/1")


def test_attack_inside_a_bulk_file_names_its_document(tmp_path: Path) -> None:
    path = tmp_path / "bulk.xml"
    path.write_bytes(_grant(body=BODY) + _grant(number=b"08000002", body=BODY) + XXE)
    with pytest.raises(ParseError) as err:
        parse_uspto_xml(path, source="bulk.xml")
    assert err.value.step.startswith("document 3/3") and err.value.step.endswith("xml security")
    assert "bulk.xml" in str(err.value)


def test_external_dtd_is_never_read(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "LEAKED">')
    data = (
        HEAD
        + f'<!DOCTYPE us-patent-grant SYSTEM "{dtd.as_uri()}" [ ]>\n'.encode()
        + _grant(body=b"<abstract><p>x &secret; y</p></abstract>").split(DOCTYPE, 1)[1]
    )
    (doc,) = iter_uspto_documents(data, "s.xml")
    assert "LEAKED" not in doc.text
    assert doc.sections[0].text == "x \ufffd y"
