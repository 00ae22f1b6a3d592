"""Chinese laws and regulations in Markdown (the LawRefBook layout).

The layout is ``# 标题``, the amendment history lines (题注), ``<!-- INFO END -->``, then
``## 第一章 总则`` chapters (``### 第一节`` sections where the law has them) and articles
``第二十二条 …`` whose following paragraphs and items ``（一）`` run until the next article or
heading. One Section per article, cited as printed (``第二十二条``); its heading is the
chapter (and section) it sits in, which is how Chinese readers locate an article.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.numerals import cn_numeral
from navsearch.types import Document

INFO_END = "<!-- INFO END -->"
PREAMBLE_PATH = "题注"  # the note under a law's title that lists its adoption and amendments

_NUMERAL = "〇零一二三四五六七八九十百千"
# An article starts a line: "第二十二条" then a space (ASCII or ideographic). A paragraph that
# merely starts with a cross-reference ("第二十二条第三款所称…") has no space and stays text.
_ARTICLE = re.compile(rf"^(第[{_NUMERAL}]+条(?:之[{_NUMERAL}]+)?)(?:[ \u3000]+|$)")
_HEADING = re.compile(r"^(#{2,6})\s+(.+?)\s*#*$")
_FILE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")

# Known titles: an ASCII slug for the doc_id, and who enacts them (a law is adopted by the
# NPC Standing Committee, its implementing rules by the State Council).
_KNOWN: dict[str, tuple[str, str]] = {
    "中华人民共和国专利法": ("cn-patent-law", "全国人民代表大会常务委员会"),
    "中华人民共和国专利法实施细则": ("cn-patent-law-rules", "国务院"),
}


@dataclass
class _Article:
    path: str
    heading: str | None
    lines: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    title: str
    info: list[str]
    articles: list[_Article]
    notes: list[str]


def _split_head(lines: list[str], source: str) -> tuple[str, list[str], list[str], list[str]]:
    """Title, 题注 lines, body lines, notes. The title is the first "# " line."""
    start = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if start is None:
        raise ParseError(source, "title", 'no "# " title line')
    title = lines[start][2:].strip()
    if not title:
        raise ParseError(source, "title", "empty title")
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.strip() == INFO_END), None)
    notes: list[str] = []
    if end is None:
        # Without the marker, the 题注 is whatever precedes the first heading or article.
        starts = (i for i, ln in enumerate(rest) if _HEADING.match(ln.strip()) or _ARTICLE.match(ln.strip()))
        end = next(starts, len(rest))
        notes.append(f"no {INFO_END} marker: metadata taken as the lines before the first heading")
        body = rest[end:]
    else:
        body = rest[end + 1 :]
    # strip() also drops the ideographic spaces (U+3000) some lines end with.
    info = [line.strip() for line in rest[:end] if line.strip()]
    return title, info, body, notes


def _parse_body(body: list[str], notes: list[str]) -> list[_Article]:
    """Articles with their chapter/section heading; stray text before an article is kept too."""
    headings: dict[int, str] = {}  # markdown level → current heading (## 章, ### 节, ...)
    articles: list[_Article] = []
    current: _Article | None = None
    for raw in body:
        line = raw.strip()
        if not line:
            continue
        if m := _HEADING.match(line):
            level = len(m.group(1))
            headings = {k: v for k, v in headings.items() if k < level} | {level: m.group(2).strip()}
            current = None
            continue
        heading = " ".join(headings[k] for k in sorted(headings)) or None
        if m := _ARTICLE.match(line):
            current = _Article(m.group(1), heading)
            articles.append(current)
        elif current is None:
            # Text under a heading but before its first article (a 序言, or a stray line): not an
            # article, but not to be lost. Cited by the heading it sits under.
            current = _Article(heading or "序言", heading)
            articles.append(current)
            notes.append(f"text outside any article kept as {current.path!r}: {line[:30]}")
        current.lines.append(line)
    return articles


def _check_sequence(articles: list[_Article], notes: list[str]) -> None:
    # Articles are numbered 1, 2, 3, ... in every Chinese law: a gap or repeat means a line was
    # lost or mis-split, which the caller should know about.
    expected = 1
    for art in articles:
        m = re.fullmatch(rf"第([{_NUMERAL}]+)条", art.path)
        if not m:
            continue
        n = cn_numeral(m.group(1))
        if n != expected:
            notes.append(f"article numbering jumps: expected article {expected}, found {art.path} ({n})")
        expected = n + 1


def _parse(text: str, source: str) -> _Parsed:
    title, info, body, notes = _split_head(text.lstrip("\ufeff").splitlines(), source)
    articles = _parse_body(body, notes)
    if not any(_ARTICLE.match(a.path) for a in articles):
        raise ParseError(source, "articles", "no 第N条 articles found")
    _check_sequence(articles, notes)
    return _Parsed(title, info, articles, notes)


def _file_date(path: Path, info: list[str], notes: list[str]) -> date | None:
    """The date in the file name is the latest amendment; else the latest date in the 题注."""
    if m := _FILE_DATE.search(path.stem):
        found = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if info and f"{found.year}年{found.month}月{found.day}日" not in "".join(info):
            notes.append(f"file date {found.isoformat()} is not among the amendments listed in the 题注")
        return found
    dates = [date(int(y), int(mo), int(d)) for y, mo, d in _CN_DATE.findall("".join(info))]
    if dates:
        notes.append("no date in the file name: publication_date is the latest date in the 题注")
        return max(dates)
    notes.append("no date in the file name or the 题注: publication_date unknown")
    return None


def _doc_id(title: str, published: date | None) -> str:
    slug = _KNOWN.get(title, (None, None))[0]
    if slug:
        return f"{slug}-{published.year}" if published else slug
    if published:
        return f"cn-law-{published.isoformat()}"
    # No date either: a stable ASCII id from the title.
    return "cn-law-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:10]


def _issuer(title: str, info: list[str]) -> str | None:
    known = _KNOWN.get(title)
    if known:
        return known[1]
    joined = "".join(info)
    for body in ("全国人民代表大会常务委员会", "全国人民代表大会", "国务院"):
        if body in joined:
            return body
    return None


def parse_cn_law_markdown(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse one Chinese law in Markdown into a single statute Document.

    >>> [doc] = parse_cn_law_markdown(Path("专利法(2020-10-17).md"))  # doctest: +SKIP
    >>> doc.doc_id, doc.sections[23].path, doc.sections[23].heading  # doctest: +SKIP
    ('cn-patent-law-2020', '第二十三条', '第二章 授予专利权的条件')
    """
    source = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(source, "read", str(exc)) from exc
    return [parse_cn_law_text(text, source, path)]


def parse_cn_law_text(text: str, source: str, path: Path | None = None) -> Document:
    """A Chinese law or circular of 第N条 articles as Markdown text ("# " title, "## "
    headings): from a .md file, or the paragraphs of a PDF, DOCX or web page. ``path``:
    the file whose name may carry the date."""
    parsed = _parse(text, source)
    builder = TextBuilder()
    if parsed.info:
        builder.add("preamble", PREAMBLE_PATH, "\n".join(parsed.info), heading=parsed.title)
    seen: set[str] = set()
    for art in parsed.articles:
        if art.path in seen:
            raise ParseError(source, "articles", f"{art.path} appears twice")
        seen.add(art.path)
        kind = "article" if _ARTICLE.match(art.path) else "text"
        builder.add(kind, art.path, "\n".join(art.lines), heading=art.heading)
    notes = parsed.notes
    published = _file_date(path or Path(source), parsed.info, notes)
    return Document(
        doc_id=_doc_id(parsed.title, published),
        doc_type="statute",
        title=parsed.title,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=None,
        publication_date=published,
        jurisdiction="CN",
        language="zh",
        issuer=_issuer(parsed.title, parsed.info),
        notes=notes,
    )
