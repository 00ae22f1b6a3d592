"""What a user types into a search box, beyond words: ``-term`` and ``NOT term`` exclude,
``"a phrase"`` ranks the passages holding it first, ``a AND b`` requires both words (words
are OR-ed by default, as BM25 ranks them). AND, OR and NOT are operators only between words
that are not in capitals themselves: a title typed "SYSTEM AND METHOD FOR ..." is words.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from navsearch.terms import analyze

# A quoted phrase (straight or curly quotes), a word, or a negated phrase or word.
_TOKEN = re.compile(r'(?P<neg>-)?(?:"(?P<q1>[^"]+)"|“(?P<q2>[^”]+)”|(?P<word>[^\s"“”]+))')


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what retrieval ranks by: the query without its operators and excluded words
    excluded: tuple[str, ...] = ()  # words or phrases a passage must not contain
    phrases: tuple[str, ...] = ()  # phrases the passages holding them rank first, as typed
    required: tuple[str, ...] = ()  # words a passage must contain (joined by AND)

    @property
    def constrained(self) -> bool:
        """Some passages are left out: excluded or required words."""
        return bool(self.excluded or self.required)


def parse_query(query: str) -> ParsedQuery:
    """Operators out of a query.

    >>> p = parse_query('membrane filtration -bioreactor "hollow fiber" NOT ozone')
    >>> p.text, p.excluded, p.phrases
    ('membrane filtration hollow fiber', ('bioreactor', 'ozone'), ('hollow fiber',))
    >>> parse_query("battery AND hinge").required
    ('battery', 'hinge')
    >>> parse_query("a self-cleaning filter -5 mm").excluded  # hyphens inside words, numbers: not operators
    ()
    """
    words: list[str] = []
    excluded: list[str] = []
    phrases: list[str] = []
    required: list[str] = []
    tokens = list(_TOKEN.finditer(query))
    negate_next = False
    and_pending = False
    for i, m in enumerate(tokens):
        phrase = m.group("q1") or m.group("q2")
        word = m.group("word")
        if word in ("NOT", "AND", "OR") and phrase is None and not m.group("neg") and _operator_at(tokens, i):
            negate_next = word == "NOT"
            if word == "AND" and words:
                and_pending = True
                if words[-1] not in required:
                    required.append(words[-1])
            continue
        value = (phrase or word or "").strip()
        negative = bool(m.group("neg")) and (phrase is not None or bool(word and word[:1].isalpha()))
        if not negative and m.group("neg") and word:
            value = "-" + value  # "-5": a number, kept as typed
        if negative or negate_next:
            negate_next = False
            if value.strip(" ,.;"):
                excluded.append(value.strip(" ,.;"))
            continue
        if phrase is not None:
            phrases.append(" ".join(value.split()))
        words.append(value)
        if and_pending:
            and_pending = False
            if value not in required:
                required.append(value)
    return ParsedQuery(" ".join(words), tuple(excluded), tuple(phrases), tuple(required))


def _capitals(m: re.Match[str] | None) -> bool:
    word = (m.group("word") or "") if m else ""
    return bool(re.search(r"[A-Z]", word)) and not re.search(r"[a-z]", word)


def _operator_at(tokens: list[re.Match[str]], i: int) -> bool:
    """AND/OR/NOT between words in capitals is part of a title, not an operator."""
    before = tokens[i - 1] if i > 0 else None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    return not (_capitals(before) or _capitals(after))


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def holds_phrases(parsed: ParsedQuery, text: str) -> bool:
    """The text holds every quoted phrase (case and spacing aside)."""
    flat = _normal(text)
    return all(_normal(phrase) in flat for phrase in parsed.phrases)


def passage_matches(parsed: ParsedQuery, text: str) -> bool:
    """The text holds every required word (as BM25 analyses words: 'filters' matches
    'filter') and none of the excluded ones."""
    if not parsed.constrained:
        return True
    terms = set(analyze(text))
    for word in parsed.required:
        if not set(analyze(word)) <= terms:
            return False
    return not any(contains(e, text, terms) for e in parsed.excluded)


def contains(excluded: str, text: str, terms: set[str] | None = None) -> bool:
    """An excluded word or phrase occurs in the text."""
    if " " in excluded.strip():
        return _normal(excluded) in _normal(text)
    wanted = analyze(excluded)
    return bool(wanted) and set(wanted) <= (terms if terms is not None else set(analyze(text)))
