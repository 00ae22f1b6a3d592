"""Parse patent PDFs (and other PDFs) into Documents with page-numbered sections.

Patent PDFs as served by patent offices and Google Patents are page scans with an
invisible OCR text layer: every word is placed on its own (``Td`` + ``Tj``) in a simple
font. ``page.extract_text()`` reads that layer in stream order, which interleaves the two
columns of a front page (the abstract runs into the bibliographic data) and pulls the
line numbers of the column gutter into the sentences. So we read the words with their
positions ourselves, split two-column pages at the gutter, and rebuild lines and
paragraphs from geometry. Pages whose fonts we cannot decode byte-for-byte (CID fonts,
``ToUnicode`` maps) fall back to pypdf's own text, one column, no positions.

Steps: words -> lines per column -> running headers/footers and gutter numbers removed
-> page roles (front page, its continuation, drawing sheets, body) -> abstract (by
geometry, from the front page), description paragraphs and claims -> Document via
TextBuilder, so every section's offsets are exact. Every repair is counted in ``notes``.

What the cleaning removes is read before it goes: the column numbers printed at the top
of a grant's columns, the gutter line numbers with their positions, and the page number
of a running header or footer. With the position of each paragraph's first and last
line they give its printed location (``Section.location``: "col. 3, ll. 10-25", "p. 3";
pdf_locations.py), which is how patent agents cite.

A PDF without a text layer raises NoTextLayer; it is reported, never indexed empty.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ContentStream

from navsearch.errors import NoTextLayer, ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.cleaning import COMPOUND_TAILS, continues, vocabulary
from navsearch.ingest.pdf_locations import (
    LineFit,
    PageLayout,
    Place,
    gutter_line_marks,
    location,
    page_number_candidates,
    settle_columns,
    settle_page_numbers,
)
from navsearch.types import Document

__all__ = ["join_lines", "parse_pdf", "pdf_has_text_layer"]

log = logging.getLogger(__name__)

# A page with fewer letters/digits than this is "empty": OCR layers of blank or
# figure-only pages still carry a few stray glyphs.
MIN_PAGE_CHARS = 20
# Simple fonts whose bytes we decode as Windows-1252 (a superset of the standard
# encodings for the characters OCR layers use).
_SIMPLE_SUBTYPES = frozenset({"/Type1", "/TrueType", "/MMType1"})
_SIMPLE_ENCODINGS = frozenset({"/WinAnsiEncoding", "/StandardEncoding", "/MacRomanEncoding", None})

_INID_RE = re.compile(r"^\(\s*\d{2}\s*\)")  # "(54)", "( 57 )": field codes of a front page
_ABSTRACT_HEAD_RE = re.compile(
    r"^(?:\(\s*57\s*\)\s*|57\s+)?(?:ABSTRACT|Abstract|摘要)(?:\s+OF\s+THE\s+DISCLOSURE)?\s*[:：]?\s*$"
)
_ABSTRACT_INLINE_RE = re.compile(r"^(?:\(\s*57\s*\)\s*)?(?:ABSTRACT|Abstract|摘要)\s*[:.：]\s*(\S.*)$")
_CLAIMS_SHEETS_RE = re.compile(r"\b\d+\s+Claims?\s*,\s*\d+\s+Drawing\s+Sheets?\b", re.I)
_CONTINUED_RE = re.compile(r"^\(\s*Continued\s*\)$", re.I)
_SHEET_RE = re.compile(r"\bSheet\s+\d+\s+of\s+\d+\b", re.I)
_PAGE_HEADER_RE = re.compile(r"^Page\s+\d+$")
_PATENT_NO_RE = re.compile(r"^(?:US|U\.\s?S\.)\s*[\d,.\s/]+\s*[AB]\d?$|^US\s*\d{4}/\d+\s*A\d$")
_CLAIMS_INTRO_RE = re.compile(
    r"\b(?:what\s+is\s+claimed\s+is|what\s+i\s+claim\s+is|i\s+claim|we\s+claim|"
    r"the\s+invention\s+claimed\s+is|claims?\s+what\s+is\s+claimed\s+is|claimed\s+is)\s*:?",
    re.I,
)
_PARENT_CLAIM_RE = re.compile(r"\b(?:according\s+to|of|in|as\s+claimed\s+in|as\s+recited\s+in)\s+claims?\s+(\d+)", re.I)
_PARA_NUMBER_RE = re.compile(r"^\[(\d{3,5})\]")
_DATE_RE = r"([A-Z][a-z]{2,3})\s*\.?\s*(\d{1,2})\s*,\s*(\d{4})"
_PUB_DATE_RES = (
    re.compile(r"Date\s+of\s+Patent\s*:?\s*\**\s*" + _DATE_RE),
    re.compile(r"Pub\s*\.?\s*Date\s*:?\s*" + _DATE_RE),
)
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Short words that end a line as themselves; never the first half of a split word.
_FUNCTION_WORDS = frozenset(
    """a an the of and or to in on for with by from as at that which this these those its it
    is are was be been has have into under over between such than each any all not no can may
    said one two per via""".split()
)


# ---------------------------------------------------------------------------
# Public API


def parse_pdf(path: Path, *, source: str | None = None, doc_type: str = "patent") -> list[Document]:
    """Parse one PDF into one Document. Raises NoTextLayer for scans, ParseError otherwise."""
    path = Path(path)
    name = source if source is not None else path.as_posix()
    reader = _open(path, name)
    pages = _read_pages(reader, name)
    if not any(_has_text(page.lines) for page in pages):
        raise NoTextLayer(
            name, "extract text", f"no text layer on any of {len(pages)} pages (scanned images?); OCR it first"
        )
    return [_build_document(path, name, doc_type, pages)]


def pdf_has_text_layer(path: Path) -> bool:
    """Whether any page of the PDF carries extractable text (False for scans).

    Same test as parse_pdf's NoTextLayer, so the two never disagree."""
    name = Path(path).as_posix()
    return any(_has_text(page.lines) for page in _read_pages(_open(Path(path), name), name))


def join_lines(lines: Sequence[str], vocab: frozenset[str] = frozenset()) -> tuple[str, int]:
    """Join the lines of one paragraph into one string; return it and the number of words
    rejoined across a line end.

    A line ending in "-" is a word broken by the typesetter ("pa-" + "tent" -> "patent")
    unless the second half is capitalised ("anti-" + "HIV"), the hyphenated form is the
    one the document uses elsewhere ("non-volatile"), or the second half is a compound
    tail ("market-" + "based"). OCR layers often drop that hyphen ("effi" + "ciency"):
    such halves are joined only when the document spells the joined word elsewhere or
    the second half is an ending that is no word ("tion", "ciency"); the hyphen is put
    back when the document spells the pair hyphenated ("semi" + "passive").
    A hyphen inside a line is never touched. ``vocab``: the document's words, lower-case
    (cleaning.vocabulary).
    """
    out, joined, _ = _join_lines(lines, vocab)
    return out, joined


def _join_lines(lines: Sequence[str], vocab: frozenset[str]) -> tuple[str, int, list[int]]:
    """join_lines, and the offset in the joined text where each line starts (so a
    position in the text can be traced back to a printed line)."""
    out = ""
    joined = 0
    starts: list[int] = []
    for raw in lines:
        line = raw.strip()
        if not line or not out:
            starts.append(len(out))
            out = out or line
            continue
        glue, rejoined = _line_glue(out, line, vocab)
        joined += rejoined
        if glue == "-drop":
            out = out[:-1]
        elif glue == "+-":
            out += "-"
        else:
            out += glue
        starts.append(len(out))
        out += line
    return out, joined, starts


# ---------------------------------------------------------------------------
# Reading the file


def _open(path: Path, name: str) -> PdfReader:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to set permissions.
            try:
                if not reader.decrypt(""):
                    raise ParseError(name, "decrypt", "PDF is encrypted with a password")
            except ParseError:
                raise
            except Exception as exc:  # pypdf raises several types for unsupported ciphers
                raise ParseError(name, "decrypt", f"PDF is encrypted and cannot be opened: {exc}") from exc
        _ = len(reader.pages)  # forces the page tree to be read, where corrupt files fail
        return reader
    except ParseError:
        raise
    except FileNotFoundError as exc:
        raise ParseError(name, "read", str(exc)) from exc
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ParseError(name, "open PDF", f"not a readable PDF: {exc}") from exc


def _plain_text(page: PageObject, name: str, number: int) -> str:
    try:
        return page.extract_text() or ""
    except Exception as exc:  # pypdf fails in many ways on damaged content streams
        raise ParseError(name, f"extract text of page {number}", str(exc)) from exc


def _alnum_count(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


# ---------------------------------------------------------------------------
# Words with positions


@dataclass(frozen=True)
class Word:
    """One shown string: a word in OCR layers, a run of words or a kerned piece elsewhere."""

    text: str
    x0: float
    x1: float
    y: float  # baseline
    size: float
    space_before: bool = True  # the string began with a space: never glued to the left
    space_after: bool = True  # ... ended with one: never glued to the right


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    x1: float
    y: float
    size: float
    column: int  # 0 left, 1 right, -1 spans the page (or the page has one column)


@dataclass
class Page:
    number: int  # 1-based physical page
    width: float
    height: float
    lines: list[Line]
    two_column: bool = False
    role: str = "body"  # front | front-continued | drawing | body
    line_fit: LineFit | None = None  # the gutter's printed line numbers, fitted to their y
    furniture: list[Line] = field(default_factory=list)  # running headers/footers removed
    layout: PageLayout = field(default_factory=PageLayout)  # printed columns, lines, page number

    def place(self, line: Line) -> Place:
        """Where ``line`` lies; a line of a one-column page sits in the half it starts in."""
        column = line.column if line.column in (0, 1) else int(line.x0 >= self.width / 2 - 2)
        return Place(self.number, column, line.y)


def _mul(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Product of two PDF affine matrices [a b c d e f]."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


@dataclass
class _FontInfo:
    widths: dict[int, float]  # code -> glyph width in 1/1000 em
    default_width: float


def _simple_fonts(page: PageObject) -> dict[str, _FontInfo] | None:
    """The page's fonts if all are simple single-byte fonts we can decode, else None."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else {}
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if fonts is not None else {}
    out: dict[str, _FontInfo] = {}
    for key, ref in fonts.items():
        font = ref.get_object()
        encoding = font.get("/Encoding")
        if font.get("/Subtype") not in _SIMPLE_SUBTYPES or "/ToUnicode" in font:
            return None
        if encoding is not None and not isinstance(encoding, str):
            return None  # a /Differences dictionary: glyph names we would have to map
        if encoding not in _SIMPLE_ENCODINGS:
            return None
        base = str(font.get("/BaseFont", ""))
        # Courier is the only standard font with one width; others are approximated,
        # which is enough to place words in columns.
        default = 600.0 if "Courier" in base else 500.0
        widths: dict[int, float] = {}
        first = font.get("/FirstChar")
        if first is not None and font.get("/Widths") is not None:
            for i, w in enumerate(font["/Widths"].get_object()):
                widths[int(first) + i] = float(w)
        out[str(key)] = _FontInfo(widths, default)
    return out


def _string_bytes(operand: Any) -> bytes:
    if isinstance(operand, bytes):
        return bytes(operand)
    original = getattr(operand, "original_bytes", None)
    if original is not None:
        return bytes(original)
    return str(operand).encode("cp1252", errors="replace")


@dataclass
class _TextState:
    ctm: list[float] = field(default_factory=lambda: [1.0, 0, 0, 1.0, 0, 0])
    tm: list[float] = field(default_factory=lambda: [1.0, 0, 0, 1.0, 0, 0])
    tlm: list[float] = field(default_factory=lambda: [1.0, 0, 0, 1.0, 0, 0])
    font: _FontInfo | None = None
    size: float = 1.0
    scale: float = 1.0  # Tz / 100
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    leading: float = 0.0


def _page_words(page: PageObject, reader: PdfReader) -> list[Word] | None:
    """Every shown string with its position, or None when the fonts can't be decoded.

    A small interpreter of the text operators: enough for OCR layers and ordinary
    simple-font PDFs. Form XObjects are not entered; a page whose text lives only in
    them yields no words and falls back to pypdf's extraction.
    """
    fonts = _simple_fonts(page)
    contents = page.get_contents()
    if fonts is None or contents is None:
        return None
    state = _TextState()
    stack: list[list[float]] = []
    words: list[Word] = []
    for operands, op in ContentStream(contents, reader).operations:
        if op == b"q":
            stack.append(state.ctm[:])
        elif op == b"Q":
            state.ctm = stack.pop() if stack else state.ctm
        elif op == b"cm" and len(operands) == 6:
            state.ctm = _mul([float(v) for v in operands], state.ctm)
        elif op == b"BT":
            state.tm, state.tlm = [1.0, 0, 0, 1.0, 0, 0], [1.0, 0, 0, 1.0, 0, 0]
        else:
            _text_operator(op, operands, state, fonts, words)
    return words


def _text_operator(
    op: bytes, operands: list[Any], state: _TextState, fonts: dict[str, _FontInfo], words: list[Word]
) -> None:
    if op == b"Tm" and len(operands) == 6:
        state.tm = [float(v) for v in operands]
        state.tlm = state.tm[:]
    elif op in (b"Td", b"TD") and len(operands) == 2:
        tx, ty = float(operands[0]), float(operands[1])
        if op == b"TD":
            state.leading = -ty
        state.tlm = _mul([1.0, 0, 0, 1.0, tx, ty], state.tlm)
        state.tm = state.tlm[:]
    elif op == b"T*":
        state.tlm = _mul([1.0, 0, 0, 1.0, 0, -state.leading], state.tlm)
        state.tm = state.tlm[:]
    elif op == b"Tf" and len(operands) == 2:
        state.font = fonts.get(str(operands[0]))
        state.size = float(operands[1])
    elif op == b"Tz" and operands:
        state.scale = float(operands[0]) / 100
    elif op == b"Tc" and operands:
        state.char_spacing = float(operands[0])
    elif op == b"Tw" and operands:
        state.word_spacing = float(operands[0])
    elif op == b"TL" and operands:
        state.leading = float(operands[0])
    elif op in (b"Tj", b"'", b'"') and operands:
        if op != b"Tj":
            _text_operator(b"T*", [], state, fonts, words)
        _show(_string_bytes(operands[-1]), state, words)
    elif op == b"TJ" and operands:
        for item in operands[0]:
            if isinstance(item, (int, float)) or type(item).__name__ in ("FloatObject", "NumberObject"):
                # A kerning/positioning number moves the pen left by item/1000 em.
                state.tm = _mul([1.0, 0, 0, 1.0, -float(item) / 1000 * state.size * state.scale, 0], state.tm)
            else:
                _show(_string_bytes(item), state, words)


def _show(data: bytes, state: _TextState, words: list[Word]) -> None:
    """Record the string at the pen position and advance the pen past it."""
    font = state.font or _FontInfo({}, 500.0)
    advance = 0.0
    for code in data:
        glyph = font.widths.get(code, font.default_width) / 1000 * state.size
        advance += (glyph + state.char_spacing + (state.word_spacing if code == 32 else 0.0)) * state.scale
    m = _mul(state.tm, state.ctm)
    text = data.decode("cp1252", errors="replace")
    if text.strip() and abs(m[1]) < 1e-6 * max(1.0, abs(m[0])):  # upright text only
        height = state.size * math.hypot(m[2], m[3])
        x0 = m[4]
        x1 = x0 + advance * m[0]
        words.append(
            Word(text.strip(), min(x0, x1), max(x0, x1), m[5], height, text[:1].isspace(), text[-1:].isspace())
        )
    state.tm = _mul([1.0, 0, 0, 1.0, advance, 0], state.tm)


# ---------------------------------------------------------------------------
# Lines and columns


def _read_pages(reader: PdfReader, name: str) -> list[Page]:
    pages: list[Page] = []
    for index in range(len(reader.pages)):
        number = index + 1
        try:
            pdf_page = reader.pages[index]
            box = pdf_page.mediabox
            width, height = float(box.width), float(box.height)
        except Exception as exc:  # a damaged page tree or page dictionary
            raise ParseError(name, f"read page {number}", str(exc)) from exc
        try:
            words = _page_words(pdf_page, reader)
        except Exception as exc:  # a damaged stream: let pypdf's tolerant reader try
            log.debug("%s: page %d: positional read failed (%s)", name, number, exc)
            words = None
        if words is None or (not words and _alnum_count(_plain_text(pdf_page, name, number)) >= MIN_PAGE_CHARS):
            lines = [
                Line(_tidy(t), 0.0, width, height - 12.0 * i, 10.0, -1)
                for i, t in enumerate(_plain_text(pdf_page, name, number).splitlines())
                if t.strip()
            ]
            pages.append(Page(number, width, height, lines))
            continue
        words, two_column, candidates = _drop_gutter_numbers(words, width)
        fit, text = gutter_line_marks(
            [(int(w.text), w.y, w.x0, w.x1) for w in candidates], _baseline_pitch(words, width)
        )
        if fit is not None:
            # Numerals off the numbering are the text's own ("battery 30" at the start of
            # a line of the right column): they go back into their lines.
            kept = [candidates[i] for i in text]
        else:
            # No numbering fitted (too few marks, as on a last page of claims): every
            # numeral at the gutter is taken for a line number, except one near the top or
            # bottom edge, which is a centred page number ("5", "10").
            kept = [w for w in candidates if _near_edge(w.y, height)]
            dropped = [w.text for w in candidates if not _near_edge(w.y, height)]
            if dropped:
                log.debug(
                    "%s: page %d: no gutter line numbering fitted; dropped %s as line numbers",
                    name, number, " ".join(dropped),
                )
        words = words + kept
        pages.append(Page(number, width, height, _lines(words, width, two_column), two_column, line_fit=fit))
    return pages


def _near_edge(y: float, height: float) -> bool:
    """In the top or bottom tenth of the page, where running headers and footers sit."""
    return y > 0.9 * height or y < 0.1 * height


def _baseline_pitch(words: list[Word], width: float) -> float | None:
    """Median distance between the baselines of the left column's text, or None."""
    left = sorted((w for w in words if w.x1 <= width / 2 + 2), key=lambda w: -w.y)
    if len(left) < 10:
        return None
    size = statistics.median(w.size for w in left)
    baselines = [left[0].y]
    for word in left[1:]:
        if baselines[-1] - word.y > 0.35 * size:
            baselines.append(word.y)
    gaps = [a - b for a, b in zip(baselines, baselines[1:]) if a - b < 3 * size]
    return statistics.median(gaps) if gaps else None


def _is_gutter_number(word: Word, mid: float) -> bool:
    """A numeral that may be a line number printed between the columns of a patent (5,
    10, ... 65): a multiple of 5 near the middle. Reference numerals of the text look the
    same; only the fit to the page's numbering tells them apart."""
    if not re.fullmatch(r"\d{1,2}", word.text):
        return False
    value = int(word.text)
    return value % 5 == 0 and 0 < value <= 70 and abs((word.x0 + word.x1) / 2 - mid) < 15


def _drop_gutter_numbers(words: list[Word], width: float) -> tuple[list[Word], bool, list[Word]]:
    """Decide whether the page has two columns, and set aside the numerals that may be
    the gutter's line numbers if so. Returns the other words, whether the page has two
    columns, and the numerals set aside: the caller fits them to the page's line
    numbering (gutter_line_marks) and puts back those that are text ("battery 30").

    Two columns: almost no word straddles the middle, and both halves carry text."""
    mid = width / 2
    body: list[Word] = []
    marks: list[Word] = []
    for word in words:
        (marks if _is_gutter_number(word, mid) else body).append(word)
    straddling = sum(1 for w in body if w.x0 < mid - 2 and w.x1 > mid + 2)
    left = sum(1 for w in body if w.x1 <= mid + 2)
    right = len(body) - left - straddling
    columnar = len(body) >= 20 and straddling <= 0.03 * len(body)
    two_column = columnar and len(body) >= 40 and min(left, right) >= 0.15 * len(body)
    # A columnar page with text in one column only (the last page of the claims) still
    # has the gutter numbers; a one-column page keeps every word.
    return (body, two_column, marks) if columnar else (words, two_column, [])


def _lines(words: list[Word], width: float, two_column: bool) -> list[Line]:
    """Group words into lines, column by column, in reading order."""
    mid = width / 2
    words = _drop_specks(words)
    if not two_column:
        return _group(words, -1)
    spanning_ids = _spanning(words, mid)
    spanning = [w for i, w in enumerate(words) if i in spanning_ids]
    left = [w for i, w in enumerate(words) if i not in spanning_ids and w.x1 <= mid + 2]
    right = [w for i, w in enumerate(words) if i not in spanning_ids and w.x1 > mid + 2]
    span_lines = _group(spanning, -1)
    left_lines, right_lines = _group(left, 0), _group(right, 1)
    # Lines spanning both columns above the columns (a centred running header) come
    # first, the ones below them (a footer) last.
    top = max((line.y for line in left_lines + right_lines), default=0.0)
    head = [line for line in span_lines if line.y > top]
    tail = [line for line in span_lines if line.y <= top]
    return head + left_lines + right_lines + tail


def _drop_specks(words: list[Word]) -> list[Word]:
    """OCR reads dust and margin marks as tiny one-letter words ("a" beside a column)."""
    if not words:
        return words
    typical = statistics.median(w.size for w in words)
    return [w for w in words if not (len(w.text) == 1 and w.text.isalpha() and w.size < 0.6 * typical)]


def _spanning(words: list[Word], mid: float) -> set[int]:
    """Indices of words that belong to lines crossing the gutter: a word straddling the
    middle, and its neighbours on the same baseline ("US" "11,190,026" "B2")."""
    found = {i for i, w in enumerate(words) if w.x0 < mid - 2 and w.x1 > mid + 2}
    grown = True
    while grown:
        grown = False
        for i, w in enumerate(words):
            if i in found:
                continue
            for j in list(found):
                other = words[j]
                same_line = abs(other.y - w.y) <= 0.35 * min(w.size, other.size)
                near = min(abs(w.x0 - other.x1), abs(other.x0 - w.x1)) < 1.5 * max(w.size, other.size)
                if same_line and near:
                    found.add(i)
                    grown = True
                    break
    return found


def _group(words: list[Word], column: int) -> list[Line]:
    """Cluster words by baseline (top to bottom), then order each line left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: -w.y):
        if lines:
            current = lines[-1]
            tolerance = 0.35 * min(word.size, statistics.median(w.size for w in current))
            if abs(current[0].y - word.y) <= max(tolerance, 1.0):
                current.append(word)
                continue
        lines.append([word])
    out: list[Line] = []
    for group in lines:
        group.sort(key=lambda w: w.x0)
        text = _tidy(_join_words(group))
        if text:
            out.append(
                Line(
                    text,
                    group[0].x0,
                    max(w.x1 for w in group),
                    statistics.median(w.y for w in group),
                    statistics.median(w.size for w in group),
                    column,
                )
            )
    return out


def _join_words(words: list[Word]) -> str:
    """Words of one line with a space where there is one: pieces of a kerned TJ array
    ("Hel" "lo") touch and are glued; OCR words end in a space and never are."""
    parts = [words[0].text]
    for left, right in zip(words, words[1:]):
        gap = right.x0 - left.x1
        spaced = left.space_after or right.space_before or gap > 0.15 * min(left.size, right.size)
        parts.append(" " if spaced else "")
        parts.append(right.text)
    return "".join(parts)


def _tidy(text: str) -> str:
    """Undo the OCR layer's spacing around punctuation: "( 57 )" "No . :" "non - volatile"."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([(\[\u201c]) ", r"\1", text)
    text = re.sub(r" (\u201d)", r"\1", text)
    text = re.sub(r" ([)\],.;:!?%])", r"\1", text)
    text = re.sub(r"(?<=\d)\. (?=\d)", ".", text)  # "2006. 01"
    text = re.sub(r"(?<=\d), (?=\d{3}\b)", ",", text)  # "9, 753, 649"
    text = re.sub(r"(?<=\d) ([/]) ?(?=\d)", r"\1", text)  # "14 / 659"
    text = re.sub(r"(?<=[A-Za-z]) - (?=[a-z])", "-", text)  # "non - volatile", "ITE - part"
    text = re.sub(r"(?<=[A-Z]{2}) - (?=[A-Z]{2})", "-", text)  # "UN - MAP"
    return text


# ---------------------------------------------------------------------------
# Running headers, footers, page roles


def _running_keys(pages: list[Page]) -> set[str]:
    """Short lines that recur on most pages (numbers masked): "US 9,545,412 B2", "Sheet # of #"."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_mask(line.text) for line in page.lines if len(line.text) <= 60})
    threshold = max(3, math.ceil(0.5 * len(pages)))
    return {key for key, count in seen.items() if count >= threshold}


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _is_header_line(line: Line, page: Page, running: set[str]) -> bool:
    margin = 0.1 * page.height
    near_edge = line.y > page.height - margin or line.y < margin
    if _mask(line.text) in running and (near_edge or re.fullmatch(r"[#\s]+", _mask(line.text))):
        return True
    if not near_edge:
        return False
    text = line.text
    return bool(
        _PAGE_HEADER_RE.match(text)
        or _PATENT_NO_RE.match(text)
        or re.fullmatch(r"\d{1,3}", text)
        or (_SHEET_RE.search(text) and len(text) < 90)
    )


def _strip_headers(pages: list[Page]) -> int:
    """Remove running headers and footers; each page keeps them as ``furniture``."""
    running = _running_keys(pages)
    removed = 0
    for page in pages:
        kept: list[Line] = []
        for line in page.lines:
            (page.furniture if _is_header_line(line, page, running) else kept).append(line)
        removed += len(page.lines) - len(kept)
        page.lines = kept
    return removed


def _assign_roles(pages: list[Page]) -> None:
    """front: page 1 of a patent; front-continued: its "Page 2" overflow (references);
    drawing: "Sheet N of M"; body: description and claims."""
    body_started = False
    for page in pages:
        edges = [line.text for line in page.lines[:8] + page.lines[-4:]]
        if page.number == 1:
            page.role = "front"
        elif not body_started and any(re.search(r"\bPage\s+\d+$", text) for text in edges):
            page.role = "front-continued"
        elif any(_SHEET_RE.search(text) for text in edges):
            page.role = "drawing"
        else:
            page.role = "body"
            body_started = body_started or _has_text(page.lines)


def _has_text(lines: Iterable[Line]) -> bool:
    return sum(_alnum_count(line.text) for line in lines) >= MIN_PAGE_CHARS


def _is_noise(text: str) -> bool:
    """OCR of figures and screen shots: runs of ':' and '.' with a letter here and there."""
    alnum = _alnum_count(text)
    return alnum < 2 or alnum < 0.3 * len(text.replace(" ", ""))


def _drop_noise(pages: list[Page]) -> int:
    dropped = 0
    for page in pages:
        kept = [line for line in page.lines if not _is_noise(line.text)]
        dropped += len(page.lines) - len(kept)
        page.lines = kept
    return dropped


# ---------------------------------------------------------------------------
# Printed columns, line numbers and page numbers (pdf_locations.py does the arithmetic)

_COLUMN_NUMBER_RE = re.compile(r"^(\d{1,3})\.?$")  # OCR often adds a dot: "1."
_COLUMN_PAIR_RE = re.compile(r"^(\d{1,3})\.?\s+(\d{1,3})\.?$")  # both on one line of a one-column page


def _column_reading(page: Page) -> tuple[int | None, int | None]:
    """The column numbers printed at the top of a grant's two text columns, as the OCR
    layer read them: (left, right), None where not read. Only a page with two columns or
    gutter line numbers can carry them; a number must sit over the middle of its column
    (a page number sits in the middle of the page or in a corner)."""
    if not (page.two_column or page.line_fit):
        return None, None
    left: int | None = None
    right: int | None = None
    mid = page.width / 2
    for line in sorted(page.lines, key=lambda line: -line.y)[:4]:
        if line.y < 0.85 * page.height:
            break
        pair = _COLUMN_PAIR_RE.match(line.text)
        if pair and line.x0 < mid < line.x1:
            left, right = int(pair.group(1)), int(pair.group(2))
        single = _COLUMN_NUMBER_RE.match(line.text)
        if single and _over_column_middle(page, line):
            if (line.x0 + line.x1) / 2 < mid:
                left = int(single.group(1))
            else:
                right = int(single.group(1))
    return left, right


def _over_column_middle(page: Page, line: Line) -> bool:
    """Whether ``line`` is centred over the middle half of the text column it lies in."""
    mid = page.width / 2
    centre = (line.x0 + line.x1) / 2
    side = [
        other for other in page.lines
        if len(other.text) > 20 and ((other.x1 <= mid + 2) if centre < mid else (other.x0 >= mid - 2))
    ]
    if not side:
        return False
    x0, x1 = min(other.x0 for other in side), max(other.x1 for other in side)
    return x0 + 0.25 * (x1 - x0) <= centre <= x1 - 0.25 * (x1 - x0)


def _settle_layouts(pages: list[Page], readings: dict[int, tuple[int | None, int | None]], notes: list[str]) -> None:
    """Give every page what it prints about its location: the column numbers of a body
    page, its gutter line numbering, the page number of its header or footer."""
    columns, inferred = settle_columns(readings)
    if inferred:
        notes.append(f"inferred {inferred} column number(s) the OCR layer did not read, from the printed ones")
    candidates = {
        page.number: [
            candidate
            for line in page.furniture
            if _near_edge(line.y, page.height)
            for candidate in page_number_candidates(line.text)
        ]
        for page in pages
        # A grant's body pages print columns, not pages; drawing sheets print sheet numbers.
        if page.role != "drawing" and page.number not in columns
    }
    printed = settle_page_numbers(candidates)
    for page in pages:
        page.layout = PageLayout(
            columns=columns.get(page.number),
            lines=page.line_fit if page.number in columns else None,
            printed_page=printed.get(page.number),
        )


# ---------------------------------------------------------------------------
# Joining lines: de-hyphenation

# Halves that stay hyphenated at a line end: "non-" + "volatile", "self-" + "contained".
_COMPOUND_HEADS = frozenset({"non", "self"})
# Word endings that are not words: a line starting with one continues the previous
# line's last word even when OCR dropped the hyphen ("inven" / "tion", "mix" / "ture").
_BOUND_SUFFIXES = frozenset(
    """tion tions sion sions ment ments ture tures ciency cient ciently ence ences ance ances
    ency ancy ity ities ness ous ously ive ives ively ible ibly ably ical ically ular ized
    izing ization ated ating ation ations ational tial tially cial cially ing ings""".split()
)


def _line_glue(left: str, right: str, vocab: frozenset[str]) -> tuple[str, int]:
    """How to join two lines of a paragraph: "-drop" (remove the hyphen, no space),
    "" (no space, hyphen kept), "+-" (put back a hyphen OCR lost), " " (a space); and 1
    when a broken word was rejoined."""
    head_hyphen = re.search(r"([A-Za-z]+)-$", left)
    tail = re.match(r"[A-Za-z]+", right)
    if head_hyphen:
        if not tail or not tail.group(0)[0].islower():
            return "", 0  # "anti-" + "HIV", "COVID-" + "19": a real hyphen
        head, rest = head_hyphen.group(1), tail.group(0)
        joined, hyphenated = (head + rest).lower(), f"{head}-{rest}".lower()
        if joined in vocab and hyphenated not in vocab:
            return "-drop", 1
        if hyphenated in vocab or rest.lower() in COMPOUND_TAILS or head.lower() in _COMPOUND_HEADS:
            return "", 0
        return "-drop", 1
    # OCR layers drop the hyphen of a broken word ("effi" / "ciency"): join the halves
    # only when the document itself spells the whole word, so real word pairs stay apart.
    head_word = re.search(r"(?<![\w-])([A-Za-z]{2,})$", left)
    if head_word and tail and tail.group(0)[0].islower() and len(tail.group(0)) >= 2:
        head, rest = head_word.group(1), tail.group(0)
        if head.lower() not in _FUNCTION_WORDS and f"{head}-{rest}".lower() in vocab:
            return "+-", 1  # "semi" / "passive" where the document writes "semi-passive"
        attested = head.lower() not in _FUNCTION_WORDS and (head + rest).lower() in vocab
        if attested or rest in _BOUND_SUFFIXES:
            return "", 1
    return " ", 0


# ---------------------------------------------------------------------------
# Front page: abstract, title, date


@dataclass
class _Found:
    """Lines picked out of pages, remembered so the rest of the page can skip them."""

    lines: list[Line] = field(default_factory=list)
    used: set[tuple[int, int]] = field(default_factory=set)  # (page number, id of the line)

    def take(self, page: Page, line: Line, part: str | None = None) -> None:
        """Take ``line`` (or only ``part`` of its text) for the abstract."""
        self.lines.append(line if part is None else replace(line, text=part))
        self.used.add((page.number, id(line)))


def _column_lines(page: Page, column: int) -> list[Line]:
    return [line for line in page.lines if not page.two_column or line.column == column]


def _pitch(lines: Sequence[Line]) -> float:
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:]) if 0 < a.y - b.y < 3 * a.size]
    return statistics.median(gaps) if gaps else 12.0


def _abstract_heading(page: Page) -> tuple[int, str] | None:
    """Index of the "(57) ABSTRACT" line on the front page, and any text after the heading."""
    for i, line in enumerate(page.lines):
        if _ABSTRACT_HEAD_RE.match(line.text):
            return i, ""
        inline = _ABSTRACT_INLINE_RE.match(line.text)
        if inline:
            return i, inline.group(1)
    return None


def _abstract(pages: list[Page]) -> tuple[_Found, list[str]]:
    """The abstract's lines: below the heading in the heading's column, up to the
    "N Claims, M Drawing Sheets" line, a gap, or the next field code. "(Continued)"
    sends the rest to the top of page 2, above that page's "N Claims" line."""
    found, notes = _Found(), []
    front = pages[0]
    heading = _abstract_heading(front)
    if heading is None:
        return found, ["abstract: no 'Abstract' heading on the front page"]
    index, inline = heading
    head_line = front.lines[index]
    if inline:
        found.take(front, head_line, inline)
    column = [line for line in _column_lines(front, head_line.column) if line.y < head_line.y]
    column.sort(key=lambda line: -line.y)
    continued = _take_abstract_lines(front, column, head_line, found)
    if continued and len(pages) > 1:
        if _abstract_continuation(pages[1], found):
            notes.append("abstract continued on page 2")
        else:
            notes.append("abstract marked (Continued) but its continuation was not found on page 2")
    return found, notes


def _take_abstract_lines(page: Page, column: list[Line], head: Line, found: _Found) -> bool:
    """Walk down from the heading; return True when the column says "(Continued)"."""
    pitch = _pitch(column[:12])
    previous_y = head.y
    for line in column:
        if _CLAIMS_SHEETS_RE.search(line.text):
            return False
        if _CONTINUED_RE.match(line.text):
            return True
        if re.fullmatch(r"\(\s*57\s*\)", line.text):
            continue  # the field code printed apart from its heading
        started = bool(found.lines)
        if started and (_INID_RE.match(line.text) or previous_y - line.y > 2.5 * pitch):
            return False
        found.take(page, line)
        previous_y = line.y
    return False


def _abstract_continuation(page: Page, found: _Found) -> bool:
    """The abstract's tail at the top of page 2: the lines above "N Claims, M Drawing Sheets"."""
    for end in page.lines:
        if _CLAIMS_SHEETS_RE.search(end.text):
            break
    else:
        return False
    above = sorted(
        (line for line in _column_lines(page, end.column) if line.y > end.y), key=lambda line: line.y
    )
    pitch = _pitch(list(reversed(above)))
    tail: list[Line] = []
    previous_y = end.y
    for line in above:  # upwards from the "Claims" line
        if _INID_RE.match(line.text) or line.y - previous_y > 2.5 * pitch:
            break
        tail.append(line)
        previous_y = line.y
    # The same line may also carry "N Claims": keep what precedes it.
    lead = _CLAIMS_SHEETS_RE.split(end.text)[0].strip()
    for line in reversed(tail):
        found.take(page, line)
    if lead:
        found.take(page, end, lead)
    return bool(tail or lead)


def _title(front: Page, vocab: frozenset[str]) -> str | None:
    """The "(54)" field: its first line and the upper-case lines under it."""
    for i, line in enumerate(front.lines):
        match = re.match(r"^\(\s*54\s*\)\s*(.*)$", line.text)
        if not match:
            continue
        parts = [match.group(1)] if match.group(1) else []
        for nxt in front.lines[i + 1 :]:
            if nxt.column != line.column or _INID_RE.match(nxt.text) or re.match(r"^\(\*\)", nxt.text):
                break
            if ":" in nxt.text or any(c.islower() for c in nxt.text):
                break
            parts.append(nxt.text)
        title, _ = join_lines(parts, vocab)
        return title or None
    return None


def _publication_date(front: Page) -> date | None:
    text = " ".join(line.text for line in front.lines)
    for pattern in _PUB_DATE_RES:
        match = pattern.search(text)
        if match:
            month = _MONTHS.get(match.group(1)[:3].lower())
            if month is None:
                continue
            try:
                return date(int(match.group(3)), month, int(match.group(2)))
            except ValueError:
                continue
    return None


# ---------------------------------------------------------------------------
# Paragraphs


# Where the printed lines of a text lie: (offset in the text where a line starts, its
# place on the page), by offset. It maps a claim cut out of the claims text back to the
# lines it was printed on.
_Trace = list[tuple[int, Place]]


@dataclass
class _Para:
    lines: list[str]
    page: int
    heading: bool = False
    indented: bool = False  # first line indented: a paragraph start, never a continuation
    text: str = ""
    places: list[Place] = field(default_factory=list)  # where each of ``lines`` lies
    trace: _Trace = field(default_factory=list)  # set with ``text``

    def span(self) -> tuple[Place | None, Place | None]:
        """Where the paragraph's first and last printed lines lie."""
        return _place_at(self.trace, 0), _place_at(self.trace, len(self.text.rstrip()) - 1)


def _place_at(trace: _Trace, offset: int) -> Place | None:
    """Where the character at ``offset`` was printed: on the last line starting at or before it."""
    if not trace:
        return None
    i = bisect_right([start for start, _ in trace], offset) - 1
    return trace[max(i, 0)][1]


def _slice_trace(trace: _Trace, start: int, end: int) -> _Trace:
    """The trace of ``text[start:end]``, offsets relative to ``start``."""
    out: _Trace = []
    for i, (offset, place) in enumerate(trace):
        line_end = trace[i + 1][0] if i + 1 < len(trace) else math.inf
        if line_end > start and offset < end:
            out.append((max(offset - start, 0), place))
    return out


def _is_heading_line(text: str) -> bool:
    words = re.findall(r"[A-Za-z]{2,}", text)
    return (
        bool(words)
        and sum(len(w) for w in words) >= 5
        and all(w.isupper() for w in words)
        and not text.rstrip().endswith((",", ";", "."))
        and not text.startswith(("\u201c", '"', "'"))
        and len(text) <= 80
    )


def _column_runs(page: Page) -> list[list[Line]]:
    runs: list[list[Line]] = []
    for line in page.lines:
        if runs and runs[-1][-1].column == line.column:
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def _run_paragraphs(run: list[Line], page: Page) -> list[_Para]:
    """Split one column's lines into paragraphs: a blank line, an indented first line, a
    short line ending a sentence, a "[0012]" number, or an all-capitals heading."""
    body = [line for line in run if len(line.text) > 20] or run
    # The column's left edge: the leftmost line start, ignoring strays far left of most.
    starts = sorted(line.x0 for line in body)
    left = min(x for x in starts if x >= starts[len(starts) // 10] - 15)
    right = sorted(line.x1 for line in body)[(len(body) * 9) // 10]
    pitch = _pitch(run)
    paras: list[_Para] = []
    previous: Line | None = None
    for line in run:
        # Capitals inside a running sentence are a quoted title, not a heading.
        heading = _is_heading_line(line.text) and (
            previous is None or previous.text.endswith((".", ":")) or paras[-1].heading
            or previous.y - line.y > 1.8 * pitch
        )
        # An indent starts a paragraph, unless the line visibly continues a sentence:
        # claims indent their sub-clauses ("wherein ...") under a hanging first line.
        indented = 4 < line.x0 - left < 0.3 * max(right - left, 1.0) and not (
            previous is not None and line.text[:1].islower() and not previous.text.endswith((".", ":"))
        )
        new = (
            previous is None
            or heading
            or paras[-1].heading
            or previous.y - line.y > 1.8 * pitch
            or indented
            or bool(_PARA_NUMBER_RE.match(line.text))
            or (previous.text.endswith((".", ":")) and previous.x1 < right - 2.5 * previous.size)
        )
        if new and heading and paras and paras[-1].heading and previous and previous.y - line.y <= 1.8 * pitch:
            new = False  # a heading set on two lines
        if new:
            paras.append(_Para([], page.number, heading=heading, indented=indented or heading))
        paras[-1].lines.append(line.text)
        paras[-1].places.append(page.place(line))
        previous = line
    return paras


def _paragraphs(pages: list[Page], vocab: frozenset[str], found: _Found) -> tuple[list[_Para], int]:
    """Paragraphs of the given pages in reading order, joined across column and page
    breaks when the sentence runs on. Returns them and the count of rejoined words."""
    paras: list[_Para] = []
    for page in pages:
        for run in _column_runs(page):
            run = [line for line in run if (page.number, id(line)) not in found.used]
            if not run:
                continue
            for i, para in enumerate(_run_paragraphs(run, page)):
                last = paras[-1] if paras else None
                if (
                    i == 0
                    and last is not None
                    and not last.heading
                    and (not para.indented or para.lines[0][:1].islower())
                    and continues(last.lines[-1], para.lines[0], bool(_PARA_NUMBER_RE.match(para.lines[0])))
                ):
                    last.lines.extend(para.lines)  # a sentence running on into the next column
                    last.places.extend(para.places)
                else:
                    paras.append(para)
    rejoined = 0
    for para in paras:
        para.text, n, starts = _join_lines(para.lines, vocab)
        para.trace = list(zip(starts, para.places))
        rejoined += n
    return paras, rejoined


# ---------------------------------------------------------------------------
# Claims


@dataclass
class _Claim:
    number: int
    text: str
    page: int
    parent: int | None
    first: Place | None = None  # where its first printed line lies
    last: Place | None = None  # ... and its last


def _split_claims(paras: list[_Para]) -> tuple[list[_Para], list[_Claim]]:
    """Description paragraphs before "What is claimed is:", and the numbered claims after it."""
    for i, para in enumerate(paras):
        match = _CLAIMS_INTRO_RE.search(para.text)
        if match is None or (match.start() > 0 and not para.text[match.end() - 1 : match.end()] == ":"):
            continue
        tail = para.text[match.end() :]
        rest = tail.strip()
        if not re.match(r"^1\s*\.", rest) and not (i + 1 < len(paras) and re.match(r"^1\s*\.", paras[i + 1].text)):
            continue
        description = paras[:i]
        lead = para.text[: match.start()].strip()
        if lead:
            lead_trace = _slice_trace(para.trace, 0, match.start())
            description = description + [_Para([lead], para.page, text=lead, trace=lead_trace)]
        rest_at = len(para.text) - len(tail.lstrip())
        pieces = [(rest, para.page, _slice_trace(para.trace, rest_at, len(para.text)))] if rest else []
        pieces += [(p.text, p.page, p.trace) for p in paras[i + 1 :]]
        claims = _number_claims(pieces)
        if claims:
            return description, claims
    return paras, []


def _number_claims(pieces: list[tuple[str, int, _Trace]]) -> list[_Claim]:
    """Cut the claims text at "1.", "2.", ... in sequence; a number out of sequence is
    part of a claim ("a ratio of 2. 5" or a reference), not a new claim. ``pieces``:
    (text, page, trace) of the paragraphs after "What is claimed is"."""
    text = ""
    page_at: list[tuple[int, int]] = []  # (offset where a piece starts, its page)
    trace: _Trace = []
    for piece, page, piece_trace in pieces:
        base = len(text) + (1 if text else 0)
        page_at.append((base, page))
        trace.extend((base + offset, place) for offset, place in piece_trace)
        text = f"{text}\n{piece}" if text else piece
    # The end mark of a grant, "* * * * *", which OCR often reads as "ck ck ck".
    text = re.split(r"\*\s*\*\s*\*\s*\*\s*\*|\s(?:c[kx]?\s+){2,}c[kx]?\s*$", text, flags=re.I)[0]
    starts: list[tuple[int, int]] = []
    n, position = 1, 0
    while True:
        # A claim may start mid-paragraph when its indent was not seen; the strict
        # sequence (only "n." where n is the next number) keeps stray numbers out.
        match = re.compile(rf"(?:^|(?<=\s)){n}\s*\.\s*(?=[A-Z])").search(text, position)
        if match is None:
            break
        starts.append((n, match.start()))
        n, position = n + 1, match.end()
    claims: list[_Claim] = []
    for k, (number, start) in enumerate(starts):
        end = starts[k + 1][1] if k + 1 < len(starts) else len(text)
        body = re.sub(r"\s*\n\s*", " ", text[start:end]).strip()
        page = max((p for offset, p in page_at if offset <= start), default=pieces[0][1])
        parent = _PARENT_CLAIM_RE.search(body)
        parent_number = int(parent.group(1)) if parent and int(parent.group(1)) < number else None
        stop = start + len(text[start:end].rstrip())
        claims.append(
            _Claim(number, body, page, parent_number, _place_at(trace, start), _place_at(trace, stop - 1))
        )
    return claims


# ---------------------------------------------------------------------------
# The Document


def _language(text: str) -> str:
    cjk = len(_CJK_RE.findall(text))
    return "zh" if cjk > 0.3 * max(1, sum(ch.isalpha() for ch in text)) else "en"


def _identity(path: Path) -> tuple[str, str | None]:
    """doc_id from the file name ("US9545412.pdf"); jurisdiction = its leading letters."""
    stem = re.sub(r"[^\w.-]+", "-", path.stem).strip("-") or "document"
    letters = re.match(r"^([A-Z]{2})\d", stem)
    return stem, (letters.group(1) if letters else None)


def _build_document(path: Path, name: str, doc_type: str, pages: list[Page]) -> Document:
    notes: list[str] = []
    _assign_roles(pages)  # before the headers go: "Page 2" and "Sheet 1 of 7" are the evidence
    readings = {page.number: _column_reading(page) for page in pages if page.role == "body"}
    removed = _strip_headers(pages)  # the column numbers go with them, so they were read first
    _settle_layouts(pages, readings, notes)
    noise = _drop_noise(pages)
    vocab = vocabulary(line.text for page in pages for line in page.lines)
    doc_id, jurisdiction = _identity(path)
    if doc_type != "patent":
        jurisdiction = None  # a policy file's name says nothing about its issuer
    builder = TextBuilder()
    title: str | None = None
    published: date | None = None
    rejoined = 0
    structured = False
    if doc_type == "patent":
        title = _title(pages[0], vocab)
        published = _publication_date(pages[0])
        structured, rejoined = _add_patent_sections(builder, pages, vocab, notes)
    if not structured:
        rejoined = _add_page_sections(builder, pages, vocab)
        notes.append("structure not detected: one section per page")
    text = builder.text
    cleaning = [f"joined {rejoined} hyphenated words", f"removed {removed} header/footer lines"]
    if noise:
        cleaning.append(f"dropped {noise} lines without words (OCR of figures)")
    notes.insert(0, "; ".join(cleaning))
    if title is None and doc_type == "patent":
        notes.append("title not found on the front page")
    if published is None and doc_type == "patent":
        notes.append("publication date not found on the front page")
    return Document(
        doc_id=doc_id,
        doc_type=doc_type,
        title=title,
        text=text,
        sections=builder.sections,
        source=name,
        number=doc_id if doc_type == "patent" else None,
        publication_date=published,
        jurisdiction=jurisdiction,
        language=_language(text),
        notes=notes,
    )


def _add_patent_sections(builder: TextBuilder, pages: list[Page], vocab: frozenset[str], notes: list[str]) -> tuple[bool, int]:
    """abstract, front-page text, description paragraphs, claims. False when neither an
    abstract nor claims were found (then the caller falls back to pages)."""
    found, abstract_notes = _abstract(pages)
    notes.extend(abstract_notes)
    abstract, rejoined = join_lines([line.text for line in found.lines], vocab)
    body = [page for page in pages if page.role == "body"]
    paras, n = _paragraphs(body, vocab, found)
    rejoined += n
    description, claims = _split_claims(paras)
    if not abstract and not claims:
        return False, 0
    layouts = {page.number: page.layout for page in pages}
    if abstract:
        builder.add("abstract", "abstract", abstract, page=1)
    for page in pages:
        if page.role in ("front", "front-continued"):
            rest = [line.text for line in page.lines if (page.number, id(line)) not in found.used]
            if rest:
                builder.add("text", f"p. {page.number}", "\n".join(rest), page=page.number, heading="front page")
    drawings = sum(1 for page in pages if page.role == "drawing")
    if drawings:
        notes.append(f"skipped {drawings} drawing sheets (figure labels only)")
    _add_description(builder, description, layouts)
    for claim in claims:
        builder.add(
            "claim",
            f"claim {claim.number}",
            claim.text,
            page=claim.page,
            claim_number=claim.number,
            parent_claim=claim.parent,
            location=location(claim.first, claim.last, layouts),
        )
    if body and not claims:
        notes.append("claims not found")
    return True, rejoined


def _add_description(builder: TextBuilder, paras: list[_Para], layouts: dict[int, PageLayout]) -> None:
    heading: str | None = None
    per_page: Counter[int] = Counter()
    for para in paras:
        if para.heading:
            heading = para.text  # carried by the paragraphs under it
            continue
        per_page[para.page] += 1
        number = _PARA_NUMBER_RE.match(para.text)
        path = f"[{number.group(1)}]" if number else f"p. {para.page} ¶{per_page[para.page]}"
        where = location(*para.span(), layouts)
        builder.add("description", path, para.text, page=para.page, heading=heading, location=where)


def _add_page_sections(builder: TextBuilder, pages: list[Page], vocab: frozenset[str]) -> int:
    rejoined = 0
    for page in pages:
        if not _has_text(page.lines):
            continue
        paras, n = _paragraphs([page], vocab, _Found())
        rejoined += n
        text = "\n".join(p.text for p in paras)
        if text.strip():
            builder.add("page", f"p. {page.number}", text, page=page.number)
    return rejoined
