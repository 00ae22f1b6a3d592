"""A patent's front page: the abstract (by geometry), the title, the publication date."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from navsearch.ingest.pdf.line_joining import join_lines
from navsearch.ingest.pdf.text_layer import Line, Page

_INID_RE = re.compile(r"^\(\s*\d{2}\s*\)")  # "(54)", "( 57 )": field codes of a front page
_ABSTRACT_HEAD_RE = re.compile(
    r"^(?:\(\s*57\s*\)\s*|57\s+)?(?:ABSTRACT|Abstract|摘要)(?:\s+OF\s+THE\s+DISCLOSURE)?\s*[:：]?\s*$"
)
_ABSTRACT_INLINE_RE = re.compile(r"^(?:\(\s*57\s*\)\s*)?(?:ABSTRACT|Abstract|摘要)\s*[:.：]\s*(\S.*)$")
_CLAIMS_SHEETS_RE = re.compile(r"\b\d+\s+Claims?\s*,\s*\d+\s+Drawing\s+Sheets?\b", re.I)
_CONTINUED_RE = re.compile(r"^\(\s*Continued\s*\)$", re.I)
_DATE_RE = r"([A-Z][a-z]{2,3})\s*\.?\s*(\d{1,2})\s*,\s*(\d{4})"
_PUB_DATE_RES = (
    re.compile(r"Date\s+of\s+Patent\s*:?\s*\**\s*" + _DATE_RE),
    re.compile(r"Pub\s*\.?\s*Date\s*:?\s*" + _DATE_RE),
)
# A Chinese grant's or publication's date: "(45)授权公告日 2017.12.01", "(43)申请公布日 2015.07.08".
_CN_PUB_DATE_RE = re.compile(r"\(\s*4[35]\s*\)\s*(?:授权公告日|申请公布日)\s*((?:19|20)\d\d)\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})")
# Field codes (INID, WIPO ST.9) printed on patent front pages, and claim headings.
_PATENT_INIDS = frozenset({10, 11, 12, 19, 21, 22, 30, 43, 45, 51, 52, 54, 56, 57, 58, 60, 63, 71, 72, 73, 74, 75})
_INID_ANY_RE = re.compile(r"\(\s*(\d{2})\s*\)")
_CLAIMS_HEAD_RE = re.compile(r"^(?:What is claimed is|I claim|We claim|The invention claimed is)\s*:?\s*$|权利要求书", re.I)
MIN_INIDS = 3  # distinct field codes that make a front page
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


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
    cn = _CN_PUB_DATE_RE.search(text)
    if cn:
        try:
            return date(int(cn.group(1)), int(cn.group(2)), int(cn.group(3)))
        except ValueError:
            pass
    # An OCR'd front page reads the header's labels and values apart ("(45) Date of
    # Patent:" on one line, "Oct. 8, 2024" above it): the date printed in the header,
    # before the title field (54), when the header has such a label.
    head = re.split(r"\(\s*54\s*\)", text, maxsplit=1)[0]
    if re.search(r"Date\s+of\s+Patent|Pub\s*\.?\s*Date", head):
        for match in re.finditer(_DATE_RE, head):
            month = _MONTHS.get(match.group(1)[:3].lower())
            if month is not None:
                try:
                    return date(int(match.group(3)), month, int(match.group(2)))
                except ValueError:
                    continue
    return None


def patent_evidence(pages: list[Page]) -> str | None:
    """Why the PDF is a patent (its front page's field codes, or a claims heading), or
    None: then it is read as a policy or general document. Decided from the content, so
    a circular saved as PDF is not indexed as a patent."""
    if not pages:
        return None
    front = " ".join(line.text for line in pages[0].lines[:200])
    codes = {int(c) for c in _INID_ANY_RE.findall(front)} & _PATENT_INIDS
    if len(codes) >= MIN_INIDS:
        return f"front page field codes {sorted(codes)}"
    for page in pages:
        for line in page.lines:
            if _CLAIMS_HEAD_RE.search(line.text.strip()):
                return f"claims heading {line.text.strip()[:30]!r} on page {page.number}"
    return None

