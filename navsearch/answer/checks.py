"""Checks an extractive answer must pass before it says ``answered: true``, beyond its
evidence score: its quotes share the question's subject, and a question about a duration
is answered by a sentence that states one. Pure functions; the corpus statistics come in
as a callable (a term's share of the chunks that hold it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from navsearch.terms import analyze, query_terms

# Words that frame a question or name where to look, not what it is about (as BM25 stems
# them): "Which article of the Chinese Patent Law sets ...", "What does the GDPR say ...".
FRAMING = frozenset(
    analyze(
        """article articles section sections law laws act acts rule rules provision provisions clause clauses
        paragraph chapter statute statutes regulation regulations code circular document corpus text
        must may might can could need needs needed shall should
        say says said set sets setting provide provides govern governs cover covers state states stated
        define defines deal deals specify specifies stipulate stipulates mention mentions describe
        describes mean means apply applies happen happens there according under
        kind kinds type types sort sorts way ways
        china chinese prc us usa u s united america american eu european union gdpr japan japanese
        korea korean uk british abu dhabi adgm uae federal national"""
    )
) | frozenset(
    ["什么", "哪些", "哪个", "如何", "怎么", "怎样", "多少", "是否", "可以", "规定", "情况", "下列", "哪一", "一条",
     "条规", "本法", "中国", "我国", "根据", "按照", "关于", "有关", "法律"]
)

# Characters of Chinese grammar and question words: a bigram holding one ("权的", "是多")
# straddles two words and says nothing of the subject.
CJK_FUNCTION_CHARS = frozenset("的是了在和与或及吗呢么多少几哪谁何之其该此为")

DURATION_QUESTION = re.compile(
    r"\bhow long\b|\bhow many (?:years|months|weeks|days|hours)\b|\bwithin how many\b|\bfor how many\b|"
    r"多长|多久|几年|多少年|几个月|多少天|期限是",
    re.I,
)
_NUMBER_WORD = (
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|sixteen|eighteen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
TIME_EXPRESSION = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:[\s-]+(?:{_NUMBER_WORD}))*[\s-]*(?:calendar\s+)?(?:years?|months?|weeks?|days?|hours?)\b|"
    r"[一二三四五六七八九十百两\d]+个?(?:年|月|日|天|小时|周)",
    re.I,
)


def subject_terms(question: str, share: Callable[[str], float], generic_share: float) -> list[str]:
    """The terms a question is about: its content terms (stems; Chinese as character
    bigrams) less the words that frame it and those so common in the corpus that every
    passage holds them ("patent" in a patent corpus). Empty when nothing is left."""
    return [
        t
        for t in query_terms(question)
        if t and t not in FRAMING and not t.isdigit() and not (set(t) & CJK_FUNCTION_CHARS) and share(t) <= generic_share
    ]


def shares_subject(subject: list[str], text: str) -> bool:
    """The text (a quote with its heading) holds one of the subject terms."""
    if not subject:
        return True
    present = set(analyze(text))
    return any(t in present for t in subject)


def asks_duration(question: str) -> bool:
    return bool(DURATION_QUESTION.search(question))


def states_duration(text: str) -> bool:
    """The text states a length of time ("20 years", "fourteen years", "十五年", "72 hours"),
    or a term of protection."""
    return bool(TIME_EXPRESSION.search(text)) or bool(re.search(r"\bterm\b|期限", text, re.I))
