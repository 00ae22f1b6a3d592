"""A rulebook's cleaned lines read into a preamble and provisions (the Outline).

Tables are never scanned for markers; bare numbers in a document numbered otherwise are
folded back into the text; appendix-local numbers get their appendix; a bare number that
continues the numbering before it is nested under it; provisions with no body that
introduce their children are headings; heading chains are the captions that enclose each
provision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from navsearch.ingest.adgm.numbering import (
    APPENDIX_HEAD,
    APPENDIX_LOCAL,
    BARE_NUMBER,
    CAPS_LEAD,
    KEYWORD_ONLY,
    STRAY_SHARE,
    TABLE_END,
    TABLE_START,
    canonical_number,
    family,
    match_marker,
)

# Invisible direction marks the source puts before numbers ("Rule \u200e1.3.3"): they
# split tokens for search and never carry meaning in English text.
INVISIBLE = re.compile("[\u200e\u200f\ufeff]")


@dataclass
class Provision:
    """A numbered line of the rulebook and the body lines up to the next marker."""

    number: str  # canonical path: "2.1.3", "1.2.1.(2)", "APP1.A1.1"
    printed: str  # the marker as printed: "2.1.3.Guidance.1.", "A1.1"
    title: str  # rest of the marker line: "Application", "This chapter applies to ..."
    lines: list[str]  # the marker line and the body lines, as cleaned
    line_no: int  # 1-based line of the marker in the file
    heading_only: bool = False


@dataclass
class Outline:
    """A rulebook read into provisions, before sections are built."""

    preamble: list[str]
    provisions: list[Provision]
    notes: list[str] = field(default_factory=list)
    folded: list[Provision] = field(default_factory=list)  # markers read as text after all


# --- reading the file into provisions -------------------------------------------------
def clean_lines(raw: str) -> tuple[list[str], int]:
    """Lines without carriage returns, trailing spaces and invisible marks (and their count).

    Trailing tabs are kept: "7.1.3.Guidance on low-risk customers<TAB>" is a marker
    because of its tab. Section text drops them (:func:`_section_text`).
    """
    removed = len(INVISIBLE.findall(raw))
    text = INVISIBLE.sub("", raw).replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip(" ") for line in text.split("\n")], removed


def read_outline(lines: list[str]) -> Outline:
    """Split cleaned lines into a preamble and provisions; mark headings; name appendices."""
    preamble: list[str] = []
    provisions: list[Provision] = []
    notes: list[str] = []
    tables = _Tables()
    for n, line in enumerate(lines, start=1):
        marker = None if tables.open else match_marker(line)
        if marker:
            printed, rest = marker
            previous = provisions[-1] if provisions else None
            number, rest = _split_repeated(canonical_number(printed), rest, previous)
            provisions.append(Provision(number, printed, rest, [line], n))
        elif line.strip():
            (provisions[-1].lines if provisions else preamble).append(line)
            tables.lines += tables.open
        tables.update(line, n)  # after the marker: "PART 2.3.4<TAB>Types/Table Start"
    notes += tables.notes()
    folded = _drop_stray_numbers(provisions, preamble)
    if folded:
        shown = ", ".join(f"{p.printed} (line {p.line_no})" for p in folded[:6])
        notes.append(f"{len(folded)} bare number(s) in a document numbered otherwise read as list items or "
                     f"quoted rules, not provisions: {shown}{' ...' if len(folded) > 6 else ''}")
    _prefix_appendices(provisions)
    notes += _nest_bare_numbers(provisions)
    _mark_headings(provisions)
    return Outline(preamble, provisions, notes, folded)


@dataclass
class _Tables:
    """Where the ``/Table Start`` .. ``/Table End`` regions are, and what to note about them."""

    open: bool = False
    opened_at: int = 0
    count: int = 0
    lines: int = 0
    problems: list[str] = field(default_factory=list)

    def update(self, line: str, n: int) -> None:
        if TABLE_START in line and TABLE_END not in line:
            if self.open:
                self.problems.append(f"line {n}: a table starts inside the table opened at line {self.opened_at}")
            self.open, self.opened_at, self.count = True, n, self.count + 1
        elif TABLE_END in line and TABLE_START not in line:
            self.open = False

    def notes(self) -> list[str]:
        notes = list(self.problems)
        if self.open:
            notes.append(f"line {self.opened_at}: table never closed; no markers were read after it")
        if self.count:
            notes.append(f"{self.count} table(s), {self.lines} line(s), kept as text of the provision they sit "
                         "in; their rows (glossary definitions included) are not read as rule numbers")
        return notes


def _nest_bare_numbers(provisions: list[Provision]) -> list[str]:
    """Give a bare "6." its place in the sequence it continues.

    Guidance paragraphs sometimes lose their prefix: "A2.14.Guidance.5." then "6.<TAB>...",
    or a captioned block "...Guidance.Transfer of General Market Risk ..." then "1", "2".
    A bare n right after "<prefix>.<n-1>" where the prefix ends in a word (Guidance, a
    caption), or a bare 1 right after a container whose last component is a word, is read
    as "<prefix>.<n>" (ObliQA numbers them the same way). A bare "2." after "1.1" stays
    chapter 2.
    """
    nested = []
    for prev, p in zip(provisions, provisions[1:]):
        if not re.fullmatch(r"\d{1,3}", p.number) or p.title.isupper():
            continue  # "6.<TAB>BUSINESS RISK ASSESSMENT" after "5.1.1.Guidance.5." is chapter 6
        n = int(p.number)
        prefix, _, last = prev.number.rpartition(".")
        if last == str(n - 1) and re.search(r"(?:^|\.)[A-Z][^.]*$", prefix):  # "...Guidance.5" then "6."
            p.number = f"{prefix}.{n}"
        elif n == 1 and len(prev.lines) == 1 and re.search(r"\.[A-Z][^.]*$", prev.number):
            p.number = f"{prev.number}.1"
        else:
            continue
        nested.append(f"{p.printed.strip()} -> {p.number} (line {p.line_no})")
    if not nested:
        return []
    return [f"{len(nested)} bare number(s) read as continuing the numbering before them: "
            f"{', '.join(nested[:4])}{' ...' if len(nested) > 4 else ''}"]


def _split_repeated(number: str, rest: str, previous: Provision | None) -> tuple[str, str]:
    """"Part 12.Chapter 1.134.<TAB>(2)<TAB>If it appears ...", the number repeated on each
    subsection's line: read as "Part 12.Chapter 1.134.(2)" so that paths stay unique."""
    m = re.match(r"\((\d{1,3}[A-Za-z]?)\)\t", rest)
    if m and previous and (previous.number == number or previous.number.startswith(number + ".(")):
        return f"{number}.({m.group(1)})", rest[m.end():].strip()
    return number, rest


def _drop_stray_numbers(provisions: list[Provision], preamble: list[str]) -> list[Provision]:
    """Fold back into the text the bare numbers of a document numbered another way.

    In a rulebook numbered "PART 2.3.1.1" or guidance numbered "12)", a line "3.<TAB>an
    increase in the preliminary charge" is a numbered list item and "7.2.1<TAB>(1)<TAB>Once
    a Reporting Entity ..." a quoted rule, not provisions: when fewer than
    STRAY_SHARE of a document's markers start with a bare number, those are text, but
    for a heading in capitals ("13A.<TAB>REQUIREMENTS SPECIFIC TO PRIVATE CREDIT FUNDS").
    """
    families = [family(p.number) for p in provisions]
    if not families or families.count("number") >= STRAY_SHARE * len(families):
        return []
    kept: list[Provision] = []
    dropped: list[Provision] = []
    for p, fam in zip(provisions, families):
        if fam == "number" and not (p.title.isupper() and len(p.lines) == 1):  # "13A.<TAB>REQUIREMENTS ..."
            (kept[-1].lines if kept else preamble).extend(p.lines)
            dropped.append(p)
        else:
            kept.append(p)
    provisions[:] = kept
    return dropped


def _prefix_appendices(provisions: list[Provision]) -> None:
    """Number "A1.1" under an "APP1" heading as "APP1.A1.1" (ObliQA's ids do the same)."""
    appendix: tuple[str, str] | None = None  # (printed name "APP 1", its number "1")
    for p in provisions:
        head = APPENDIX_HEAD.match(p.number)
        if head:
            appendix = (p.number, head.group("n"))
            continue
        local = APPENDIX_LOCAL.match(p.number)
        if appendix and local and local.group("n") == appendix[1]:
            p.number = f"{appendix[0]}.{p.number}"
        elif not p.number.startswith("A") and not BARE_NUMBER.fullmatch(p.number):
            # Numbering of another kind ends the appendix; a bare "6." is a list item in it.
            appendix = None


def _is_child(parent: str, child: str) -> bool:
    return child.startswith(parent + ".")


def _title_like(text: str) -> bool:
    """A caption rather than a sentence: short, and not ending like a sentence or a lead-in."""
    text = text.strip()
    if text.startswith("["):
        return False  # "2.4.3<TAB>[Deleted]" is a provision (kept as a section), not a caption
    ends_like_sentence = text.endswith((".", ":", ";", ",", "—", "–", "-"))
    if text.isupper():  # a heading in capitals may be long, or end in a dot: "SCOPE."
        return len(text) <= 200 and not text.endswith((":", ";", ","))
    return 0 < len(text) <= 100 and len(text.split()) <= 14 and not ends_like_sentence


def _mark_headings(provisions: list[Provision]) -> None:
    """A provision with no body that only introduces its children is a heading."""
    for p, nxt in zip(provisions, provisions[1:] + [None]):
        has_body = len(p.lines) > 1
        opens_child = nxt is not None and _is_child(p.number, nxt.number)
        if not has_body and (not p.title or (opens_child and _title_like(p.title))):
            p.heading_only = True


def caption(p: Provision) -> str | None:
    """What a provision contributes to the heading chain of what it encloses."""
    if p.title and _title_like(p.title):
        return p.title.rstrip(". ")
    lead = CAPS_LEAD.match(p.title)
    if lead:  # "93)<TAB>INTERACTION OF CHAPTER 12 WITH OTHER RULE DISCLOSURE OBLIGATIONS. Prior to ..."
        return lead.group(1)
    if not p.title:
        last = re.split(r"\.", p.number)[-1]
        if re.fullmatch(r"[A-Z][A-Za-z_ ]+", last) and not KEYWORD_ONLY.fullmatch(last):
            return last.replace("_", " ")  # "2.4.4.Individuals", "2.1.3.Guidance"
    return None


def _own_caption(p: Provision) -> str | None:
    """A section's own caption, for its heading chain: its marker line when the text
    follows on the next lines, or a lead-in in capitals ("1)<TAB>INTRODUCTION. This ...")."""
    if p.heading_only:
        return None
    lead = CAPS_LEAD.match(p.title)
    if lead:
        return lead.group(1)
    return caption(p) if len(p.lines) > 1 else None


def heading_chains(provisions: list[Provision]) -> list[str | None]:
    """For each provision, the captions of the provisions that enclose it, outermost first.

    A provision's own caption is included when its marker line is a caption and its
    text follows on the next lines ("1.1<TAB>Application" then the rule; "1)<TAB>INTRODUCTION").
    """
    stack: list[tuple[str, str | None]] = []
    chains: list[str | None] = []
    for p in provisions:
        while stack and not _is_child(stack[-1][0], p.number):
            stack.pop()
        own = _own_caption(p)
        parts = [c for _, c in stack if c] + ([own] if own else [])
        chains.append(" > ".join(parts) or None)
        stack.append((p.number, caption(p)))
    return chains
