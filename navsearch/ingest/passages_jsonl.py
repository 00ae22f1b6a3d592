"""Pre-split passages as JSON Lines (the ObliQA format: ``_id, document_id, passage_id,
text``): each passage becomes its own document, so it is the unit of retrieval, cited by
its rule number."""

from __future__ import annotations

from pathlib import Path

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.jsonl import json_objects
from navsearch.types import Document


def parse_passages_jsonl(path: Path, *, source: str | None = None) -> list[Document]:
    source = source or str(path)
    docs: list[Document] = []
    for n, row in json_objects(path, source):
        missing = [k for k in ("_id", "passage_id", "text") if k not in row]
        if missing:
            raise ParseError(source, f"line {n}", f"missing field(s) {', '.join(missing)}")
        text = str(row["text"]).strip()
        if not text:
            continue  # heading-only rule numbers carry no text to retrieve
        builder = TextBuilder()
        builder.add("clause", str(row["passage_id"]), text)
        group = row.get("document_id")
        docs.append(
            Document(
                doc_id=str(row["_id"]),
                doc_type="policy",
                title=row.get("title") or (f"document {group}" if group is not None else None),
                text=builder.text,
                sections=builder.sections,
                source=source,
                number=str(group) if group is not None else None,
            )
        )
    if not docs:
        raise ParseError(source, "read", "no passages with text")
    return docs
