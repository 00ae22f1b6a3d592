"""The lead-in a provision inherits from the provisions that enclose it.

A list item cut out on its own loses its subject: "(1) shall adopt and use a seal of the
Office" is about the Office only because its paragraph began "(b) Specific Powers.—The
Office—", and "Cultivation (building) stage (July 2013 June 2018)" is a stage of the
patent navigation pilot only because the clause above it said "Implementation of the
pilot project can be divided into three stages: ...:". An enclosing provision whose text
does not end a sentence leads into the provisions below it; its last paragraph is that
lead-in, and it goes with each of them into their embedded text (chunking/chunker.py),
after the heading chain the parser already gives. Nothing here knows a format: enclosure
is read from the citation paths ("IV.ii" encloses "IV.ii.2", "§ 2(b)" encloses
"§ 2(b)(1)", "Article 4" encloses "Article 4(1)"), so a format whose paths do not nest
(one passage per document, articles quoted whole) is unchanged.
"""

from __future__ import annotations

import re

from navsearch.types import Document, Section

# A text ending with one of these ends a sentence, so it leads into nothing below it.
SENTENCE_ENDS = ".!?;。！？；\"'”’"
# What may follow an enclosing path inside an enclosed one: "IV.ii" -> "IV.ii.2",
# "§ 2(b)" -> "§ 2(b)(1)". A letter or digit would make "Article 1" enclose "Article 10",
# a space "closing" enclose "closing 2".
CHILD_SEPARATORS = (".", "(", "（")
PARAGRAPH = re.compile(r"\n\s*\n")
# A list marker at the start of a lead-in ("ii.", "(b)", "1.", "（一）"), ignored when the
# lead-in is compared with the heading.
MARKER = re.compile(r"^\s*(?:\(?[0-9A-Za-z]{1,6}[.)]|（[一二三四五六七八九十百]+）)\s*")
# The words a lead-in and a heading are compared on.
WORD = re.compile(r"\w+")


def encloses(outer: str, inner: str) -> bool:
    """Whether the provision cited as ``outer`` contains the one cited as ``inner``."""
    return len(inner) > len(outer) and inner.startswith(outer) and inner[len(outer)] in CHILD_SEPARATORS


def lead_in_of(section: Section) -> str:
    """The words an enclosing provision leads into its items with: its last paragraph when
    its text does not end a sentence ("... three stages: initiation, cultivation (building)
    and summarizing:", "The Office—"), else nothing."""
    text = section.text.strip()
    if not text or text[-1] in SENTENCE_ENDS:
        return ""
    return " ".join(PARAGRAPH.split(text)[-1].split())


def _covered(lead_in: str, heading: str) -> bool:
    """A lead-in that only repeats the heading ("V. Measures:" under "Measures") adds nothing."""
    words = WORD.findall(MARKER.sub("", lead_in).lower())
    have = set(WORD.findall(heading.lower()))
    return all(w in have for w in words)


def lead_ins(doc: Document) -> list[str]:
    """For each section of ``doc`` (in order), the lead-ins of the provisions enclosing it,
    outermost first, joined; "" where there are none. An enclosing provision is the
    nearest section before it whose path encloses its path."""
    out: list[str] = []
    open_: list[Section] = []  # the chain of sections enclosing the current one
    for section in doc.sections:
        while open_ and not encloses(open_[-1].path, section.path):
            open_.pop()
        heading = section.heading or ""
        parts = [t for t in (lead_in_of(s) for s in open_) if t and not _covered(t, heading)]
        out.append(" ".join(parts))
        open_.append(section)
    return out
