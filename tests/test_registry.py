"""The format table: every parser path resolves, and each bundled sample picks its format."""

from __future__ import annotations

from pathlib import Path

import pytest

from navsearch.errors import UnsupportedFormat
from navsearch.ingest.registry import FORMATS, SUFFIXES, UNDETECTED, format_for, iter_files, parser_for

DATA = Path(__file__).parent / "data"

# Format of each bundled sample, by its folder under tests/data (file names where a folder mixes).
EXPECTED_BY_FOLDER = {
    "adgm": "adgm_rulebook",
    "patents": "patsnap_jsonl",
    "pdf": "pdf",
    "policy": "text",
    "docs": "text",
    "uspto": "uspto_xml",
}
EXPECTED_BY_NAME = {
    "expected_abstracts.json": "gdpr_json",  # a test fixture, not a corpus file: .json is always GDPR
    "front_fields.json": "gdpr_json",
    "gdpr-slice.json": "gdpr_json",
    "usc35-slice.xml": "uslm",
    "专利法(2020-10-17).md": "cn_law_markdown",
}


def test_every_entry_resolves_to_a_callable() -> None:
    names = [fmt.name for fmt in FORMATS]
    assert len(names) == len(set(names))
    for fmt in FORMATS:
        assert callable(fmt.load()), fmt.parser
        assert fmt.suffixes and all(s.startswith(".") and s == s.lower() for s in fmt.suffixes), fmt.name
    assert SUFFIXES == {s for fmt in FORMATS for s in fmt.suffixes}
    # A suffix whose every entry has a detector needs a message for files none accepts.
    for suffix in SUFFIXES:
        if all(fmt.detect is not None for fmt in FORMATS if suffix in fmt.suffixes):
            assert suffix in UNDETECTED, suffix


def test_each_bundled_sample_picks_its_format() -> None:
    # Every file is found, known format or not (SOURCES.md notes are skipped by name).
    samples = [p for p in iter_files([DATA]) if p.suffix != ".rtf"]
    assert (DATA / "adgm" / "DocumentMap.rtf") in set(iter_files([DATA]))
    assert len(samples) >= 20
    for path in samples:
        expected = EXPECTED_BY_NAME.get(path.name) or EXPECTED_BY_FOLDER[path.parent.name]
        assert format_for(path).name == expected, path
        assert parser_for(path) is format_for(path).load()


def test_shared_suffixes_are_told_apart_by_content(tmp_path: Path) -> None:
    passages = tmp_path / "p.jsonl"
    passages.write_text('{"passage_id": "1", "text": "x"}\n', encoding="utf-8")
    assert format_for(passages).name == "passages_jsonl"
    uslm = tmp_path / "title.XML"
    uslm.write_text('<lawDoc xmlns="http://xml.house.gov/schemas/uslm/1.0"/>', encoding="utf-8")
    assert format_for(uslm).name == "uslm"
    circular = tmp_path / "note.txt"
    circular.write_text("一、总则\n", encoding="utf-8")
    assert format_for(circular).name == "text"
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\n", encoding="utf-8")
    assert format_for(notes).name == "markdown"  # Markdown without 第N条 articles: a document


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("a.xml", "<root/>", "XML that is neither USLM nor USPTO patent full text"),
        (
            "c.rtf",
            "{\\rtf1}",
            "unsupported suffix '.rtf'; expected one of ['.docx', '.htm', '.html', '.json', '.jsonl', "
            "'.markdown', '.md', '.pdf', '.text', '.txt', '.xhtml', '.xml', '.zip']",
        ),
    ],
)
def test_unsupported_files_are_refused_with_a_reason(tmp_path: Path, name: str, content: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnsupportedFormat) as excinfo:
        parser_for(path)
    assert str(excinfo.value) == f"{path}: detect format: {reason}"
