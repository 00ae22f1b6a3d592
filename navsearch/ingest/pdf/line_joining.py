"""Joining the lines of a paragraph: de-hyphenation of words broken at a line end."""

from __future__ import annotations

import re
from collections.abc import Sequence

from navsearch.ingest.cleaning import COMPOUND_TAILS

# Short words that end a line as themselves; never the first half of a split word.
_FUNCTION_WORDS = frozenset(
    """a an the of and or to in on for with by from as at that which this these those its it
    is are was be been has have into under over between such than each any all not no can may
    said one two per via""".split()
)


def join_lines(lines: Sequence[str], vocab: frozenset[str] = frozenset()) -> tuple[str, int]:
    """Join the lines of one paragraph into one string; return it and the number of words
    rejoined across a line end.

    A line ending in "-" is a word broken by the typesetter ("pa-" + "tent" -> "patent")
    unless the second half is capitalised ("anti-" + "HIV"), the hyphenated form is the
    one the document uses elsewhere ("non-volatile"), or the second half is a compound
    tail ("market-" + "based"). OCR layers often drop that hyphen ("effi" + "ciency"):
    such halves are joined only when the document spells the joined word elsewhere or
    the second half is an ending that is no word ("tion", "ciency"); the hyphen is put
    back when the document spells the pair hyphenated ("semi" + "passive").
    A hyphen inside a line is never touched. ``vocab``: the document's words, lower-case
    (cleaning.vocabulary).
    """
    out, joined, _ = _join_lines(lines, vocab)
    return out, joined


def _join_lines(lines: Sequence[str], vocab: frozenset[str]) -> tuple[str, int, list[int]]:
    """join_lines, and the offset in the joined text where each line starts (so a
    position in the text can be traced back to a printed line)."""
    out = ""
    joined = 0
    starts: list[int] = []
    for raw in lines:
        line = raw.strip()
        if not line or not out:
            starts.append(len(out))
            out = out or line
            continue
        glue, rejoined = _line_glue(out, line, vocab)
        joined += rejoined
        if glue == "-drop":
            out = out[:-1]
        elif glue == "+-":
            out += "-"
        else:
            out += glue
        starts.append(len(out))
        out += line
    return out, joined, starts


# Halves that stay hyphenated at a line end: "non-" + "volatile", "self-" + "contained".
_COMPOUND_HEADS = frozenset({"non", "self"})
# Word endings that are not words: a line starting with one continues the previous
# line's last word even when OCR dropped the hyphen ("inven" / "tion", "mix" / "ture").
_BOUND_SUFFIXES = frozenset(
    """tion tions sion sions ment ments ture tures ciency cient ciently ence ences ance ances
    ency ancy ity ities ness ous ously ive ives ively ible ibly ably ical ically ular ized
    izing ization ated ating ation ations ational tial tially cial cially ing ings""".split()
)


def _line_glue(left: str, right: str, vocab: frozenset[str]) -> tuple[str, int]:
    """How to join two lines of a paragraph: "-drop" (remove the hyphen, no space),
    "" (no space, hyphen kept), "+-" (put back a hyphen OCR lost), " " (a space); and 1
    when a broken word was rejoined."""
    head_hyphen = re.search(r"([A-Za-z]+)-$", left)
    tail = re.match(r"[A-Za-z]+", right)
    if head_hyphen:
        if not tail or not tail.group(0)[0].islower():
            return "", 0  # "anti-" + "HIV", "COVID-" + "19": a real hyphen
        head, rest = head_hyphen.group(1), tail.group(0)
        joined, hyphenated = (head + rest).lower(), f"{head}-{rest}".lower()
        if joined in vocab and hyphenated not in vocab:
            return "-drop", 1
        if hyphenated in vocab or rest.lower() in COMPOUND_TAILS or head.lower() in _COMPOUND_HEADS:
            return "", 0
        return "-drop", 1
    # OCR layers drop the hyphen of a broken word ("effi" / "ciency"): join the halves
    # only when the document itself spells the whole word, so real word pairs stay apart.
    head_word = re.search(r"(?<![\w-])([A-Za-z]{2,})$", left)
    if head_word and tail and tail.group(0)[0].islower() and len(tail.group(0)) >= 2:
        head, rest = head_word.group(1), tail.group(0)
        if head.lower() not in _FUNCTION_WORDS and f"{head}-{rest}".lower() in vocab:
            return "+-", 1  # "semi" / "passive" where the document writes "semi-passive"
        attested = head.lower() not in _FUNCTION_WORDS and (head + rest).lower() in vocab
        if attested or rest in _BOUND_SUFFIXES:
            return "", 1
    return " ", 0
