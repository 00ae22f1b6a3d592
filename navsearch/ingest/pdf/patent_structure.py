"""Paragraphs of the body pages (rebuilt from geometry, joined across column and page
breaks) and the claims that follow "What is claimed is:", each traced back to the
printed lines it came from."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from navsearch.ingest.cleaning import continues
from navsearch.ingest.pdf.front_page import _Found, _pitch
from navsearch.ingest.pdf.line_joining import _join_lines
from navsearch.ingest.pdf.locations import Place
from navsearch.ingest.pdf.text_layer import Line, Page

_CLAIMS_INTRO_RE = re.compile(
    r"\b(?:what\s+is\s+claimed\s+is|what\s+i\s+claim\s+is|i\s+claim|we\s+claim|"
    r"the\s+invention\s+claimed\s+is|claims?\s+what\s+is\s+claimed\s+is|claimed\s+is)\s*:?",
    re.I,
)
_PARENT_CLAIM_RE = re.compile(r"\b(?:according\s+to|of|in|as\s+claimed\s+in|as\s+recited\s+in)\s+claims?\s+(\d+)", re.I)
_PARA_NUMBER_RE = re.compile(r"^\[(\d{3,5})\]")


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
