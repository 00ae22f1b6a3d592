"""Plain text and Markdown that are not a known format: memos, notes, circulars.

Paragraphs are blocks separated by blank lines (a file without blank lines: one paragraph
a line); a Markdown "#" line, or a short line without closing punctuation standing alone
before a paragraph, is a heading. general.build_document gives them their structure.
"""

from __future__ import annotations

import re
from pathlib import Path

from navsearch.errors import ParseError
from navsearch.ingest.general import Para, build_document, numbered, slug
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document

_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_MD_NOISE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,}|<!--.*-->)$")
# A plain-text heading: short, no sentence punctuation at its end.
HEADING_MAX_CHARS = 80


def _read(path: Path, source: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source, "read text", f"not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise ParseError(source, "read text", str(exc)) from exc


def _blocks(raw: str) -> list[list[str]]:
    lines = [line.rstrip() for line in raw.splitlines()]
    if not any(not line.strip() for line in lines):
        return [[line] for line in lines if line.strip()]
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _looks_like_heading(text: str) -> bool:
    if text.rstrip().endswith((".", ",", ";", ":", "?", "!", "。", "，", "；", "：", "？", "！")):
        return False
    if re.match(r"^[\u4e00-\u9fff]", text):
        return len(text) <= HEADING_MAX_CHARS // 3
    return len(text) <= HEADING_MAX_CHARS and text[:1].isupper()


def paragraphs(raw: str, markdown: bool) -> list[Para]:
    """The paragraphs of a text: blank-line blocks, their lines joined by a space."""
    out: list[Para] = []
    blocks = _blocks(raw)
    separated = any(not line.strip() for line in raw.strip().splitlines())
    for block in blocks:
        if markdown:
            block = [line for line in block if not _MD_NOISE.match(line)]
            if not block:
                continue
            heading = _MD_HEADING.match(block[0])
            if heading:
                out.append(Para(heading.group(1), heading=True))
                block = block[1:]
                if not block:
                    continue
        joined = " ".join(block)
        # A lone short line is a heading in a text of blank-line separated paragraphs; in
        # one without blank lines, every line is a paragraph and none stands out.
        heading = not markdown and separated and len(block) == 1 and _looks_like_heading(joined)
        out.append(Para(joined, heading=heading))
    return out


def parse_text(path: Path, *, source: str | None = None, options: ParseOptions | None = None) -> list[Document]:
    """A .txt file: numbered clauses when it has them, else headings and paragraphs."""
    name = source or str(path)
    raw = _read(path, name)
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if numbered(lines) or all(line.strip() for line in raw.strip().splitlines()):
        # Numbered clauses, or one paragraph a line: each line as it is, so the circulars
        # parser can repair the breaks of text extracted from a PDF.
        paras = [Para(line) for line in lines]
        if len(paras) > 1 and raw.lstrip().startswith(lines[0] + "\n\n") and _looks_like_heading(lines[0]):
            paras[0] = Para(lines[0], heading=True)  # a title standing alone above the text
    else:
        paras = paragraphs(raw, markdown=False)
    kind = options.kind if options else None
    return build_document(paras, name, doc_id=slug(path.stem), kind=kind)


def parse_markdown(path: Path, *, source: str | None = None, options: ParseOptions | None = None) -> list[Document]:
    """A Markdown file that is not a Chinese law: headings (#) and paragraphs, or clauses."""
    name = source or str(path)
    paras = paragraphs(_read(path, name), markdown=True)
    kind = options.kind if options else None
    return build_document(paras, name, doc_id=slug(path.stem), kind=kind)
