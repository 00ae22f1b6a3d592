from __future__ import annotations

import json
from pathlib import Path

import pytest

from navsearch.errors import ParseError
from navsearch.ingest.patent_jsonl import parse_patent_jsonl


def test_real_records(data_dir: Path) -> None:
    docs = {d.doc_id: d for d in parse_patent_jsonl(data_dir / "patents" / "patsnap-slice.jsonl")}
    assert len(docs) == 350
    d = docs["US6078496"]
    assert d.title == "Portable computer with hinged detachable battery pack"
    assert d.doc_type == "patent" and d.jurisdiction == "US"
    assert d.text.startswith("A battery pack to be externally attached")
    assert [s.path for s in d.sections] == ["abstract"]
    assert d.publication_date is not None and d.application_date is not None
    assert d.ipc and all(" " not in c for c in d.ipc)
    ep = docs["EP0049154B2"]  # a record with an empty abstract is indexed by its title
    assert ep.text == ep.title and any("no abstract" in n for n in ep.notes)
    assert "[IID" not in (ep.assignee or "")


def _write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records))
    return path


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", "line 2: invalid JSON"),
        ({"title": "x"}, "line 2: missing field\\(s\\) publication_number"),
        ({"publication_number": "US1", "title": "x", "publication_date": "1999-13-45"}, "not an ISO date"),
        ({"publication_number": "12345", "title": "x"}, "is not like 'US5901035'"),
        ({"publication_number": "US5", "title": "dup"}, "duplicate publication_number US5"),
    ],
)
def test_bad_records_name_the_line(tmp_path: Path, record: object, message: str) -> None:
    path = _write(tmp_path, {"publication_number": "US5", "title": "ok", "abstract": "a"}, record)
    with pytest.raises(ParseError, match=message):
        parse_patent_jsonl(path)
