"""Coverage of the ADGM rulebook parser against ObliQA's passage split.

Reads /work/shared/data/policy/obliqa (the project's shared data set, not part of the
repository); pass another folder as the first argument to use it instead:

    .venv/bin/python benchmarks/obliqa_coverage.py [FOLDER]

The folder holds ``regulations-txt/*.txt`` (40 ADGM rulebooks), ``DocumentMap.rtf``
(ObliQA document id -> file stem and titles), ``passages.jsonl`` (13,732 passages
``{_id, document_id, passage_id, text}``) and ``qrels.dev.tsv`` (dev questions -> gold
passage ``_id``). Every rulebook is parsed with ``navsearch.ingest.adgm``; each ObliQA
passage is looked up in its document by rule number.

Normalisation of a passage id before lookup, exactly:
  1. invisible direction marks (U+200E, U+200F, U+FEFF) are removed (the parser removes
     them from the text too);
  2. ``canonical_number`` as the parser applies it to printed numbers: whitespace around
     dots and doubled dots collapse to one dot ("Part 3 .85" -> "Part 3.85",
     "APP6..A6" -> "APP6.A6", "21.3.4. Guidance" -> "21.3.4.Guidance"), a space before
     "Guidance" becomes a dot, a bracketed item glued to a word gets its dot
     ("Guidance(ii)" -> "Guidance.(ii)"), and trailing dots and colons are dropped
     ("1." -> "1", "PART 5:" -> "PART 5").
Section paths lose a "#2"-style suffix (a repeated number) before comparison. Where
ObliQA repeats one id for several subsections whose text opens "(n)<TAB>" (FSMR
"Part 12.Chapter 1.134." seven times), the id is looked up as "<id>.(n)" first, the path
the parser gives those subsections.

A passage counts as found, in this order, when its normalised id is
  - ``section``: the path of a section of the parsed document;
  - ``heading``: the number of a heading line the parser read into the heading chain
    (``2.1<TAB>Application`` before ``2.1.1``; empty containers such as ``1.1.1``);
  - ``cut``: only after cutting the id to its leading rule number with the parser's own
    marker grammar (ObliQA took everything before the tab: "PART 2.3.1.1.(2) A");
  - ``title``: the document's title line ("FINANCIAL SERVICES AND MARKETS REGULATIONS
    2015"), whose text the parser keeps in the ``preamble`` section.
Anything else is a miss, classified by what the source file shows for it.

Prints the tables and writes the same figures to benchmarks/reports/obliqa_coverage.json.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from navsearch.ingest.adgm import (  # noqa: E402
    INVISIBLE,
    canonical_number,
    clean_lines,
    document_map_id,
    load_document_map,
    match_marker,
    outline_adgm_rulebook,
    parse_adgm_rulebook,
)

DEFAULT_FOLDER = Path("/work/shared/data/policy/obliqa")
REPORT = Path(__file__).resolve().parent / "reports" / "obliqa_coverage.json"
EXAMPLES = 6


@dataclass
class Parsed:
    """What the parser found in one rulebook, keyed for lookup."""

    file: str
    doc_id: str
    sections: set[str]
    headings: set[str]
    folded: set[str]  # numbers the parser read as list items / quoted rules
    title_line: str | None
    line_starts: list[str]  # cleaned source lines, to classify misses
    n_sections: int
    notes: list[str] = field(default_factory=list)


def normalise(passage_id: str) -> str:
    return canonical_number(INVISIBLE.sub("", passage_id))


def parse_all(folder: Path) -> tuple[dict[int, Parsed], list[str]]:
    """Parse every rulebook; key them by ObliQA document id via the DocumentMap."""
    entries = load_document_map(folder / "DocumentMap.rtf")
    parsed: dict[int, Parsed] = {}
    unmapped: list[str] = []
    for path in sorted((folder / "regulations-txt").glob("*.txt")):
        doc_number = document_map_id(path.stem, entries)
        if doc_number is None:
            unmapped.append(path.name)
            continue
        (doc,) = parse_adgm_rulebook(path, source=path.name)
        outline, _ = outline_adgm_rulebook(path)
        lines, _ = clean_lines(path.read_text(encoding="utf-8-sig"))
        first = next((line.split("\t")[0].strip() for line in lines if line.strip()), None)
        parsed[doc_number] = Parsed(
            file=path.name,
            doc_id=doc.doc_id,
            sections={re.sub(r"#\d+$", "", s.path) for s in doc.sections},
            headings={p.number for p in outline.provisions if p.heading_only},
            folded={p.number for p in outline.folded},
            title_line=first if any(s.path == "preamble" for s in doc.sections) else None,
            line_starts=lines,
            n_sections=len(doc.sections),
            notes=doc.notes,
        )
    return parsed, unmapped


def lookup(raw_id: str, doc: Parsed, text: str = "") -> str | None:
    """How a passage id is found in the parsed document (see the module docstring), or None."""
    number = normalise(raw_id)
    sub = re.match(r"\((\d{1,3}[A-Za-z]?)\)\t", text)
    if sub and f"{number}.({sub.group(1)})" in doc.sections:
        return "section"  # "Part 12.Chapter 1.134." seven times, each text opening "(n)<TAB>"
    if number in doc.sections:
        return "section"
    if number in doc.headings:
        return "heading"
    marker = match_marker(INVISIBLE.sub("", raw_id).strip())
    if marker:
        cut = canonical_number(marker[0])
        if cut != number and (cut in doc.sections or cut in doc.headings):
            return "cut"
    if doc.title_line and raw_id.strip() == doc.title_line:
        return "title"
    return None


def classify_miss(raw_id: str, doc: Parsed) -> str:
    """Why a passage id was not found, judged from the source file."""
    number = normalise(raw_id)
    if not re.search(r"\d", number):
        return "id without a number (a word heading: 'Definitions', 'SECTION')"
    if number in doc.folded:
        return "bare number in a document numbered otherwise (read as list item / quoted rule)"
    bare = INVISIBLE.sub("", raw_id).strip().rstrip(".")
    printed = [line for line in doc.line_starts if line.startswith(bare)]
    if not printed:
        return "id not printed at a line start (composed by ObliQA or garbled in the file)"
    if any(line[len(bare):len(bare) + 1] not in ("", "\t", " ", ".") for line in printed):
        return "number glued to its text in the file ('...Guidance.1The information')"
    return "printed at a line start but not read as a marker"


def load_passages(folder: Path) -> list[dict]:
    with (folder / "passages.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_qrels(folder: Path) -> list[tuple[str, str]]:
    with (folder / "qrels.dev.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return [(r[0], r[1]) for r in rows[1:] if len(r) >= 2]


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(folder: Path) -> dict:
    started = time.perf_counter()
    parsed, unmapped = parse_all(folder)
    parse_seconds = time.perf_counter() - started
    passages = load_passages(folder)
    qrels = load_qrels(folder)

    how: dict[str, str | None] = {}  # passage _id -> how found
    by_doc: dict[int, Counter] = defaultdict(Counter)
    misses: dict[str, list[str]] = defaultdict(list)
    for p in passages:
        doc = parsed.get(p["document_id"])
        found = lookup(p["passage_id"], doc, p.get("text") or "") if doc else None
        how[p["_id"]] = found
        by_doc[p["document_id"]]["passages"] += 1
        by_doc[p["document_id"]][found or "missed"] += 1
        if found is None:
            reason = classify_miss(p["passage_id"], doc) if doc else "document not parsed"
            misses[reason].append(f"{p['document_id']}:{p['passage_id']}")

    gold_ids = {corpus_id for _, corpus_id in qrels}
    gold_rows = [corpus_id for _, corpus_id in qrels]
    passage_doc = {p["_id"]: p["document_id"] for p in passages}
    for corpus_id in gold_ids:
        d = passage_doc.get(corpus_id)
        if d is not None:
            by_doc[d]["gold"] += 1
            by_doc[d]["gold_found"] += how.get(corpus_id) is not None

    kinds = Counter(how.values())
    total = len(passages)
    found_total = total - kinds[None]
    gold_found = sum(how.get(g) is not None for g in gold_ids)
    gold_as_section = sum(how.get(g) in ("section", "cut", "title") for g in gold_ids)
    rows_found = sum(how.get(g) is not None for g in gold_rows)
    documents = []
    for d in sorted(by_doc):
        c = by_doc[d]
        info = parsed.get(d)
        documents.append({
            "document_id": d,
            "file": info.file if info else None,
            "doc_id": info.doc_id if info else None,
            "sections": info.n_sections if info else 0,
            "passages": c["passages"],
            "found": c["passages"] - c["missed"],
            "as_section": c["section"] + c["cut"] + c["title"],
            "as_heading": c["heading"],
            "coverage": round(share(c["passages"] - c["missed"], c["passages"]), 4),
            "gold": c["gold"],
            "gold_found": c["gold_found"],
        })
    return {
        "folder": str(folder),
        "parse_seconds": round(parse_seconds, 2),
        "documents_parsed": len(parsed),
        "files_not_in_document_map": unmapped,
        "all_passages": {
            "total": total,
            "found": found_total,
            "coverage": round(share(found_total, total), 4),
            "found_as": {k: kinds[k] for k in ("section", "heading", "cut", "title")},
            "missed": kinds[None],
        },
        "gold_passages": {
            "unique": len(gold_ids),
            "unique_found": gold_found,
            "unique_coverage": round(share(gold_found, len(gold_ids)), 4),
            "unique_found_as_section": gold_as_section,
            "qrel_rows": len(gold_rows),
            "qrel_rows_found": rows_found,
            "qrel_rows_coverage": round(share(rows_found, len(gold_rows)), 4),
        },
        "documents": documents,
        "misses": [
            {"kind": kind, "count": len(ids), "examples": ids[:EXAMPLES]}
            for kind, ids in sorted(misses.items(), key=lambda kv: -len(kv[1]))
        ],
    }


def print_report(r: dict) -> None:
    a, g = r["all_passages"], r["gold_passages"]
    print(f"ObliQA coverage of navsearch.ingest.adgm  ({r['documents_parsed']} rulebooks parsed "
          f"in {r['parse_seconds']}s from {r['folder']})")
    if r["files_not_in_document_map"]:
        print(f"  files not in DocumentMap: {r['files_not_in_document_map']}")
    print(f"\nall passages:   {a['found']:>6} / {a['total']:<6} = {a['coverage']:.2%}   "
          f"(as section {a['found_as']['section']}, heading {a['found_as']['heading']}, "
          f"cut id {a['found_as']['cut']}, title->preamble {a['found_as']['title']}; missed {a['missed']})")
    print(f"gold (unique):  {g['unique_found']:>6} / {g['unique']:<6} = {g['unique_coverage']:.2%}   "
          f"(as a section: {g['unique_found_as_section']})")
    print(f"gold (qrel rows): {g['qrel_rows_found']:>4} / {g['qrel_rows']:<6} = {g['qrel_rows_coverage']:.2%}")
    print(f"\n{'id':>3} {'file':<44} {'sect':>5} {'pass':>5} {'found':>5} {'cov':>7} {'gold':>5} {'g.fnd':>5}")
    for d in r["documents"]:
        print(f"{d['document_id']:>3} {(d['file'] or '-')[:44]:<44} {d['sections']:>5} {d['passages']:>5} "
              f"{d['found']:>5} {d['coverage']:>7.2%} {d['gold']:>5} {d['gold_found']:>5}")
    print("\nmisses by kind:")
    for m in r["misses"]:
        print(f"  {m['count']:>4}  {m['kind']}")
        for ex in m["examples"]:
            print(f"          {ex[:110]}")


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_FOLDER
    report = evaluate(folder)
    print_report(report)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten: {REPORT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
