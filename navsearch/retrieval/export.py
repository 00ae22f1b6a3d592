"""Search results as CSV: one row per passage, the query and its context in header rows."""

from __future__ import annotations

import csv
import io
import json

from navsearch.retrieval.searcher import SearchResult

CSV_COLUMNS = [
    "rank", "doc_id", "doc_type", "number", "title", "publication_date", "assignee", "relevance", "weak",
    "cited", "family_members", "citation", "path", "start", "end", "passage",
]


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "@") else text


def search_csv(query: str, result: SearchResult, filters: dict[str, object]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["# query", _cell(query)])
    w.writerow(["# filters", json.dumps(filters, default=str)])
    w.writerow(["# generation", result.generation, "relevant", result.relevant])
    for note in result.notes:
        w.writerow(["# note", _cell(note)])
    w.writerow(CSV_COLUMNS)
    for rank, hit in enumerate(result.hits, start=1):
        for p in hit.passages:
            w.writerow([_cell(v) for v in (
                rank, hit.doc_id, hit.doc_type, hit.number, hit.title,
                hit.publication_date.isoformat() if hit.publication_date else "", hit.assignee,
                f"{p.relevance:.4f}" if p.relevance is not None else "", hit.weak, hit.cited,
                " ".join(hit.family_members), p.citation, p.path, p.start, p.end, " ".join(p.text.split()),
            )])
    return buf.getvalue()
