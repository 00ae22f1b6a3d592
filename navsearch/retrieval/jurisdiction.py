"""Jurisdictions a question names ("under Chinese patent law", "in the US", "欧盟"): the
laws of those jurisdictions are what it asks about.

The same question has answers in several jurisdictions' laws (a patent's term, novelty,
a limitation period), and each law answers it with the same words: ranking alone cannot
tell that "What makes an invention novel under Chinese patent law?" wants 专利法 第二十二条
and not 35 U.S.C. § 102. When a question names a jurisdiction, the passages of statutes
and policies of other jurisdictions keep only ``retrieval.answered_other_script_share`` of
their weight. Patents are left alone: a patent's country is where it was filed, not what
an idea is about.
"""

from __future__ import annotations

import re

# Each jurisdiction as documents record it, and the words that name it. "US" only in
# capitals: "us" is a pronoun.
NAMES: dict[str, re.Pattern[str]] = {
    "CN": re.compile(r"(?i:\b(?:china|chinese|prc)\b)|中国|中华人民共和国|我国"),
    "US": re.compile(r"\bU\.?S\.?(?:A\.?)?(?=\W|$)|(?i:\b(?:united states|american|uspto)\b)|美国"),
    "EU": re.compile(r"(?i:\b(?:european union|europe|european|gdpr)\b)|\bEU\b|欧盟|欧洲"),
}
LEGAL_TYPES = frozenset({"policy", "statute"})
MAX_WORDS = 60  # a question names a jurisdiction; an idea or a claim set that mentions one does not ask for its law


def named_jurisdictions(query: str) -> frozenset[str]:
    """Codes of the jurisdictions a question names.

    >>> sorted(named_jurisdictions("How long does a patent last in China or the U.S.?"))
    ['CN', 'US']
    >>> sorted(named_jurisdictions("Can you tell us the patent term?"))
    []
    """
    if len(query.split()) > MAX_WORDS:
        return frozenset()
    return frozenset(code for code, pattern in NAMES.items() if pattern.search(query))


def elsewhere(named: frozenset[str], docs: dict[int, tuple[str, str | None]]) -> set[int]:
    """Of the candidates (rowid -> (document type, jurisdiction)), the passages of statutes
    and policies of other jurisdictions than those named; none when no statute or policy
    of a named jurisdiction is among them (nothing to prefer)."""
    legal = {r: j for r, (t, j) in docs.items() if t in LEGAL_TYPES}
    if not any(j in named for j in legal.values()):
        return set()
    return {r for r, j in legal.items() if j not in named}
