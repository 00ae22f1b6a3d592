"""Abstract extraction from real patent PDFs: token F1 against the known abstracts.

Reads the PDFs and ``expected_abstracts.json`` from /work/shared/data/patents/pdf (the
project's shared data set, not part of the repository); pass another folder as the first
argument to use it instead:

    .venv/bin/python benchmarks/pdf_abstracts.py [FOLDER]

For each PDF: whether it has a text layer, and the bag-of-words F1 (lower-cased
alphanumeric tokens) of the parsed "abstract" section against the expected abstract.
Image-only PDFs are read through OCR (OCRmyPDF + Tesseract) where it is installed and
scored apart; without OCR they raise NoTextLayer and are listed without a score.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from navsearch.errors import NoTextLayer, ParseError  # noqa: E402
from navsearch.ingest.options import OCR_NOTE  # noqa: E402
from navsearch.ingest.pdf import parse_pdf, pdf_has_text_layer  # noqa: E402

DEFAULT_FOLDER = Path("/work/shared/data/patents/pdf")


def token_f1(got: str, expected: str) -> float:
    a = Counter(re.findall(r"[a-z0-9]+", got.lower()))
    b = Counter(re.findall(r"[a-z0-9]+", expected.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def score(path: Path, expected: str) -> tuple[bool, float | None, str]:
    """(has text layer, F1 or None, remark) for one PDF; remark "OCR" when OCR read it."""
    has_text = pdf_has_text_layer(path)
    try:
        (doc,) = parse_pdf(path, source=path.name)
    except NoTextLayer as exc:
        return has_text, None, f"image-only: {exc.reason}"
    except ParseError as exc:
        return has_text, None, f"parse error: {exc}"
    abstract = next((s.text for s in doc.sections if s.kind == "abstract"), "")
    ocr = any(note.startswith(OCR_NOTE) for note in doc.notes)
    remark = ("OCR" if ocr else "") + ("" if abstract else " no abstract found")
    return has_text, token_f1(abstract, expected), remark.strip()


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_FOLDER
    entries = json.loads((folder / "expected_abstracts.json").read_text(encoding="utf-8"))
    scores: list[float] = []
    ocr_scores: list[float] = []
    print(f"{'file':<24} {'has_text':<9} {'F1':>6}  remark")
    for entry in sorted(entries, key=lambda e: e["patent_id"]):
        path = folder / Path(entry.get("pdf") or f"{entry['patent_id']}.pdf").name
        if not path.exists():
            print(f"{path.name:<24} {'?':<9} {'-':>6}  missing")
            continue
        has_text, f1, remark = score(path, entry["expected_abstract"])
        if f1 is not None:
            (scores if has_text else ocr_scores).append(f1)
        print(f"{path.name:<24} {'yes' if has_text else 'no':<9} {f'{f1:.3f}' if f1 is not None else '-':>6}  {remark}")
    if scores:
        print(f"\nmean F1 over {len(scores)} PDFs with a text layer: {sum(scores) / len(scores):.4f}")
    if ocr_scores:
        print(f"mean F1 over {len(ocr_scores)} image-only PDFs read by OCR: {sum(ocr_scores) / len(ocr_scores):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
