"""Web pages (.html) through selectolax (its lexbor engine): the main text, its headings and lists.

Page furniture (scripts, styles, navigation, header, footer, asides, forms) is dropped;
when the page marks its main content (<main>, <article>, role=main) only that is read.
Blocks are read in document order: headings h1-h6 as headings, paragraphs, list items
(an <ol>'s items get the numbers a browser prints: "1.", "I.", "i."), table rows, quotes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from navsearch.errors import ParseError
from navsearch.ingest.general import Para, build_document, numbered, slug
from navsearch.ingest.numbering import render
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document

_FURNITURE = "script, style, noscript, nav, header, footer, aside, form, iframe, svg, template"
_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, tr, pre, blockquote, dt, dd, figcaption"
_OL_FORMATS = {"1": "decimal", "I": "upperRoman", "i": "lowerRoman", "A": "upperLetter", "a": "lowerLetter"}
_SPACE = re.compile(r"\s+")


def _text(node: Any) -> str:
    return _SPACE.sub(" ", node.text(separator=" ")).strip()


def _main(tree: Any) -> Any:
    for selector in ("main", "article", '[role="main"]'):
        node = tree.css_first(selector)
        if node is not None and len(_text(node)) > 200:
            return node
    return tree.body or tree.root


def _ol_label(item: Any) -> str:
    """The number a browser prints before an <ol>'s item."""
    parent = item.parent
    if parent is None or parent.tag != "ol":
        return ""
    index = 0
    for sibling in parent.iter():
        if sibling.tag == "li":
            index += 1
        if sibling == item:
            break
    start = int(parent.attributes.get("start") or 1) if (parent.attributes.get("start") or "1").isdigit() else 1
    fmt = _OL_FORMATS.get(parent.attributes.get("type") or "1", "decimal")
    return f"{render(fmt, start + index - 1)}."


def parse_html(path: Path, *, source: str | None = None, options: ParseOptions | None = None) -> list[Document]:
    """A web page as a policy document: its clauses, or its headings and paragraphs."""
    from selectolax.lexbor import LexborHTMLParser  # imported only when a web page is read

    name = source or str(path)
    try:
        tree = LexborHTMLParser(path.read_bytes())
    except OSError as exc:
        raise ParseError(name, "read", str(exc)) from exc
    title_node = tree.css_first("title")
    title = _text(title_node) if title_node is not None else None
    for node in tree.css(_FURNITURE):
        node.decompose()
    paras: list[Para] = []
    blocks = _main(tree).css(_BLOCKS)
    for node in blocks:
        inner = node.css(_BLOCKS.replace(", tr", ""))  # lexbor's css() includes the node itself
        if node.tag != "tr" and any(other != node for other in inner):
            continue  # its inner blocks are read on their own
        if node.tag == "tr":
            cells = [_text(cell) for cell in node.css("td, th")]
            text = " | ".join(c for c in cells if c)
        else:
            text = _text(node)
        if not text:
            continue
        if node.tag == "li":
            label = _ol_label(node)
            if label and not numbered([text, text, text]):
                text = f"{label} {text}"
        paras.append(Para(text, heading=node.tag in ("h1", "h2", "h3", "h4", "h5", "h6")))
    if title is None and paras and paras[0].heading:
        title = paras[0].text
    kind = options.kind if options else None
    return build_document(paras, name, doc_id=slug(path.stem), title=title or None, kind=kind)
