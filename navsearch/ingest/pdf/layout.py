"""Page geometry: words -> lines per column, in reading order.

Two-column pages are split at the gutter and the gutter's printed line numbers set
aside (locations.py fits them); then running headers and footers are removed (kept as
the page's ``furniture``), page roles assigned (front page, its continuation, drawing
sheets, body), lines without words dropped, and what each page prints about its own
location (column numbers, line numbering, page number) settled.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter

from pypdf import PdfReader

from navsearch.errors import ParseError
from navsearch.ingest.pdf.locations import (
    PageLayout,
    gutter_line_marks,
    page_number_candidates,
    settle_columns,
    settle_page_numbers,
)
from navsearch.ingest.pdf.text_layer import (
    MIN_PAGE_CHARS,
    Line,
    Page,
    Word,
    _alnum_count,
    _has_text,
    _page_words,
    _plain_text,
)

log = logging.getLogger(__name__)

_SHEET_RE = re.compile(r"\bSheet\s+\d+\s+of\s+\d+\b", re.I)
_PAGE_HEADER_RE = re.compile(r"^Page\s+\d+$")
_PATENT_NO_RE = re.compile(r"^(?:US|U\.\s?S\.)\s*[\d,.\s/]+\s*[AB]\d?$|^US\s*\d{4}/\d+\s*A\d$")


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
# Printed columns, line numbers and page numbers (locations.py does the arithmetic)

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
