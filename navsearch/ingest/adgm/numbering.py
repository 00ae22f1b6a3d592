"""The marker grammar: which line starts open a provision, and the path a marker gives.

See the package docstring for the numbering styles the grammar reads.
"""

from __future__ import annotations

import re

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
