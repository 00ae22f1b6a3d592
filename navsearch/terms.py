"""Text as BM25 sees it: words lower-cased, accents removed and Porter-stemmed; runs of
CJK characters as overlapping character bigrams (the scheme of Lucene's CJK analyzer),
since a Chinese sentence has no spaces and a question would otherwise never match
inside one. Documents and queries go through the same analysis.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
# A word is letters or digits other than CJK: "PCT国际申请" and "2个月内且" are a word and a
# CJK run (one \w+ token swallowed the Chinese after a digit or a Latin letter, so
# "自期限届满之日起2年内" could never match "期限" or "届满").
TOKEN = re.compile(f"[{CJK}]+|[^\\W_{CJK}]+", re.UNICODE)
MAX_QUERY_TERMS = 64

# Words too common to carry weight in BM25 queries of ideas and questions.
STOPWORDS = frozenset(
    """a an and are as at be been by can could do does for from has have how i in is it its
    many much of on or shall should that the their there these this those to was were what
    when where which who will with would whose why you your""".split()
)

# PyStemmer objects keep a cache and are not safe to share between threads.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("porter", 100_000)
    return stemmer


def stem_words(words: list[str]) -> list[str]:
    """Porter stems of lower-case words, as BM25 indexes them."""
    return list(_stemmer().stemWords(words))


def cjk_share(text: str) -> float:
    """Share of a text's non-space characters that are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    return sum(len(m) for m in CJK_RUN.findall(text)) / len(chars) if chars else 0.0


# Texts are told apart by script, not language: the cross-language leg needs to know
# whether a query and a passage can share words, and CJK text shares none with Latin text.
SCRIPTS = ("cjk", "latin")
CJK_LANGUAGES = ("zh", "ja", "ko")
CJK_QUERY_SHARE = 0.5  # a query mostly in CJK characters is a CJK query


def script_of_language(language: str | None) -> str:
    """'cjk' for a document in Chinese, Japanese or Korean ('zh', 'zh-CN', ...), else 'latin'."""
    return "cjk" if (language or "").lower()[:2] in CJK_LANGUAGES else "latin"


def is_cjk_term(term: str) -> bool:
    """Whether an analysed term is CJK (a character bigram or a lone character)."""
    return bool(term) and CJK_RUN.match(term) is not None


@lru_cache(maxsize=1024)
def script_of_query(text: str) -> str:
    # Kept: one search asks it of its query five times (legs, weights, relevance, gloss),
    # and a paragraph-long idea's character count is ~0.15 ms each time.
    return "cjk" if cjk_share(text) > CJK_QUERY_SHARE else "latin"


def _fold(text: str) -> str:
    text = text.lower()
    if text.isascii():
        return text
    # "Règlement" and "Reglement" are one word to a searcher.
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _words(text: str) -> list[tuple[str, bool]]:
    """(token, is_cjk) in order: words as they are, CJK runs as bigrams."""
    out: list[tuple[str, bool]] = []
    for token in TOKEN.findall(_fold(text)):
        if CJK_RUN.fullmatch(token):
            out.extend((b, True) for b in _bigrams(token))
        else:
            out.append((token, False))
    return out


def analyze(text: str) -> list[str]:
    """Every term of a text, in order (what a document is indexed as).

    >>> analyze("Requirements for 专利法")
    ['requir', 'for', '专利', '利法']
    """
    words = _words(text)
    stems = stem_words([w for w, cjk in words if not cjk])
    it = iter(stems)
    return [w if cjk else next(it) for w, cjk in words]


def query_terms(query: str) -> list[str]:
    """The distinct terms of a free-text query, in order, stopwords left out.

    >>> query_terms("The pilot enterprises of 专利法")
    ['pilot', 'enterpris', '专利', '利法']
    """
    words = [(w, cjk) for w, cjk in _words(query) if cjk or w not in STOPWORDS]
    stems = stem_words([w for w, cjk in words if not cjk])
    it = iter(stems)
    terms: list[str] = []
    for w, cjk in words:
        term = w if cjk else next(it)
        if term not in terms:
            terms.append(term)
    return terms[:MAX_QUERY_TERMS]


def query_term_counts(query: str) -> dict[str, int]:
    """Every distinct term of a query (stopwords left out) with how often it occurs, in
    order of first occurrence; unlike query_terms, not cut at MAX_QUERY_TERMS.

    >>> query_term_counts("the valve and the valves of a pump")
    {'valv': 2, 'pump': 1}
    """
    words = [(w, cjk) for w, cjk in _words(query) if cjk or w not in STOPWORDS]
    stems = iter(stem_words([w for w, cjk in words if not cjk]))
    counts: dict[str, int] = {}
    for w, cjk in words:
        term = w if cjk else next(stems)
        counts[term] = counts.get(term, 0) + 1
    return counts
