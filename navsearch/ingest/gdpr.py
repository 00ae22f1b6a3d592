"""The GDPR as structured JSON (the GDPRtEXT layout): chapters → (sections →) articles → paragraphs.

The citable unit is the numbered paragraph of an article (``Article 17(1)``), with its points
(a), (b), ... inside its text: lawyers cite "Article 17(1)(a)", but a point rarely reads on its
own without the paragraph's opening words. Recitals become preamble sections (``Recital 12``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.jsonl import loads_json
from navsearch.types import Document


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _point_lines(item: dict[str, Any]) -> list[str]:
    """A paragraph's own text followed by its points, one "(a) text" line each."""
    lines = [_str(item.get("text"))]
    for sub in item.get("subpoints") or []:
        text = _str(sub.get("text")) if isinstance(sub, dict) else ""
        if not text:
            continue
        number = _str(sub.get("number"))
        # Article 53(1) lists its alternatives as indents without letters; the official text
        # prints them with dashes.
        lines.append(f"({number}) {text}" if number else f"— {text}")
    return [line for line in lines if line]


def _paragraphs(article: dict[str, Any], where: str, source: str) -> list[tuple[str | None, list[str]]]:
    """Group an article's contents into (paragraph number or None, lines).

    An unnumbered "text" item after a numbered paragraph is that paragraph's next subparagraph
    (e.g. Article 6(1), second subparagraph "Point (f) of the first subparagraph shall not apply
    ..."), so it joins it. Unnumbered text before any numbered paragraph is the article's lead
    ("For the purposes of this Regulation:" in Article 4) or, alone, the whole article.
    """
    contents = article.get("contents")
    if not isinstance(contents, list):
        raise ParseError(source, where, 'article has no "contents" list')
    groups: list[tuple[str | None, list[str]]] = []
    for item in contents:
        if not isinstance(item, dict):
            raise ParseError(source, where, "article content is not an object")
        number = _str(item.get("number")) or None
        lines = _point_lines(item)
        if number is not None or not groups:
            groups.append((number, lines))
        else:
            groups[-1][1].extend(lines)
    return [(n, lines) for n, lines in groups if lines]


def _articles(chapters: list[Any], source: str) -> list[dict[str, Any]]:
    """Articles in order, whether directly in a chapter or inside one of its sections."""
    found: list[dict[str, Any]] = []
    for chapter in chapters:
        if not isinstance(chapter, dict) or not isinstance(chapter.get("contents"), list):
            raise ParseError(source, "chapters", 'a chapter has no "contents" list')
        for node in chapter["contents"]:
            if isinstance(node, dict) and node.get("type") == "section":
                found.extend(n for n in node.get("contents") or [] if isinstance(n, dict))
            elif isinstance(node, dict):
                found.append(node)
    return found


def _add_article(builder: TextBuilder, article: dict[str, Any], seen: set[str], source: str) -> None:
    number = _str(article.get("number"))
    if not number:
        raise ParseError(source, "articles", f"an article has no number (title {article.get('title')!r})")
    where = f"Article {number}"
    heading = _str(article.get("title")) or None
    for para, lines in _paragraphs(article, where, source):
        path = f"Article {number}({para})" if para else f"Article {number}"
        if path in seen:
            raise ParseError(source, where, f"{path} appears twice")
        seen.add(path)
        builder.add("article", path, "\n".join(lines), heading=heading)


def _add_recitals(builder: TextBuilder, recitals: Any, source: str) -> None:
    if recitals is None:
        return
    if not isinstance(recitals, list):
        raise ParseError(source, "recitals", '"recitals" is not a list')
    for recital in recitals:
        text = _str(recital.get("text")) if isinstance(recital, dict) else ""
        number = _str(recital.get("number")) if isinstance(recital, dict) else ""
        if not (text and number):
            raise ParseError(source, "recitals", f"recital without number or text: {str(recital)[:80]}")
        builder.add("preamble", f"Recital {number}", text)


def _dated(value: Any, source: str) -> date | None:
    # GDPRtEXT writes dates the European way: "27/04/2016".
    if not value:
        return None
    try:
        return datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
    except ValueError as exc:
        raise ParseError(source, "metadata", f'"dated" {value!r} is not DD/MM/YYYY') from exc


def _load(path: Path, source: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(source, "read", str(exc)) from exc
    data = loads_json(text, source, "read")
    if not isinstance(data, dict):
        raise ParseError(source, "read", "expected a JSON object")
    if not isinstance(data.get("chapters"), list) or not data["chapters"]:
        raise ParseError(source, "chapters", 'no "chapters" list: not a GDPRtEXT regulation file')
    return data


def parse_gdpr_json(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse the GDPR JSON into one statute Document: recitals first, then articles.

    >>> [doc] = parse_gdpr_json(Path("gdpr.json"))  # doctest: +SKIP
    >>> next(s for s in doc.sections if s.path == "Article 17(1)").heading  # doctest: +SKIP
    'Right to erasure (‘right to be forgotten’)'
    """
    source = source or str(path)
    data = _load(path, source)
    builder = TextBuilder()
    # Recitals precede the articles in the Official Journal, so they come first in the text too.
    _add_recitals(builder, data.get("recitals"), source)
    articles = _articles(data["chapters"], source)
    if not articles:
        raise ParseError(source, "articles", "no articles in any chapter")
    seen: set[str] = set()
    for article in articles:
        _add_article(builder, article, seen, source)
    notes = []
    if not data.get("recitals"):
        notes.append("no recitals in the file: articles only")
    regulation = _str(data.get("regulation"))
    return [
        Document(
            doc_id="gdpr",
            doc_type="statute",
            title=_str(data.get("title")) or "General Data Protection Regulation",
            text=builder.text,
            sections=builder.sections,
            source=source,
            number=f"Regulation (EU) {regulation}" if regulation else None,
            publication_date=_dated(data.get("dated"), source),
            jurisdiction="EU",
            language=(_str(data.get("language")) or "en").lower(),
            issuer="European Parliament and Council",
            notes=notes,
        )
    ]
