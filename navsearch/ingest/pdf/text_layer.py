"""The PDF's text layer: opening the file, its fonts, and the words its content streams
show, with their positions (a small interpreter of the text operators).

Word, Line and Page are the data the rest of the package works on; layout.py groups the
words into lines and columns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ContentStream

from navsearch.errors import ParseError
from navsearch.ingest.pdf.locations import LineFit, PageLayout, Place

# A page with fewer letters/digits than this is "empty": OCR layers of blank or
# figure-only pages still carry a few stray glyphs.
MIN_PAGE_CHARS = 20
# Simple fonts whose bytes we decode as Windows-1252 (a superset of the standard
# encodings for the characters OCR layers use).
_SIMPLE_SUBTYPES = frozenset({"/Type1", "/TrueType", "/MMType1"})
_SIMPLE_ENCODINGS = frozenset({"/WinAnsiEncoding", "/StandardEncoding", "/MacRomanEncoding", None})


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


def _has_text(lines: Iterable[Line]) -> bool:
    return sum(_alnum_count(line.text) for line in lines) >= MIN_PAGE_CHARS


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
