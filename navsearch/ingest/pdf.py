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

A PDF without a text layer raises NoTextLayer; it is reported, never indexed empty.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ContentStream

from navsearch.errors import NoTextLayer, ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.cleaning import COMPOUND_TAILS, continues, vocabulary
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

_STEM_RE = re.compile(r"^([A-Z]{2})(\d+[A-Z]?\d*)$")
_INID_RE = re.compile(r"^\(\s*\d{2}\s*\)")  # "(54)", "( 57 )": field codes of a front page
_ABSTRACT_HEAD_RE = re.compile(r"^(?:\(\s*57\s*\)\s*|57\s+)?(?:ABSTRACT|Abstract)(?:\s+OF\s+THE\s+DISCLOSURE)?\s*:?\s*$")
_CLAIMS_SHEETS_RE = re.compile(r"\b\d+\s+Claims?\s*,\s*\d+\s+Drawing\s+Sheets?\b", re.I)
_CONTINUED_RE = re.compile(r"^\(\s*Continued\s*\)$", re.I)
_SHEET_RE = re.compile(r"\bSheet\s+\d+\s+of\s+\d+\b", re.I)
_PAGE_HEADER_RE = re.compile(r"^Page\s+\d+$")
_PATENT_NO_RE = re.compile(r"^(?:US|U\.\s?S\.)\s*[\d,.\s/]+\s*[AB]\d?$|^US\s*\d{4}/\d+\s*A\d$")
_CLAIMS_INTRO_RE = re.compile(
    r"(?:what\s+is\s+claimed\s+is|what\s+i\s+claim\s+is|i\s+claim|we\s+claim|"
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
    """Whether any page of the PDF carries extractable text (False for scans)."""
    name = Path(path).as_posix()
    reader = _open(Path(path), name)
    for index, page in enumerate(reader.pages):
        if _alnum_count(_plain_text(page, name, index + 1)) >= MIN_PAGE_CHARS:
            return True
    return False


def join_lines(lines: Sequence[str], vocab: frozenset[str] = frozenset()) -> tuple[str, int]:
    """Join the lines of one paragraph into one string; return it and the number of words
    rejoined across a line end.

    A line ending in "-" is a word broken by the typesetter ("pa-" + "tent" -> "patent")
    unless the second half is capitalised ("anti-" + "HIV"), the hyphenated form is the
    one the document uses elsewhere ("non-volatile"), or the second half is a compound
    tail ("market-" + "based"). OCR layers often drop that hyphen ("effi" + "ciency"):
    such halves are joined only when the document spells the joined word elsewhere.
    A hyphen inside a line is never touched.
    """
    out = ""
    joined = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
            continue
        glue, rejoined = _line_glue(out, line, vocab)
        joined += rejoined
        out = (out[:-1] if glue == "-drop" else out) + ("" if glue in ("", "-drop") else " ") + line
    return out, joined


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
    text: str
    x0: float
    x1: float
    y: float  # baseline
    size: float


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
        words.append(Word(text.strip(), min(x0, x1), max(x0, x1), m[5], height))
    state.tm = _mul([1.0, 0, 0, 1.0, advance, 0], state.tm)


# ---------------------------------------------------------------------------
# Lines and columns


def _read_pages(reader: PdfReader, name: str) -> list[Page]:
    pages: list[Page] = []
    for index, pdf_page in enumerate(reader.pages):
        number = index + 1
        box = pdf_page.mediabox
        width, height = float(box.width), float(box.height)
        try:
            words = _page_words(pdf_page, reader)
        except Exception as exc:  # a damaged stream: let pypdf's tolerant reader try
            log.debug("%s: page %d: positional read failed (%s)", name, number, exc)
            words = None
        if words is None or (not words and _alnum_count(_plain_text(pdf_page, name, number)) >= MIN_PAGE_CHARS):
            lines = [
                Line(_tidy(t), 0.0, width, height - i, 10.0, -1)
                for i, t in enumerate(_plain_text(pdf_page, name, number).splitlines())
                if t.strip()
            ]
            pages.append(Page(number, width, height, lines))
            continue
        words, two_column = _drop_gutter_numbers(words, width)
        pages.append(Page(number, width, height, _lines(words, width, two_column), two_column))
    return pages


def _is_gutter_number(word: Word, mid: float) -> bool:
    """Line numbers printed between the columns of a patent (5, 10, ... 65)."""
    if not re.fullmatch(r"\d{1,2}", word.text):
        return False
    value = int(word.text)
    return value % 5 == 0 and 0 < value <= 70 and abs((word.x0 + word.x1) / 2 - mid) < 15


def _drop_gutter_numbers(words: list[Word], width: float) -> tuple[list[Word], bool]:
    """Decide whether the page has two columns, and drop the gutter's line numbers if so.

    Two columns: almost no word straddles the middle, and both halves carry text."""
    mid = width / 2
    body = [w for w in words if not _is_gutter_number(w, mid)]
    straddling = sum(1 for w in body if w.x0 < mid - 2 and w.x1 > mid + 2)
    left = sum(1 for w in body if w.x1 <= mid + 2)
    right = len(body) - left - straddling
    two_column = len(body) >= 40 and straddling <= 0.03 * len(body) and min(left, right) >= 0.15 * len(body)
    return (body if two_column else words), two_column


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
        text = _tidy(" ".join(w.text for w in group))
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


def _tidy(text: str) -> str:
    """Undo the OCR layer's spacing around punctuation: "( 57 )" "No . :" "non - volatile"."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([(\[]) ", r"\1", text)
    text = re.sub(r" ([)\],.;:!?%])", r"\1", text)
    text = re.sub(r"(?<=\d)\. (?=\d)", ".", text)  # "2006. 01"
    text = re.sub(r"(?<=\d), (?=\d{3}\b)", ",", text)  # "9, 753, 649"
    text = re.sub(r"(?<=\d) ([/]) ?(?=\d)", r"\1", text)  # "14 / 659"
    text = re.sub(r"(?<=[A-Za-z]) - (?=[a-z])", "-", text)  # "non - volatile", "ITE - part"
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
    running = _running_keys(pages)
    removed = 0
    for page in pages:
        kept = [line for line in page.lines if not _is_header_line(line, page, running)]
        removed += len(page.lines) - len(kept)
        page.lines = kept
    return removed


def _assign_roles(pages: list[Page]) -> None:
    """front: page 1 of a patent; front-continued: its "Page 2" overflow (references);
    drawing: "Sheet N of M"; body: description and claims."""
    body_started = False
    for page in pages:
        text = "\n".join(line.text for line in page.lines[:8])
        if page.number == 1:
            page.role = "front"
        elif not body_started and re.search(r"^Page\s+\d+\s*$", text, re.M):
            page.role = "front-continued"
        elif page.role == "drawing" or _SHEET_RE.search(text):
            page.role = "drawing"
        else:
            page.role = "body"
            body_started = body_started or _has_text(page.lines)


def _has_text(lines: Iterable[Line]) -> bool:
    return sum(_alnum_count(line.text) for line in lines) >= MIN_PAGE_CHARS


def _mark_drawings(pages: list[Page]) -> None:
    """Drawing sheets are recognised before headers are stripped: the header is the evidence."""
    for page in pages:
        if page.number > 1 and any(_SHEET_RE.search(line.text) for line in page.lines[:6] + page.lines[-6:]):
            page.role = "drawing"
