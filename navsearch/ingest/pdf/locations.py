"""Printed locations in patent PDFs: what a patent agent cites instead of the viewer's page.

A US grant is cited by column and line ("col. 3, ll. 10-25"): the column numbers are
printed at the top of each text column, the line numbers 5, 10, 15, ... in the gutter
between the columns. A US application publication, and most other documents, by the
page number printed in a running header or footer ("p. 3").

This module holds the pure part: fitting line numbers to the gutter marks, settling the
column numbers a page's OCR layer read (or missed), settling printed page numbers, and
writing the location of a passage. ``layout.py`` collects the marks and numbers from
the page geometry. Nothing is invented: a location is only given from numbers printed on
the page itself (or, for a column number the OCR missed, from the printed numbers beside
it); otherwise it is None.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

__all__ = [
    "LineFit",
    "PageLayout",
    "Place",
    "fit_line_numbers",
    "gutter_line_marks",
    "location",
    "page_number_candidates",
    "settle_columns",
    "settle_page_numbers",
]

# A mark further than this (in lines) from the fitted numbering is not a line number
# (a reference numeral near the gutter, "battery 30").
MAX_MARK_RESIDUAL = 1.5
# The numbering's line pitch must match the text's own baseline pitch this closely.
PITCH_TOLERANCE = 0.2
# A line number is centred on the gutter's x: within this many widths of a mark (and at
# least MIN_MARK_OFFSET points) of the median centre of the marks on the fit. A numeral
# of the text stands in a column, beside the gutter ("battery 30" starting a line of
# the right column), never on its axis.
MAX_MARK_OFFSET = 0.5
MIN_MARK_OFFSET = 2.0


@dataclass(frozen=True)
class LineFit:
    """Printed line number as a linear function of the baseline y (PDF points, y up)."""

    intercept: float
    slope: float  # negative: numbers grow down the page

    def line_at(self, y: float) -> int:
        """The printed line number of a line whose baseline is at ``y`` (line 1 at the least)."""
        # Half up, not Python's half to even: the same position always gets the same line.
        return max(1, math.floor(self.intercept + self.slope * y + 0.5))


@dataclass(frozen=True)
class Place:
    """Where a line of text lies: physical page (1-based), text column (0 left, 1 right), baseline."""

    page: int
    column: int
    y: float


@dataclass(frozen=True)
class PageLayout:
    """What a page prints about its own location."""

    columns: tuple[int, int] | None = None  # printed numbers of its left and right columns
    lines: LineFit | None = None  # gutter line numbering
    printed_page: int | None = None  # page number of a running header or footer


# ---------------------------------------------------------------------------
# Gutter line numbers


def fit_line_numbers(marks: Sequence[tuple[int, float]], pitch: float | None) -> tuple[LineFit | None, list[int]]:
    """Fit the printed line numbers to the gutter marks ``(number, y)`` of one page.

    Returns the fit (None when fewer than two distinct marks agree, or when their spacing
    is not the text's line ``pitch``) and the indices of the marks that are not on it.
    Robust first (median of pairwise slopes), then least squares over the marks it keeps,
    because OCR also reads reference numerals near the gutter as marks.
    """
    everything = list(range(len(marks)))
    slopes = [
        (n2 - n1) / (y2 - y1) for (n1, y1), (n2, y2) in combinations(marks, 2) if n1 != n2 and abs(y2 - y1) > 1.0
    ]
    if not slopes:
        return None, everything
    slope = statistics.median(slopes)
    if slope >= 0:
        return None, everything  # numbers must grow down the page
    intercept = statistics.median(n - slope * y for n, y in marks)
    kept = [i for i, (n, y) in enumerate(marks) if abs(intercept + slope * y - n) <= MAX_MARK_RESIDUAL]
    if len({marks[i][0] for i in kept}) < 2:
        return None, everything
    fit = _least_squares([marks[i] for i in kept])
    if fit is None or not _pitch_matches(fit, pitch):
        return None, everything
    return fit, [i for i in everything if i not in kept]


def gutter_line_marks(
    marks: Sequence[tuple[int, float, float, float]], pitch: float | None
) -> tuple[LineFit | None, list[int]]:
    """Which numerals near a page's gutter are its printed line numbers.

    ``marks``: ``(number, y, x0, x1)`` of every numeral that may be one (a multiple of 5
    near the middle of the page). A numeral is a line number when it is on the fitted
    numbering (its number is the right one for its y, within MAX_MARK_RESIDUAL lines)
    and centred on the gutter's x, where the other line numbers stand. Returns the fit
    (None when the page has no numbering: fewer than two agreeing marks, or not spaced
    by the text's ``pitch``) and the indices of the numerals that are not line numbers
    (all of them when there is no fit: the caller decides what those are).
    """
    everything = list(range(len(marks)))
    fit, off = fit_line_numbers([(n, y) for n, y, _, _ in marks], pitch)
    if fit is None:
        return None, everything
    on = [i for i in everything if i not in off]
    centre = statistics.median((marks[i][2] + marks[i][3]) / 2 for i in on)
    width = statistics.median(marks[i][3] - marks[i][2] for i in on)
    reach = max(MIN_MARK_OFFSET, MAX_MARK_OFFSET * width)
    aligned = [i for i in on if abs((marks[i][2] + marks[i][3]) / 2 - centre) <= reach]
    if len(aligned) < len(on):
        # A numeral of the text happened to fit the numbering: fit again without it.
        fit, off = fit_line_numbers([(marks[i][0], marks[i][1]) for i in aligned], pitch)
        if fit is None:
            return None, everything
        aligned = [i for k, i in enumerate(aligned) if k not in off]
    kept = set(aligned)
    return fit, [i for i in everything if i not in kept]


def _least_squares(points: Sequence[tuple[int, float]]) -> LineFit | None:
    ys = [y for _, y in points]
    mean_y = statistics.fmean(ys)
    mean_n = statistics.fmean(n for n, _ in points)
    spread = sum((y - mean_y) ** 2 for y in ys)
    if spread == 0:
        return None
    slope = sum((y - mean_y) * (n - mean_n) for n, y in points) / spread
    if slope >= 0:
        return None
    return LineFit(mean_n - slope * mean_y, slope)


def _pitch_matches(fit: LineFit, pitch: float | None) -> bool:
    """Two stray numerals can fit a line too; real marks are spaced by the text's lines."""
    if pitch is None or pitch <= 0:
        return True
    return abs(-1.0 / fit.slope - pitch) <= PITCH_TOLERANCE * pitch


# ---------------------------------------------------------------------------
# Column numbers


Reading = tuple[int | None, int | None]  # printed (left, right) column numbers as read, None where unread


def settle_columns(readings: Mapping[int, Reading]) -> tuple[dict[int, tuple[int, int]], int]:
    """Column numbers of each body page (physical page -> (left, right)) and how many were
    inferred because the OCR layer missed them.

    A US grant numbers its columns 1, 2 on the first body page, 3, 4 on the next: the
    left is odd, the right is the left plus one. A reading that breaks that rule is an OCR
    misreading and is dropped. A column the OCR missed is taken from the other column of
    the same page, or, when both are missing, from both neighbouring pages when they agree.
    """
    settled: dict[int, tuple[int, int]] = {}
    inferred = 0
    for page, (left, right) in readings.items():
        pair = _pair(left, right)
        if pair is not None:
            settled[page] = pair
            inferred += (left != pair[0]) + (right != pair[1])
    for page in sorted(readings):
        if page in settled:
            continue
        before, after = settled.get(page - 1), settled.get(page + 1)
        if before and after and before[1] + 3 == after[0]:
            settled[page] = (before[1] + 1, before[1] + 2)
            inferred += 2
    return settled, inferred


def _pair(left: int | None, right: int | None) -> tuple[int, int] | None:
    left = left if left is not None and left % 2 == 1 else None
    right = right if right is not None and right > 0 and right % 2 == 0 else None
    if left is not None and right is not None:
        return (left, right) if right == left + 1 else None
    if left is not None:
        return left, left + 1
    if right is not None:
        return right - 1, right
    return None


# ---------------------------------------------------------------------------
# Printed page numbers

_PAGE_WORD_RE = re.compile(r"^(?:Page|PAGE|page)\s+(\d{1,4})$")
_DASHED_RE = re.compile(r"^[-\u2013\u2014]\s*(\d{1,4})\s*[-\u2013\u2014]$")  # "- 3 -"
_FRACTION_RE = re.compile(r"^(\d{1,4})\s*/\s*(\d{1,4})$")  # "1/8", as Chinese publications print
_CN_PAGE_RE = re.compile(r"^第\s*(\d{1,4})\s*页(?:\s*共\s*\d{1,4}\s*页)?$")  # "第3页 共8页"
_BARE_RE = re.compile(r"^\d{1,4}$")
_SHEET_RE = re.compile(r"\bSheet\s+\d+\s+of\s+\d+\b", re.I)
_DATE_RE = re.compile(r"\b[A-Z][a-z]{2,3}\.?\s*\d{1,2}\s*,?\s*\d{4}\b")


def page_number_candidates(text: str) -> list[tuple[int, bool]]:
    """Numbers a header or footer line may print as its page number: ``(number, explicit)``.

    Explicit: the line is nothing but a page number in a page-number form ("Page 3",
    "- 3 -", "1/8", "第3页"). Otherwise every bare number in the line is a candidate
    (a running header "US 2009/0043621 A1 3"); those need other pages to confirm them.
    Drawing sheet numbers and dates are never page numbers.
    """
    line = text.strip()
    for pattern in (_PAGE_WORD_RE, _DASHED_RE, _CN_PAGE_RE):
        match = pattern.match(line)
        if match:
            return [(int(match.group(1)), True)]
    fraction = _FRACTION_RE.match(line)
    if fraction:
        number, total = int(fraction.group(1)), int(fraction.group(2))
        return [(number, True)] if 0 < number <= total else []
    line = _DATE_RE.sub(" ", _SHEET_RE.sub(" ", line))
    return [(int(token), False) for token in line.split() if _BARE_RE.match(token) and int(token) > 0]


def settle_page_numbers(candidates: Mapping[int, Sequence[tuple[int, bool]]]) -> dict[int, int]:
    """Printed page number of each page (physical page -> number) from its candidates.

    Printed numbers run with the physical pages: number - page is the same on every page
    of a run. An offset is accepted when two or more pages print a number at it, or when
    a page prints one in an explicit page-number form; a page gets the number at its best
    supported accepted offset, and a page that prints none gets none.
    """
    support: Counter[int] = Counter()
    explicit: set[int] = set()
    for page, found in candidates.items():
        offsets = {number - page for number, _ in found}
        support.update(offsets)
        explicit.update(number - page for number, is_explicit in found if is_explicit)
    accepted = {offset for offset, count in support.items() if count >= 2 or offset in explicit}
    out: dict[int, int] = {}
    for page, found in candidates.items():
        offsets = [number - page for number, _ in found if number - page in accepted]
        if offsets:
            best = max(offsets, key=lambda offset: (support[offset], offset in explicit))
            out[page] = page + best
    return out


# ---------------------------------------------------------------------------
# The location of a passage


def location(first: Place | None, last: Place | None, layouts: Mapping[int, PageLayout]) -> str | None:
    """The printed location of a passage from its first to its last line.

    "col. 3, ll. 10-25", "col. 3, l. 60 - col. 4, l. 5", "col. 3" (no line numbers printed
    on the page), "p. 3" / "pp. 3-4" (printed page numbers), or None when the page prints
    neither.
    """
    if first is None or last is None:
        return None
    start, end = layouts.get(first.page, PageLayout()), layouts.get(last.page, PageLayout())
    if start.columns is not None:
        return _column_location(first, last, start.columns[first.column], start, end)
    if start.printed_page is None:
        return None
    if end.printed_page is None or end.printed_page == start.printed_page:
        return f"p. {start.printed_page}"
    return f"pp. {start.printed_page}-{end.printed_page}"


def _column_location(first: Place, last: Place, column: int, start: PageLayout, end: PageLayout) -> str:
    line = start.lines.line_at(first.y) if start.lines else None
    if end.columns is None:
        return _endpoint(column, line)  # the end's column was not printed: cite where it starts
    last_column = end.columns[last.column]
    last_line = end.lines.line_at(last.y) if end.lines else None
    if last_column == column:
        if line is None or last_line is None:
            return f"col. {column}"
        return f"col. {column}, l. {line}" if line == last_line else f"col. {column}, ll. {line}-{last_line}"
    if line is None and last_line is None:
        return f"cols. {column}-{last_column}"
    return f"{_endpoint(column, line)} - {_endpoint(last_column, last_line)}"


def _endpoint(column: int, line: int | None) -> str:
    return f"col. {column}" if line is None else f"col. {column}, l. {line}"
