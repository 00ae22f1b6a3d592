"""Any document that is not a patent: a policy PDF, a Word file, a web page, a memo.

Every reader (plain_text, docx_file, html_file, the PDF parser for non-patents) turns its
file into paragraphs (``Para``: text, printed page if any, heading or not), and this module
gives them their structure:

- numbered clauses (I./i./1./(1), or 一、/（一）/1./（1）) are read as a clause tree by the
  circulars parser, so a circular gets the same clause paths from a .txt, a PDF, a DOCX
  or an HTML page; a Chinese text with 第N条 articles is read as the Markdown laws are;
- anything else is split by its headings and paragraphs and cited by page and paragraph
  ("p. 2 ¶3", or "¶3" where the format has no pages), headings carried by the paragraphs
  under them. A document without numbered clauses is a document, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.circulars import CN_DOC_NUMBER, CN_TITLE, DOC_NUMBER, TITLE, parse_circulars
from navsearch.ingest.cn_law import parse_cn_law_text
from navsearch.types import DocType, Document, Section

_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# A clause marker at the start of a paragraph, English or Chinese (circulars.LEVELS reads them).
_CN = "一二三四五六七八九十"
_NUMBERED_RE = re.compile(
    r"^(?:[IVX]+\.\s|[ivx]+\.\s|\d{1,2}[.．]\s?|\(\d{1,2}\)"  # I. i. 1. (1)
    rf"|[{_CN}]+、|[（(][{_CN}]+[)）]|（\d{{1,2}}）)"  # 一、 （一） （1）
)
_BULLET_RE = re.compile(r"^\s*[-\u2022\u00b7]\s+")
_ARTICLE_RE = re.compile(r"^第[〇零一二三四五六七八九十百千]+条")
_CIRCULAR_HEAD = re.compile("|".join(p.pattern for p in (TITLE, DOC_NUMBER, CN_TITLE, CN_DOC_NUMBER)))
# Numbered clauses this many times or more make the text a clause tree.
MIN_CLAUSES = 3


@dataclass(frozen=True)
class Para:
    """One paragraph as a reader found it."""

    text: str
    page: int | None = None  # physical page (PDF); None where the format has no pages
    heading: bool = False  # a heading (Word heading style, <h2>, "## ", a short title line)


def language_of(text: str) -> str:
    """'zh' when CJK characters are a good share of the letters, else 'en'."""
    cjk = len(_CJK_RE.findall(text))
    return "zh" if cjk > 0.3 * max(1, sum(ch.isalpha() for ch in text)) else "en"


def slug(stem: str) -> str:
    """A URL-safe document id from a file name."""
    return re.sub(r"[^\w.-]+", "-", stem, flags=re.ASCII).strip("-").lower() or "document"


def numbered(lines: list[str]) -> bool:
    """Whether the text is a clause tree: at least MIN_CLAUSES lines open with a clause
    marker, or one does and the text has a circular's title or number line."""
    markers = sum(bool(_NUMBERED_RE.match(line.strip())) for line in lines)
    if markers >= MIN_CLAUSES:
        return True
    return markers > 0 and any(_CIRCULAR_HEAD.match(line.strip()) for line in lines)


def build_document(
    paras: list[Para],
    source: str,
    *,
    doc_id: str,
    title: str | None = None,
    kind: DocType | None = None,
    notes: list[str] | None = None,
) -> list[Document]:
    """Documents of ``paras``: a clause tree when the text is numbered, else headings and
    paragraphs. ``kind`` forces the document kind (default: policy)."""
    paras = [p for p in paras if p.text.strip()]
    if not paras:
        raise ParseError(source, "extract text", "no text found")
    notes = list(notes or [])
    if title is None and paras[0].heading:
        title = paras[0].text.strip()  # a document's first heading is its title
    lines = [p.text.strip() for p in paras]
    docs: list[Document] | None = None
    if sum(bool(_ARTICLE_RE.match(line)) for line in lines) >= MIN_CLAUSES:
        docs = [_articles(paras, source, title, notes)]
    elif numbered(lines):
        docs = _clause_tree(paras, source, doc_id, notes)
    if docs is None:
        docs = [_by_paragraphs(paras, source, doc_id, title, notes)]
    for doc in docs:
        doc.doc_type = kind or doc.doc_type
        doc.language = language_of(doc.text)
        if doc.title is None and title:
            doc.title = title
    return docs


def _clause_tree(paras: list[Para], source: str, doc_id: str, notes: list[str]) -> list[Document] | None:
    """The circulars reading of the text, with pages put back; None when some part of it
    has no numbered clause (then it is read by paragraphs)."""
    try:
        docs = parse_circulars("\n".join(p.text for p in paras), source)
    except ParseError as exc:
        notes.append(f"numbered, but not read as a clause tree ({exc.step}: {exc.reason})")
        return None
    text = " ".join(p.text for p in paras)
    sipo = "State Intellectual Property Office" in text or "国家知识产权局" in text
    for i, doc in enumerate(docs):
        if not sipo:  # the circulars parser names SIPO as issuer: only when the text does
            doc.issuer = None
            doc.jurisdiction = None
            if doc.number is None:  # a numbered circular keeps the id its number gives it
                doc.doc_id = doc_id if len(docs) == 1 else f"{doc_id}-{i + 1}"
            # Text before the first clause is the document's opening, not the tail of a
            # circular whose first page is missing (what "[fragment]" says of SIPO's file).
            doc.sections = [
                replace(s, kind="preamble", path="preamble") if s.path == "[fragment]" else s for s in doc.sections
            ]
            doc.notes = [n for n in doc.notes if not n.startswith("title unknown: the source text starts inside")]
        doc.sections = _with_pages(doc.sections, paras)
        doc.notes = [*notes, *doc.notes]
    return docs


def _with_pages(sections: list[Section], paras: list[Para]) -> list[Section]:
    """Each section's page: the page of the paragraph its first words come from, found in
    reading order (the clause tree joins and repairs lines, so offsets do not carry over)."""
    if all(p.page is None for p in paras):
        return sections
    out: list[Section] = []
    i = 0
    for section in sections:
        head = " ".join(section.text.split("\n", 1)[0].split()[:4])
        at = None
        for j in range(i, len(paras)):
            # The clause tree drops a list bullet ("- 1. For ...") the line still has.
            if head and " ".join(_BULLET_RE.sub("", paras[j].text).split()).startswith(head):
                at = j
                break
        if at is not None:
            i = at
        out.append(replace(section, page=paras[i].page))
    return out


def _articles(paras: list[Para], source: str, title: str | None, notes: list[str]) -> Document:
    """A Chinese text of 第N条 articles, read as the Markdown laws are (headings as ##)."""
    if paras[0].heading and (title is None or title == paras[0].text.strip()):
        title, paras = paras[0].text.strip(), paras[1:]  # the title heading is the "# " line
    head = f"# {title or paras[0].text.strip()}"
    body = [f"## {p.text.strip()}" if p.heading else p.text.strip() for p in paras]
    doc = parse_cn_law_text("\n".join([head, *body]), source)
    doc.notes = [*notes, *doc.notes]
    return doc


def _by_paragraphs(paras: list[Para], source: str, doc_id: str, title: str | None, notes: list[str]) -> Document:
    builder = TextBuilder()
    heading: str | None = None
    count: dict[int | None, int] = {}
    for para in paras:
        count[para.page] = count.get(para.page, 0) + 1
        where = f"p. {para.page} ¶{count[para.page]}" if para.page is not None else f"¶{count[para.page]}"
        if para.heading:
            heading = para.text.strip()
            builder.add("heading", where, para.text, page=para.page)
        else:
            builder.add("text", where, para.text, page=para.page, heading=heading)
    return Document(
        doc_id=doc_id,
        doc_type="policy",
        title=title,
        text=builder.text,
        sections=builder.sections,
        source=source,
        notes=[*notes, "no clause tree: cited by page and paragraph"],
    )

