"""A prior-art search record to file: JSON (everything) and CSV (reference x element)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from datetime import date
from typing import Any

from navsearch.errors import InvalidInput
from navsearch.priorart.workbench import PriorArtResult

CSV_COLUMNS = [
    "rank", "doc_id", "number", "title", "publication_date", "application_date", "family_members",
    "element", "element_text", "status", "score", "citation", "quote", "start", "end", "verified",
]


# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)",
# "+cmd|' /C calc'!A0"). OWASP's rule for CSV injection: prefix such a cell with a single
# quote, which the spreadsheet shows as text. The idea, elements, titles and quotes come
# from users and documents, so every text cell is escaped.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")  # a plain number ("-0.0123") is no formula: left as it is


def escape_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not evaluate.

    >>> escape_cell("=1+2"), escape_cell("-0.5"), escape_cell(3)
    ("'=1+2", '-0.5', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer whose rows are escaped cell by cell."""

    def __init__(self, buf: io.StringIO) -> None:
        self._writer = csv.writer(buf)

    def writerow(self, row: list[Any]) -> None:
        self._writer.writerow([escape_cell(v) for v in row])


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_dict(result: PriorArtResult) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(result), default=_default))


def to_json(result: PriorArtResult) -> str:
    return json.dumps(asdict(result), default=_default, ensure_ascii=False, indent=2)


def to_csv(result: PriorArtResult) -> str:
    """One row per reference and element; the header rows carry the query and its context.
    Cells are escaped against formula injection (``escape_cell``)."""
    buf = io.StringIO()
    w = _SafeWriter(buf)
    w.writerow(["# idea", result.idea])
    w.writerow(["# filters", json.dumps(result.filters)])
    w.writerow(["# model", result.model, "generation", result.generation, "corpus", result.corpus_fingerprint])
    w.writerow(["# created", result.created_at])
    w.writerow(CSV_COLUMNS)
    for ref in result.references:
        for m in ref.matches:
            w.writerow([
                ref.rank, ref.doc_id, ref.number, ref.title,
                ref.publication_date.isoformat() if ref.publication_date else "",
                ref.application_date.isoformat() if ref.application_date else "",
                " ".join(ref.family_members), m.element + 1, result.elements[m.element], m.status,
                f"{m.score:.4f}", m.citation, m.quote, m.start, m.end, m.verified,
            ])
    return buf.getvalue()


def export(result: PriorArtResult, fmt: str) -> str:
    """A prior-art record as filed: "json" (the whole record) or "csv" (reference x
    element rows, cells escaped for spreadsheets)."""
    if fmt not in ("json", "csv"):
        raise InvalidInput(f"format must be json or csv, got {fmt!r}")
    return to_json(result) if fmt == "json" else to_csv(result)
