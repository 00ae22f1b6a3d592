"""Pick the parser for a file by its suffix and, where suffixes are shared, its content."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from navsearch.errors import UnsupportedFormat
from navsearch.types import Document

Parser = Callable[..., list[Document]]
SKIPPED_NAMES = {"README.md", "LICENSE", "SOURCES.md", ".gitkeep"}
SUFFIXES = {".txt", ".jsonl", ".xml", ".json", ".md", ".pdf"}


def _head(path: Path, size: int = 4096) -> str:
    with path.open("rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace")


def parser_for(path: Path) -> Parser:
    """The parser that reads ``path``; UnsupportedFormat names the file and why not."""
    suffix = path.suffix.lower()
    if suffix == ".txt":
        from navsearch.ingest.adgm import looks_like_adgm_rulebook, parse_adgm_rulebook

        if looks_like_adgm_rulebook(_head(path)):
            return parse_adgm_rulebook
        from navsearch.ingest.circulars import parse_circulars_text

        return parse_circulars_text
    if suffix == ".jsonl":
        first = _head(path).split("\n", 1)[0]
        if '"passage_id"' in first:
            from navsearch.ingest.passages_jsonl import parse_passages_jsonl

            return parse_passages_jsonl
        from navsearch.ingest.patent_jsonl import parse_patent_jsonl

        return parse_patent_jsonl
    if suffix == ".pdf":
        from navsearch.ingest.pdf import parse_pdf

        return parse_pdf
    if suffix == ".xml":
        head = _head(path)
        if "uslm" in head.lower():
            from navsearch.ingest.uslm import parse_uslm

            return parse_uslm
        if any(tag in head for tag in ("us-patent-grant", "us-patent-application", "patent-application-publication")):
            from navsearch.ingest.uspto_xml import parse_uspto_xml

            return parse_uspto_xml
        raise UnsupportedFormat(str(path), "detect format", "XML that is neither USLM nor USPTO patent full text")
    if suffix == ".json":
        from navsearch.ingest.gdpr import parse_gdpr_json

        return parse_gdpr_json
    if suffix == ".md":
        if "第" in _head(path) and "条" in path.read_text(encoding="utf-8", errors="replace"):
            from navsearch.ingest.cn_law import parse_cn_law_markdown

            return parse_cn_law_markdown
        raise UnsupportedFormat(str(path), "detect format", "Markdown without 第N条 articles")
    raise UnsupportedFormat(
        str(path), "detect format", f"unsupported suffix {suffix!r}; expected one of {sorted(SUFFIXES)}"
    )


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files under the given paths (folders walked in sorted order), skipping notes and hidden files."""
    for root in paths:
        if root.is_file():
            yield root
            continue
        if not root.exists():
            raise UnsupportedFormat(str(root), "find files", "no such file or folder")
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and path.name not in SKIPPED_NAMES
                and not any(part.startswith(".") for part in path.relative_to(root).parts)
                and path.suffix.lower() in SUFFIXES
            ):
                yield path


def parse_file(path: Path, source: str | None = None) -> list[Document]:
    return parser_for(path)(path, source=source or str(path))
