"""ADGM (Abu Dhabi Global Market) rulebooks and guidance as plain text, one rulebook a file.

The files (the ObliQA set) print each provision's full number at the start of a line,
tab-separated from its text: ``2.1.3``, ``1.2.1.(2)``, ``2.1.3.Guidance.1``,
``2.4.4.Individuals.(a)``, ``PART 2.2.1.11.(a)``, ``Part 6.Chapter 1.58.(1)``,
``Schedule 1.Part 2.Chapter 1.5.(1)``, ``APP1.A1.1``, ``SECTION VIII.C.1.``, ``D.1.1.``,
``12)``. Lettered items (``(a)``, ``(i)``, ``a)``) start lines too but are never markers:
they stay in their rule's text, as ObliQA keeps them. A cross-reference ("Rule 1.3.3",
"section 151") can only be a marker if it opens a line, and even then a keyword such as
"Rule" is not part of the grammar, so it is read as text.

Each marker opens a provision; the lines up to the next marker are its body. A marker
line with no body whose next provision is its child ("2.1<TAB>Application" before
"2.1.1") is a heading: it becomes part of the ``heading`` chain of the sections under
it, not a section of its own (ObliQA gives such lines passage ids; they never hold a
rule). Text before the first marker is the preamble. Tables (``/Table Start`` ..
``/Table End``) are kept as text of the provision they sit in and never scanned for
markers: their first column holds numbers that are not rule numbers.

Heading lines are sections of kind ``heading``: in ``Document.text`` as printed, and in
the ``Section.heading`` chain of the rules under them (which the chunker prepends as
context), but not chunks of their own: a two-word line would only crowd search results.

Paths are the printed numbers, lightly normalised (:func:`canonical_number`): no
trailing dot, no space around dots. Where the source drops part of a number, the parser
restores it and says so in ``Document.notes``: ``A1.1`` under an appendix headed
``APP1`` is ``APP1.A1.1``; a bare ``6.`` after ``...Guidance.5.`` is ``...Guidance.6``;
``Part 12.Chapter 1.134.<TAB>(2)<TAB>...`` is ``Part 12.Chapter 1.134.(2)``. A bare
number in a document numbered another way (``3.`` in ``PART`` rules, ``7.2.1`` quoted in
``n)`` guidance) is a list item or a quotation, kept as text. A number printed twice
keeps its first occurrence; later ones are suffixed ``#2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from navsearch.errors import ParseError
from navsearch.ingest.builder import TextBuilder
from navsearch.types import Document

ISSUER = "Financial Services Regulatory Authority (FSRA), ADGM"
JURISDICTION = "AE-ADGM"
DOCUMENT_MAP_NAME = "DocumentMap.rtf"

# Invisible direction marks the source puts before numbers ("Rule \u200e1.3.3"): they
# split tokens for search and never carry meaning in English text.
INVISIBLE = re.compile("[\u200e\u200f\ufeff]")

# --- the marker grammar ------------------------------------------------------------
_NUM = r"\d{1,3}[A-Z]{0,2}"
_ROMAN = r"[IVXL]{1,6}"
_KEYWORD = (
    rf"(?:APPENDIX(?: [A-Z]:?)?(?![a-z])"
    rf"|(?:PART|Part|Chapter|Schedule|SECTION|ANNEX|APP)(?:\s?(?:{_NUM}|{_ROMAN})(?![a-z]))?)"
)
_PAREN = r"\((?:\d{1,3}[A-Za-z]?|[a-z]{1,4}|[A-Z]{1,2})\)"
_WORD = r"(?:Guidance(?: on [A-Z]{2,6})?|Appendix [A-Z]:|[A-Z][a-z]+(?:_[A-Za-z]+)*\d{0,3})"
_FIRST = rf"(?:\d{{1,3}}\)|{_KEYWORD}|{_NUM}|A\d{{1,2}}(?=\.)|[A-H](?=\.\d))"
# "PART 4.MARKETING_OF_DOMESTIC_AND_FOREIGN_FUNDS.Guidance": a chapter name in capitals,
# only ever followed by more of the number ("PART 2.DEFINITIONAL_PROVISIONS" is a heading).
_CAPS_NAME = r"[A-Z]{2,}(?:_[A-Z]+)+(?=\.[A-Z(\d])"
_COMPONENT = (
    rf"(?:\d{{1,3}}\)|[a-z]{{1,2}}\)|{_KEYWORD}|{_NUM}|{_PAREN}|A\d{{1,2}}|{_CAPS_NAME}|{_WORD}"
    rf"|[A-Za-z](?![A-Za-z]))"
)
# "Part 3 .85", "APP6..A6", "21.3.4. Guidance", "99A. (1)", "PART 2.4.1.9 Guidance": the
# sources are not tidy around dots.
_SEP = r"(?:\s?\.{1,2}(?:\s(?=Guidance\b|\())?|\s(?=Guidance\b))"
# A bracketed item may follow without its dot ("1.1.1.Guidance(ii)"). The lookahead makes
# the engine backtrack to a reading that ends where a marker may end ("Guidance1." is one
# component, not "Guidance" and a stray "1.").
MARKER = re.compile(
    rf"(?P<number>{_FIRST}(?:{_SEP}{_COMPONENT}|{_PAREN})*)(?P<dot>[.:]?)(?=\s|$|[A-Z]{{3}})"
)
# Before a tab, a component may be a caption of several words: "7.1.3.Guidance on the
# customer risk assessment.1.", "APP10.A10.2.1.Guidance.Guidance.High Quality Liquid Assets (HQLA)".
_CAPTION = r"[A-Z][^.\t]{0,120}"
LONG_MARKER = re.compile(rf"{_FIRST}(?:{_SEP}(?:{_COMPONENT}|{_CAPTION})|{_PAREN})*[.:]?")
BARE_NUMBER = re.compile(rf"{_NUM}\.?")
KEYWORD_ONLY = re.compile(r"(?:PART|Part|Chapter|Schedule|SECTION|APPENDIX|ANNEX|APP)")
# "A.<TAB>INTRODUCTION": a lettered top-level heading (the SFWG principles), told from a
# lettered list item ("A.<TAB>a transaction ...") by its capitals.
LETTER_HEADING = re.compile(r"(?P<number>[A-H])\.\t+(?=[A-Z][A-Z ,&'\-]{3,}$)")
# A lead-in in capitals before the paragraph's first sentence: "9)<TAB>DISCLOSURES ... STANDARDS . The FSRA ..."
CAPS_LEAD = re.compile(r"([A-Z][A-Z0-9 ,&'’/()\-–]{3,}[A-Z)])\s?\.\s+[A-Z]")
APPENDIX_HEAD = re.compile(r"^APP ?(?P<n>\d{1,2})$")
APPENDIX_LOCAL = re.compile(r"^A(?P<n>\d{1,2})\.")
TABLE_START = "Table Start"
TABLE_END = "Table End"
# Below this share of a document's markers, bare numbers are list items or quoted rules
# (0.3% in FUNDS, 1% in the Continuous Disclosure guidance; 12% where they are real, the
# UAE CRS guidance numbered "1." .. "7.B.2." beside "SECTION ..." ).
STRAY_SHARE = 0.05
ADGM_MENTION = re.compile(r"Abu Dhabi Global Market|\bADGM\b|\bFSRA\b")

# --- metadata from the file name -----------------------------------------------------
VERSION_STAMP = re.compile(r"VER\d{1,2}\.(?P<stamp>\d{6}|\d{8})(?!\d)")
SHORT_NAME = re.compile(r"^(?P<name>[A-Z]{2,6})(?=[_ ]VER\d| Regulations\b| \(Consolidated)")
MONTHS = ("january february march april may june july august september october november december").split()
DAY_MONTH_YEAR = re.compile(r"(?<!\d)(?P<d>\d{1,2}) (?P<m>[A-Z][a-z]+) (?P<y>\d{4})(?!\d)")


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


# --- reading markers -------------------------------------------------------------------
def canonical_number(printed: str) -> str:
    """The path for a printed marker: spaces around dots and doubled or trailing dots removed.

    >>> canonical_number("Schedule 1.Part 3 .85.(1)")
    'Schedule 1.Part 3.85.(1)'
    >>> canonical_number("21.3.4. Guidance.1.")
    '21.3.4.Guidance.1'
    >>> canonical_number("APP6..A6.3.21")
    'APP6.A6.3.21'
    """
    number = re.sub(r"\s*\.+\s*|(?<=[\w)])\s+(?=Guidance\b)", ".", printed.strip())
    number = re.sub(r"(?<=[A-Za-z0-9])\((?=\w{1,4}\))", ".(", number)  # "Guidance(ii)"
    return number.rstrip(".:")  # "PART 5:<TAB>CORE RULES ..." is PART 5


def match_marker(line: str) -> tuple[str, str] | None:
    """(printed marker, rest of the line) when ``line`` opens a provision, else None.

    Only the start of a line is looked at (indented lines are list items or quoted text).
    The marker must be followed by a tab, the end of the line, or a space and a capital,
    and a bare number ("3.", "12") needs a tab: a body line may begin "3 months after".

    >>> match_marker("2.1.3.Guidance.1\\tThe Regulated Activity ...")
    ('2.1.3.Guidance.1', 'The Regulated Activity ...')
    >>> match_marker("(a)\\tan Authorised ISPV;") is None
    True
    >>> match_marker("Rule 1.3.3 applies to ...") is None
    True
    """
    letter = LETTER_HEADING.match(line)
    if letter:
        return letter.group("number") + ".", line[letter.end():].strip()
    # Everything before a tab, when it all reads as a number, is the number: this keeps
    # captions of several words ("6.2.2.Governing Body responsibilities") whole.
    head, tab, rest = line.partition("\t")
    if tab and re.search(r"\d", head) and LONG_MARKER.fullmatch(head.rstrip()):
        return head.rstrip(), rest.strip()
    m = MARKER.match(line)
    if m and _marker_ends_well(m.group("number"), m.group(0), line[m.end():]):
        return m.group(0), line[m.end():].strip()
    return None


def _marker_ends_well(number: str, printed: str, rest: str) -> bool:
    """Whether what follows a candidate marker makes it one (see :func:`match_marker`)."""
    spaced = rest.lstrip(" ")
    if KEYWORD_ONLY.fullmatch(number):
        return spaced == "" or spaced.startswith("\t")  # "SECTION", "ANNEX" alone on a line
    if spaced == "" or spaced.startswith("\t") or rest.startswith("  "):
        return True
    if BARE_NUMBER.fullmatch(printed):
        return False
    if rest.startswith(" "):
        return bool(re.match(r" [A-Z\"\u201c(\[]", rest))
    # "PART 1.INTRODUCTION": a heading in capitals glued to the number's dot.
    return printed.endswith(".") and bool(re.match(r"[A-Z][A-Z_]{2,}", rest))


def family(number: str) -> str:
    """The numbering style of a path, to tell a document's own markers from quoted rules:
    "paragraph" ("12)"), "number" ("2.1.3"), or the leading word upper-cased ("PART")."""
    if re.match(r"\d{1,3}\)", number):
        return "paragraph"  # "12)", "166).a)" in the guidance notes
    first = re.match(r"[A-Za-z]+|\d", number)
    if first is None:
        return "other"
    return "number" if first.group(0).isdigit() else first.group(0).upper()


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


# --- metadata ------------------------------------------------------------------------
def slug(stem: str) -> str:
    """URL-safe id from a file stem: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


def short_name(stem: str) -> str | None:
    """The rulebook's short name from the file name: "COBS_VER15.150823" -> "COBS"."""
    m = SHORT_NAME.match(stem)
    return m.group("name") if m else None


def version_date(stem: str) -> date | None:
    """The date a file name encodes: "VER15.150823" (DDMMYY), "VER03.18042019" (DDMMYYYY),
    or "14 October 2019". Bare "_240220" stamps are ambiguous (YYMMDD or DDMMYY): None."""
    m = VERSION_STAMP.search(stem)
    try:
        if m:
            s = m.group("stamp")
            year = 2000 + int(s[4:6]) if len(s) == 6 else int(s[4:8])
            return date(year, int(s[2:4]), int(s[0:2]))
        m2 = DAY_MONTH_YEAR.search(stem)
        if m2 and m2.group("m").lower() in MONTHS:
            return date(int(m2.group("y")), MONTHS.index(m2.group("m").lower()) + 1, int(m2.group("d")))
    except ValueError:
        return None
    return None


def _rtf_text(rtf: str) -> str:
    """Enough of RTF for the DocumentMap: \\'hh escapes (cp1252) and escaped line ends."""
    text = re.sub(r"\\'([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]).decode("cp1252"), rtf)
    return text.replace("\\\n", "\n").replace("\\{", "{").replace("\\}", "}")


def load_document_map(path: Path) -> dict[int, list[str]]:
    """ObliQA's DocumentMap.rtf: document id -> names (file stem first, then titles)."""
    text = _rtf_text(path.read_text(encoding="cp1252", errors="replace"))
    entries: dict[int, list[str]] = {}
    for m in re.finditer(r"(\d+):\s*\[(.*?)\]", text, flags=re.S):
        entries[int(m.group(1))] = re.findall(r'"([^"]*)"', m.group(2))
    return entries


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def document_map_id(stem: str, entries: dict[int, list[str]]) -> int | None:
    """The map entry for a file stem: same letters and digits, or the only entry whose
    stem starts the file's ("... (Consolidated_October 2023)" for "... 2023) v6")."""
    key = _key(stem)
    exact = [i for i, names in entries.items() if names and _key(names[0]) == key]
    if exact:
        return exact[0]
    prefix = [i for i, names in entries.items() if names and key.startswith(_key(names[0]))]
    return prefix[0] if len(prefix) == 1 else None


def title_from_map(names: list[str]) -> str | None:
    """The fullest title of a map entry: the longest name other than the file stem."""
    others = [n for n in names[1:] if n.strip()]
    return max(others, key=len) if others else None


def _find_document_map(path: Path) -> Path | None:
    for folder in (path.parent, path.parent.parent):
        candidate = folder / DOCUMENT_MAP_NAME
        if candidate.is_file():
            return candidate
    return None


def _title_line(preamble: list[str]) -> str | None:
    """The document's own title: its first line, when that reads as a title."""
    if not preamble:
        return None
    first = preamble[0].strip().split("\t")[0].strip()
    return first if 3 <= len(first) <= 160 and not first.endswith((".", ":")) else None


# --- building the Document -----------------------------------------------------------
def _section_text(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _unique_paths(provisions: list[Provision]) -> list[str]:
    """A repeated number keeps its first occurrence; later ones get "#2", "#3"."""
    seen: dict[str, int] = {}
    paths = []
    for p in provisions:
        seen[p.number] = seen.get(p.number, 0) + 1
        paths.append(p.number if seen[p.number] == 1 else f"{p.number}#{seen[p.number]}")
    return paths


def build_document(path: Path, outline: Outline, *, source: str, title: str | None, notes: list[str]) -> Document:
    builder = TextBuilder()
    doc_notes = list(notes) + outline.notes
    if outline.preamble:
        builder.add("preamble", "preamble", _section_text(outline.preamble))
    paths = _unique_paths(outline.provisions)
    repeated = [f"{p.number} (line {p.line_no})" for p, q in zip(outline.provisions, paths) if q != p.number]
    if repeated:
        doc_notes.append(f"{len(repeated)} repeated rule number(s) suffixed #2..: {', '.join(repeated[:8])}"
                         f"{' ...' if len(repeated) > 8 else ''}")
    for p, p_path, heading in zip(outline.provisions, paths, heading_chains(outline.provisions)):
        # A heading line stays in the text, where a reader sees it, as a section of kind
        # "heading": cited by its number, never chunked for retrieval (its words reach the
        # rules under it through their heading chain).
        builder.add("heading" if p.heading_only else "clause", p_path, _section_text(p.lines), heading=heading)
    stem = path.stem
    published = version_date(stem)
    if published is None:
        doc_notes.append(f"publication date: the file name {stem!r} encodes no unambiguous date")
    return Document(
        doc_id=slug(stem),
        doc_type="policy",
        title=title or _title_line(outline.preamble) or stem,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=short_name(stem),
        publication_date=published,
        jurisdiction=JURISDICTION,
        issuer=ISSUER,
        notes=doc_notes,
    )


def looks_like_adgm_rulebook(head: str) -> bool:
    """Content sniff for the registry: rule numbers followed by a tab at line starts.

    Three tab-separated markers in ``head`` (the first few KB), or one where the text
    names ADGM / the FSRA. Circulars number "I." / "1." / "(1)" with a space, never a tab.
    """
    lines, _ = clean_lines(head)
    markers = 0
    for line in lines[:-1]:  # the last line may be cut off mid-way
        found = match_marker(line)
        if found and line[len(found[0]):].lstrip(" ").startswith("\t"):
            markers += 1
    return markers >= 3 or (markers >= 1 and bool(ADGM_MENTION.search(head)))


def outline_adgm_rulebook(path: Path, *, source: str | None = None) -> tuple[Outline, list[str]]:
    """Read a rulebook file into its outline (and notes on cleaning); ParseError when no rule."""
    source = source or str(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(source, "read text", str(exc)) from exc
    lines, invisible = clean_lines(raw)
    outline = read_outline(lines)
    if not outline.provisions:
        raise ParseError(source, "rule numbers", "no numbered rule (2.1.3, Part 1.Chapter 1.1.(1), 12)) found")
    notes = [f"removed {invisible} invisible direction mark(s) (U+200E/U+200F)"] if invisible else []
    return outline, notes


def parse_adgm_rulebook(path: Path, *, source: str | None = None, title: str | None = None) -> list[Document]:
    """Parse one ADGM rulebook or guidance text file into one Document.

    ``title`` wins; else the title from a ``DocumentMap.rtf`` next to the file (or one
    folder up, as in the ObliQA layout); else the file's title line; else its stem.

    >>> [doc] = parse_adgm_rulebook(Path("COBS_VER15.150823.txt"))  # doctest: +SKIP
    >>> doc.number, doc.publication_date.isoformat()  # doctest: +SKIP
    ('COBS', '2023-08-15')
    """
    source = source or str(path)
    outline, notes = outline_adgm_rulebook(path, source=source)
    if title is None:
        map_path = _find_document_map(path)
        if map_path is not None:
            entries = load_document_map(map_path)
            found = document_map_id(path.stem, entries)
            if found is not None:
                title = title_from_map(entries[found])
                notes.append(f"title from {DOCUMENT_MAP_NAME} (ObliQA document {found})")
    return [build_document(path, outline, source=source, title=title, notes=notes)]
