"""Zip archives: a USPTO weekly bulk file as published, zip bombs refused within caps, and
members of other formats read or reported."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from navsearch.errors import ParseError, UnsupportedFormat
from navsearch.ingest.options import ParseOptions
from navsearch.ingest.registry import parse_file
from navsearch.ingest.uspto_xml import parse_uspto_xml, stream_documents
from navsearch.service import NavSearch

DATA = Path(__file__).parent / "data"
BULK = DATA / "uspto" / "ipg120327.first3.xml"  # three grants of a real weekly file, concatenated


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_uspto_bulk_zip_is_read_as_published(tmp_path: Path, fake_service: NavSearch) -> None:
    """ipgYYMMDD.zip holds one ipgYYMMDD.xml of concatenated documents."""
    expected = parse_uspto_xml(BULK)
    archive = _zip(tmp_path / "ipg120327.zip", {"ipg120327.xml": BULK.read_bytes()})
    docs = parse_file(archive, "ipg120327.zip")
    assert len(docs) == len(expected) == BULK.read_bytes().count(b"<?xml") == 3
    assert [d.doc_id for d in docs] == [d.doc_id for d in expected]
    assert [d.text for d in docs] == [d.text for d in expected]
    report = fake_service.ingest([archive], progress=False)
    (row,) = report.files
    assert (row.status, row.format, row.documents, row.kinds) == ("indexed", "zip", 3, ["patent"])


def test_the_stream_is_cut_as_the_whole_file_is(tmp_path: Path) -> None:
    data = BULK.read_bytes()
    for block in (100, 4096, 1 << 20):  # declarations split across reads
        chunks = iter([data[i : i + block] for i in range(0, len(data), block)] + [b""])
        pieces = list(stream_documents(lambda n: next(chunks)))
        assert b"".join(p for _, p in pieces) == data
        assert [offset for offset, _ in pieces] == [i for i in range(len(data)) if data.startswith(b"<?xml", i)]


def test_an_xml_zip_bomb_is_refused_within_the_caps(tmp_path: Path) -> None:
    bomb = b'<?xml version="1.0"?>\n<us-patent-grant>' + b" " * (64 << 20) + b"</us-patent-grant>"
    archive = _zip(tmp_path / "ipg990101.zip", {"ipg990101.xml": bomb})
    assert archive.stat().st_size < 200_000  # 64 MB in well under 0.2 MB
    with pytest.raises(ParseError) as info:
        parse_file(archive, "ipg990101.zip")
    assert info.value.step == "archive member ipg990101.xml"
    assert "above ingest.archive_max_ratio = 100 (a zip bomb?); refused" in info.value.reason
    # The size cap holds even where the ratio would not stop it.
    options = replace(ParseOptions.for_file("x"), archive_max_ratio=10_000, archive_max_member_mb=2)
    with pytest.raises(ParseError, match="expands past ingest.archive_max_member_mb = 2 MB; refused"):
        parse_file(archive, "ipg990101.zip", options)


def test_too_many_members_are_refused_before_reading(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "many.zip", {f"{i}.txt": b"A note." for i in range(5)})
    options = replace(ParseOptions.for_file("many.zip"), archive_max_members=4)
    with pytest.raises(ParseError, match="5 files, more than ingest.archive_max_members = 4; refused"):
        parse_file(archive, "many.zip", options)


def test_other_members_are_read_or_named(tmp_path: Path) -> None:
    memo = (DATA / "docs" / "memo.txt").read_bytes()
    archive = _zip(tmp_path / "docs.zip", {"docs/memo.txt": memo, "docs/photo.bmp": b"BM", "inner.zip": b"PK"})
    (doc,) = parse_file(archive, "docs.zip")
    assert doc.doc_id == "memo" and doc.source == "docs.zip!docs/memo.txt" and doc.doc_type == "policy"
    note = doc.notes[-1]
    assert note.startswith("archive members not read: docs/photo.bmp (unsupported suffix '.bmp'")
    assert "inner.zip (an archive inside the archive is not opened)" in note
    only_unknown = _zip(tmp_path / "pictures.zip", {"a.bmp": b"BM"})
    with pytest.raises(UnsupportedFormat, match="archive members not read: a.bmp"):
        parse_file(only_unknown, "pictures.zip")
