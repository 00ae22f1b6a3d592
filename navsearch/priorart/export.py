"""A prior-art search record to file: JSON (everything) and CSV (reference x element)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from navsearch.priorart.workbench import PriorArtResult

CSV_COLUMNS = [
    "rank", "doc_id", "number", "title", "publication_date", "application_date", "family_members",
    "element", "element_text", "status", "score", "citation", "quote", "start", "end", "verified",
]


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_dict(result: PriorArtResult) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(result), default=_default))


def to_json(result: PriorArtResult) -> str:
    return json.dumps(asdict(result), default=_default, ensure_ascii=False, indent=2)


def to_csv(result: PriorArtResult) -> str:
    """One row per reference and element; the header rows carry the query and its context."""
    buf = io.StringIO()
    w = csv.writer(buf)
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
