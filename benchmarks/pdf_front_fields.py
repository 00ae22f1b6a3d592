"""Front-page fields of real patent PDFs against values read by eye from the printed pages.

    .venv/bin/python benchmarks/pdf_front_fields.py [FOLDER]

FOLDER (default /work/shared/data/patents/pdf) holds the PDFs; the known values are
benchmarks/pdf_front_fields.json (application date from (22), priority date from (30),
assignee from (73), first IPC code of (51)). Prints each field that differs and the exact
match rate per field and overall.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from navsearch.ingest.pdf import parse_pdf  # noqa: E402

DEFAULT_FOLDER = Path("/work/shared/data/patents/pdf")
KNOWN = Path(__file__).with_name("pdf_front_fields.json")
FIELDS = ("application_date", "priority_date", "assignee", "ipc_first")


def fields_of(path: Path) -> dict[str, str | None]:
    (doc,) = parse_pdf(path, source=path.name, doc_type="patent")
    return {
        "application_date": doc.application_date.isoformat() if doc.application_date else None,
        "priority_date": doc.priority_date.isoformat() if doc.priority_date else None,
        "assignee": doc.assignee,
        "ipc_first": doc.ipc[0] if doc.ipc else None,
    }


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_FOLDER
    known = {k: v for k, v in json.loads(KNOWN.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    hits = {f: 0 for f in FIELDS}
    counted = 0
    for pid, expected in sorted(known.items()):
        path = folder / f"{pid}.pdf"
        if not path.exists():
            print(f"{pid}: missing")
            continue
        counted += 1
        got = fields_of(path)
        for f in FIELDS:
            if got[f] == expected[f]:
                hits[f] += 1
            else:
                print(f"{pid:<18} {f:<17} got {got[f]!r}, printed {expected[f]!r}")
    if not counted:
        return 1
    print()
    for f in FIELDS:
        print(f"{f:<17} {hits[f]}/{counted} = {hits[f] / counted:.1%}")
    total = sum(hits.values())
    print(f"{'all fields':<17} {total}/{counted * len(FIELDS)} = {total / (counted * len(FIELDS)):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
