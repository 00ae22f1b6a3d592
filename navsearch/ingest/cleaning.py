"""Repairs for text extracted from PDFs: words hyphenated across line or page breaks,
sentences cut by page breaks, em dashes standing in for hyphens.

Every repair is reported, so an ingestion report can list what was changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")

# Second halves of real compounds: "market-based", "needs-oriented", "patent-intensive".
# A line-end hyphen before one of these is kept even when the joined word is unknown.
COMPOUND_TAILS = frozenset(
    """based oriented related intensive driven making level scale term free like type side
    shaped wide owned funded specific friendly sized led focused centered centred oriented
    long time wise""".split()
)
# Words that end a line in the middle of a sentence, so the next block continues it.
CONTINUATION_WORDS = frozenset(
    """a an the of and or to in on for with by from as at that which this these those its
    their our is are was be been has have into under over between such than every each""".split()
)
TERMINAL = (".", ":", ";", "!", "?", '"', "\u201d", ")")


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Lower-cased words (and hyphenated compounds) seen in the texts."""
    words: set[str] = set()
    for text in texts:
        for match in WORD_RE.finditer(text):
            word = match.group(0).lower()
            words.add(word)
            words.update(word.split("-"))
    return frozenset(words)


def join_hyphenated(left: str, right: str, vocab: frozenset[str]) -> tuple[str, bool]:
    """Join ``left`` (ending in "-") with ``right``; return the text and whether the hyphen
    was dropped. The hyphen goes when the joined word is attested in the document and the
    hyphenated form is not; it stays for compound tails ("market-" + "based")."""
    head_match = re.search(r"([A-Za-z]+)-$", left)
    tail_match = re.match(r"([A-Za-z]+)", right)
    if not head_match or not tail_match:
        return left + right, False
    head, tail = head_match.group(1), tail_match.group(1)
    joined = (head + tail).lower()
    hyphenated = f"{head}-{tail}".lower()
    keep = tail.lower() in COMPOUND_TAILS or (hyphenated in vocab and joined not in vocab)
    if keep:
        return left + right, False
    return left[:-1] + right, True


def ends_sentence(block: str) -> bool:
    return block.rstrip().endswith(TERMINAL)


def continues(left: str, right: str, is_marker: bool) -> bool:
    """Does ``right`` continue the sentence that ``left`` left open (a page or column break)?"""
    if ends_sentence(left) or not right or is_marker:
        return False
    if right[0].islower():
        return True
    last_word = left.rstrip().rsplit(" ", 1)[-1].lower()
    return last_word in CONTINUATION_WORDS


def normalise_dashes(text: str) -> tuple[str, int]:
    """PDF extraction renders some hyphens as em dashes ("decision—making")."""
    return re.subn(r"(?<=[a-z])\u2014(?=[a-z])", "-", text)
