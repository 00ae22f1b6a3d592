"""Pick the parser for a file by its suffix and, where suffixes are shared, its content.

FORMATS is the table: one entry per format. A file's format is the first entry, in table
order, that lists the file's suffix and whose detector (if any) accepts the file, so the
order decides between formats sharing a suffix. Parsers (and detectors needing a parser
module) are imported only when a file needs them: pypdf is never loaded for a folder
without PDFs. Adding a format is one entry here and one parser module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from navsearch.errors import UnsupportedFormat
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document

Parser = Callable[..., list[Document]]
# (path, head) -> whether the file is in this format; head: the file's first 4 KB, decoded.
Detector = Callable[[Path, str], bool]
SKIPPED_NAMES = {"README.md", "LICENSE", "SOURCES.md", ".gitkeep"}


@dataclass(frozen=True)
class Format:
    """One format: the suffixes it is read from, how its content is told apart from
    another format's with the same suffix (None: the suffix is enough), and its parser
    as "module:function", imported when first needed."""

    name: str
    suffixes: tuple[str, ...]
    detect: Detector | None
    parser: str
    options: bool = False  # the parser takes ``options`` (ParseOptions: forced kind, OCR, caps)

    def load(self) -> Parser:
        """The parser function, importing its module."""
        module, _, function = self.parser.partition(":")
        parser: Parser = getattr(import_module(module), function)
        return parser


def _is_adgm_rulebook(path: Path, head: str) -> bool:
    from navsearch.ingest.adgm import looks_like_adgm_rulebook

    return looks_like_adgm_rulebook(head)


def _is_passages(path: Path, head: str) -> bool:
    return '"passage_id"' in head.split("\n", 1)[0]


def _is_uslm(path: Path, head: str) -> bool:
    return "uslm" in head.lower()


def _is_uspto_patent(path: Path, head: str) -> bool:
    return any(tag in head for tag in ("us-patent-grant", "us-patent-application", "patent-application-publication"))


def _is_cn_law(path: Path, head: str) -> bool:
    return "第" in head and "条" in path.read_text(encoding="utf-8", errors="replace")


FORMATS: tuple[Format, ...] = (
    Format("adgm_rulebook", (".txt",), _is_adgm_rulebook, "navsearch.ingest.adgm:parse_adgm_rulebook"),
    Format("text", (".txt", ".text"), None, "navsearch.ingest.plain_text:parse_text", options=True),
    Format("passages_jsonl", (".jsonl",), _is_passages, "navsearch.ingest.passages_jsonl:parse_passages_jsonl"),
    Format("patsnap_jsonl", (".jsonl",), None, "navsearch.ingest.patent_jsonl:parse_patent_jsonl"),
    Format("pdf", (".pdf",), None, "navsearch.ingest.pdf:parse_pdf", options=True),
    Format("uslm", (".xml",), _is_uslm, "navsearch.ingest.uslm:parse_uslm"),
    Format("uspto_xml", (".xml",), _is_uspto_patent, "navsearch.ingest.uspto_xml:parse_uspto_xml"),
    Format("gdpr_json", (".json",), None, "navsearch.ingest.gdpr:parse_gdpr_json"),
    Format("cn_law_markdown", (".md",), _is_cn_law, "navsearch.ingest.cn_law:parse_cn_law_markdown"),
    Format("markdown", (".md", ".markdown"), None, "navsearch.ingest.plain_text:parse_markdown", options=True),
    Format("docx", (".docx",), None, "navsearch.ingest.docx_file:parse_docx", options=True),
    Format("html", (".html", ".htm", ".xhtml"), None, "navsearch.ingest.html_file:parse_html", options=True),
    Format("zip", (".zip",), None, "navsearch.ingest.archive:parse_zip", options=True),
)
SUFFIXES = {suffix for fmt in FORMATS for suffix in fmt.suffixes}
# Why a file was refused when its suffix is known but no entry's detector accepted it.
UNDETECTED = {
    ".xml": "XML that is neither USLM nor USPTO patent full text",
}


def _head(path: Path, size: int = 4096) -> str:
    with path.open("rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace")


def format_for(path: Path) -> Format:
    """The table entry for ``path``; UnsupportedFormat names the file and why none fits."""
    suffix = path.suffix.lower()
    head: str | None = None  # read once, only when a detector needs it
    for fmt in FORMATS:
        if suffix not in fmt.suffixes:
            continue
        if fmt.detect is None:
            return fmt
        if head is None:
            head = _head(path)
        if fmt.detect(path, head):
            return fmt
    if suffix in SUFFIXES:
        reason = UNDETECTED.get(suffix, f"content matches no format read from {suffix!r} files")
        raise UnsupportedFormat(str(path), "detect format", reason)
    raise UnsupportedFormat(
        str(path), "detect format", f"unsupported suffix {suffix!r}; expected one of {sorted(SUFFIXES)}"
    )


def parser_for(path: Path) -> Parser:
    """The parser that reads ``path``; UnsupportedFormat names the file and why not."""
    return format_for(path).load()


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files under the given paths (folders walked in sorted order), skipping notes and
    hidden files only: a file of an unknown format is yielded too, so that ingestion
    reports it with the reason instead of passing over it silently."""
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
            ):
                yield path


def parse_file(path: Path, source: str | None = None, options: ParseOptions | None = None) -> list[Document]:
    """The documents of ``path``, read by its format's parser (with ``options`` where it takes them)."""
    fmt = format_for(path)
    name = source or str(path)
    if fmt.options:
        return fmt.load()(path, source=name, options=options or ParseOptions.for_file(name))
    return fmt.load()(path, source=name)
