"""Plain-text government circulars (text extracted from PDFs, like the SIPO circulars).

The text is repaired first (hyphenation and sentences cut by page breaks), then read as
a clause tree: ``I.`` sections, ``i.`` items, ``1.`` sub-items and ``(1)`` sub-sub-items.
One file may hold several circulars: a new one starts at a "Circular of ..." title line;
a date line ("April 2, 2013") closes one. Text before the first title belongs to a
circular whose title page is missing: its title is reported unknown, never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.numerals import cn_numeral
from navsearch.ingest.cleaning import (
    continues,
    join_hyphenated,
    normalise_dashes,
    vocabulary,
)
from navsearch.types import Document

ROMAN_UPPER = re.compile(r"^(?P<num>[IVX]+)\.\s+(?P<rest>.*)$")
ROMAN_LOWER = re.compile(r"^(?P<num>[ivx]+)\.\s+(?P<rest>.*)$")
ARABIC = re.compile(r"^(?P<num>\d{1,2})\.\s+(?P<rest>.*)$")
PAREN = re.compile(r"^\((?P<num>\d{1,2})\)\s*(?P<rest>.*)$")
BULLET = re.compile(r"^[-\u2022\u00b7]\s+")
TITLE = re.compile(r"^(Circular|Notice|Opinions|Measures|Provisions) (of|on) .{10,}$")
DOC_NUMBER = re.compile(r"^[A-Z][A-Za-z. ]*\[\d{4}\]\s*No\.\s*\d+$")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_LINE = re.compile(rf"^(?:{MONTHS}) \d{{1,2}}, \d{{4}}$")
ISSUER = "State Intellectual Property Office of the P.R.C. (SIPO)"
# The same lines in a Chinese circular: "关于开展专利导航试点工程的通知", "国知发管字〔2013〕27号",
# "2013年4月2日".
CN_TITLE = re.compile(r"^关于.{4,60}的(?:通知|意见|办法|规定|决定|批复|函)$")
CN_DOC_NUMBER = re.compile(r"^\S{2,12}[〔\[]\d{4}[〕\]]\d+号$")
CN_DATE_LINE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")

# Levels of the clause tree, outermost first.
LEVELS = (ROMAN_UPPER, ROMAN_LOWER, ARABIC, PAREN)
# The same four levels as Chinese circulars number them: 一、 （一） 1. （1）. The label of
# the second level keeps its brackets, so a path reads 一.（一）.1(1) as printed.
_CN = "一二三四五六七八九十"
CN_LEVELS = (
    re.compile(rf"^(?P<num>[{_CN}]+)、\s*(?P<rest>.*)$"),
    re.compile(rf"^(?P<num>[（(][{_CN}]+[)）])\s*(?P<rest>.*)$"),
    re.compile(r"^(?P<num>\d{1,2})[.．、]\s*(?P<rest>[\u4e00-\u9fff].*)$"),
    re.compile(r"^[（(](?P<num>\d{1,2})[)）]\s*(?P<rest>.*)$"),
)


def roman_to_int(numeral: str) -> int:
    values = {"i": 1, "v": 5, "x": 10}
    total = 0
    for ch, nxt in zip(numeral.lower(), numeral.lower()[1:] + " "):
        v = values[ch]
        total += -v if nxt != " " and values.get(nxt, 0) > v else v
    return total


@dataclass
class Block:
    """A paragraph of the repaired text, with its clause marker if it has one."""

    text: str
    level: int | None = None  # index into LEVELS; None: body text
    label: str | None = None  # marker as printed without punctuation: "IV", "ii", "1", "1"
    bullet: bool = False  # started with "- " (a list bullet the PDF extraction kept)


@dataclass
class _Draft:
    title: str | None = None
    number: str | None = None
    blocks: list[Block] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _raw_blocks(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _tail(parts: list[str], n: int) -> str:
    """The last ``n`` characters of ``"".join(parts)``, joining only the parts needed."""
    tail = ""
    for part in reversed(parts):
        tail = part + tail
        if len(tail) >= n:
            break
    return tail[-n:]


def repair(raw: str) -> tuple[list[str], list[tuple[int, str]]]:
    """Join hyphenated words and sentences split by line/page breaks.

    Returns the repaired paragraphs and a note per repair, with the paragraph it is in.
    """
    lines = _raw_blocks(raw)
    vocab = vocabulary(lines)
    notes: list[tuple[int, str]] = []
    # A paragraph is kept as its parts until the end, and each test looks at its last
    # part only: re-reading (and re-building) the whole paragraph for every line it gains
    # made a 0.5 MB paragraph take 80 s and a 50 MB one forever. A part after the first
    # starts with the space joining it, so the paragraph is "".join(parts).
    out: list[list[str]] = []
    for line in lines:
        last = out[-1][-1] if out else ""
        if out and re.search(r"[A-Za-z]-$", last) and line[:1].islower():
            joined, dropped = join_hyphenated(last, line, vocab)
            word = re.search(r"(\S+)$", last).group(1) + line.split(" ", 1)[0]  # type: ignore[union-attr]
            notes.append((len(out) - 1, f"hyphen {'removed' if dropped else 'kept'} across a break: {word!r}"))
            out[-1][-1] = joined
        elif out and continues(last, line, is_marker=_marker(line) is not None):
            notes.append(
                (len(out) - 1, f"joined a sentence across a break: ...{_tail(out[-1], 30)!r} + {line[:30]!r}...")
            )
            out[-1].append(f" {line}")
        else:
            out.append([line])
    fixed: list[str] = []
    for i, block in enumerate("".join(parts) for parts in out):
        block, n = normalise_dashes(block)
        if n:
            notes.append((i, f"em dash read as hyphen {n}x in {block[:40]!r}..."))
        fixed.append(block)
    return fixed, notes


def _marker(text: str) -> tuple[int, str, str, bool] | None:
    """(level, label, rest, bullet) when the paragraph starts with a clause marker."""
    bullet = bool(BULLET.match(text))
    body = BULLET.sub("", text, count=1)
    for levels in (LEVELS, CN_LEVELS):
        for level, pattern in enumerate(levels):
            m = pattern.match(body)
            if m and m.group("rest"):
                return level, m.group("num"), m.group("rest"), bullet
    return None


def _to_block(text: str) -> Block:
    marker = _marker(text)
    if marker:
        level, label, _, bullet = marker
        return Block(BULLET.sub("", text, count=1), level, label, bullet)
    if BULLET.match(text):
        return Block(BULLET.sub("", text, count=1), None, None, bullet=True)
    return Block(text)


def _number(block: Block) -> int:
    assert block.label is not None and block.level is not None
    if block.level >= 2:
        return int(block.label)
    plain = block.label.strip("（()）")
    return cn_numeral(plain) if plain[0] in _CN else roman_to_int(plain)


def _label(level: int, number: int) -> str:
    if level == 0 or level == 1:
        numerals = ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii",
                    "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"]
        return numerals[number].upper() if level == 0 else numerals[number]
    return str(number)


def infer_missing_numbers(blocks: list[Block]) -> list[str]:
    """Give unnumbered list items the number the sequence around them implies.

    PDF extraction sometimes drops a marker ("- Cultivation stage" between "(3)" and
    "(2)"). Working right to left: an item just before "(n)", n > 1, whose left sibling is
    not "(n-1)", is "(n-1)"; an item just before a "(1)" opens the next item one level up.
    Items that fit neither stay body text.
    """
    notes: list[str] = []
    for i in range(len(blocks) - 2, -1, -1):
        block, right = blocks[i], blocks[i + 1]
        if not block.bullet or block.level is not None or right.level is None:
            continue
        n = _number(right)
        left = _left_sibling(blocks, i, right.level)
        if n > 1 and (left is None or left != n - 1):
            block.level, block.label = right.level, _label(right.level, n - 1)
        elif right.level > 0:
            parent = _left_sibling(blocks, i, right.level - 1)
            block.level, block.label = right.level - 1, _label(right.level - 1, (parent or 0) + 1)
        else:
            continue
        notes.append(f"missing clause number inferred as {block.label!r} for {block.text[:40]!r}")
    return notes


def _left_sibling(blocks: list[Block], i: int, level: int) -> int | None:
    """Number of the nearest numbered block at ``level`` left of ``i`` (None past a parent)."""
    for j in range(i - 1, -1, -1):
        b = blocks[j]
        if b.level is None:
            continue
        if b.level < level:
            return None
        if b.level == level:
            return _number(b)
    return None


def _split_circulars(paragraphs: list[str], notes: list[tuple[int, str]]) -> list[_Draft]:
    drafts: list[_Draft] = [_Draft()]
    notes_at: dict[int, list[str]] = {}  # by paragraph: one pass, not one per paragraph
    for at, note in notes:
        notes_at.setdefault(at, []).append(note)
    for i, text in enumerate(paragraphs):
        current = drafts[-1]
        current.notes.extend(notes_at.get(i, ()))
        cn_date = CN_DATE_LINE.match(text)
        if TITLE.match(text) or CN_TITLE.match(text):
            if current.blocks or current.title:
                drafts.append(_Draft())
            drafts[-1].title = text
        elif (DOC_NUMBER.match(text) or CN_DOC_NUMBER.match(text)) and not current.number and not current.blocks:
            current.number = text
        elif DATE_LINE.match(text) or cn_date:
            try:
                day = date(*map(int, cn_date.groups())) if cn_date else datetime.strptime(text, "%B %d, %Y").date()
            except ValueError:  # "2013年2月30日": kept as text, not a date
                current.blocks.append(_to_block(text))
                continue
            current.dates.append(day)
            current.blocks.append(Block(text, level=None, label="date"))
        else:
            current.blocks.append(_to_block(text))
    return [d for d in drafts if d.blocks or d.title]


def _path(stack: list[tuple[int, str]]) -> str:
    path = ""
    for level, label in stack:
        if level == 3:
            path += f"({label})"
        else:
            path += ("." if path else "") + label
    return path


def _heading_of(block: Block) -> str:
    """A clause's heading: the whole line, or its first sentence when text runs on."""
    rest = _marker(block.text)
    text = rest[2] if rest else block.text
    m = re.match(r"^(.+?[.:])\s+[A-Z]", text) or re.match(r"^(.+?)[。：；]", text)
    return (m.group(1) if m else text).rstrip(".:")


def _build(draft: _Draft, source: str, index: int, notes: list[str]) -> Document:
    builder = TextBuilder()
    if draft.title:
        builder.add("title", "title", "\n\n".join(x for x in (draft.title, draft.number) if x))
    groups: list[tuple[str, str, str | None, list[str]]] = []  # kind, path, heading, texts
    stack: list[tuple[int, str]] = []
    headings: list[tuple[int, str]] = []
    fragment_open = draft.title is None
    for block in draft.blocks:
        if block.label == "date" or block.text.startswith("This Circular is hereby"):
            groups.append(("closing", "closing", None, [block.text]))
            continue
        if block.level is None:
            if groups and groups[-1][0] in ("clause", "preamble") and not fragment_open:
                groups[-1][3].append(block.text)
            elif fragment_open:
                # Text before any clause marker of a circular whose beginning is missing.
                groups.append(("clause", "[fragment]", None, [block.text]))
                fragment_open = False
            else:
                groups.append(("preamble", "preamble", None, [block.text]))
            continue
        fragment_open = False
        stack = [(lv, lb) for lv, lb in stack if lv < block.level] + [(block.level, block.label or "")]
        headings = [(lv, h) for lv, h in headings if lv < block.level] + [(block.level, _heading_of(block))]
        heading = " > ".join(h for _, h in headings)
        groups.append(("clause", _path(stack), heading, [block.text]))
    seen: set[str] = set()
    for kind, path, heading, texts in groups:
        if kind != "clause":
            # Several closing lines or preamble paragraphs: suffix to keep paths unique.
            base, n = path, 1
            while path in seen:
                n += 1
                path = f"{base} {n}"
        if path in seen:
            raise ParseError(source, "clause tree", f"clause {path} appears twice in circular {index + 1}")
        seen.add(path)
        builder.add(kind, path, "\n\n".join(texts), heading=heading)
    doc_notes = list(notes)
    if draft.title is None:
        doc_notes.append("title unknown: the source text starts inside this circular, its title page is missing")
    published = draft.dates[-1] if draft.dates else None
    doc_id = _doc_id(draft, published, index)
    return Document(
        doc_id=doc_id,
        doc_type="policy",
        title=draft.title,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=draft.number,
        publication_date=published,
        jurisdiction="CN",
        issuer=ISSUER,
        notes=doc_notes,
    )


def _doc_id(draft: _Draft, published: date | None, index: int) -> str:
    if draft.number:
        m = re.search(r"\[(\d{4})\]\s*No\.\s*(\d+)", draft.number)
        if m:
            return f"sipo-{m.group(1)}-{m.group(2)}"
    if published:
        return f"sipo-circular-{published.isoformat()}"
    return f"sipo-circular-{index + 1}"


def parse_circulars_text(path: Path, *, source: str | None = None) -> list[Document]:
    """Parse a plain-text file of one or more circulars into Documents.

    >>> docs = parse_circulars_text(Path("corpus/policy/sipo-circulars-2013.txt"))  # doctest: +SKIP
    >>> [d.number for d in docs]  # doctest: +SKIP
    [None, 'G. ZH. F. G. Z. [2013] No. 27']
    """
    source = source or str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(source, "read text", str(exc)) from exc
    return parse_circulars(raw, source)


def parse_circulars(raw: str, source: str) -> list[Document]:
    """The circulars of a text (the lines of a .txt file, a PDF's text layer, a DOCX's
    paragraphs). ParseError when a circular in it has no numbered clause."""
    paragraphs, notes = repair(raw)
    drafts = _split_circulars(paragraphs, notes)
    if not drafts:
        raise ParseError(source, "split circulars", "no text found")
    docs = []
    for i, draft in enumerate(drafts):
        notes_here = draft.notes + infer_missing_numbers(draft.blocks)
        if not any(b.level is not None for b in draft.blocks):
            raise ParseError(source, "clause tree", f"circular {i + 1} has no numbered clause (I., i., 1., (1))")
        docs.append(_build(draft, source, i, notes_here))
    return docs
