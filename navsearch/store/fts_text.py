"""Text as FTS5 sees it. FTS5's unicode61 tokenizer keeps a run of Chinese characters as
one token, so a Chinese query would never match inside a sentence. Runs of CJK
characters are therefore indexed as overlapping character bigrams (the scheme of
Lucene's CJK analyzer), and queries are rewritten the same way; English keeps word
tokens with Porter stemming, which serves BM25 on patent and legal English better than
trigrams would.
"""

from __future__ import annotations

import re

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
QUERY_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_]+", re.UNICODE)
MAX_QUERY_TERMS = 64

# Words too common to carry weight in BM25 queries of ideas and questions.
STOPWORDS = frozenset(
    """a an and are as at be been by can could do does for from has have how i in is it its
    many much of on or shall should that the their there these this those to was were what
    when where which who will with would whose why you your""".split()
)


def cjk_share(text: str) -> float:
    """Share of a text's non-space characters that are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    return sum(len(m) for m in CJK_RUN.findall(text)) / len(chars) if chars else 0.0


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(text: str) -> str:
    """The text stored in the FTS table: CJK runs replaced by space-separated bigrams."""
    return CJK_RUN.sub(lambda m: " " + " ".join(_bigrams(m.group(0))) + " ", text)


def match_query(query: str) -> str | None:
    """An FTS5 MATCH expression for free text: terms OR-ed, CJK runs as bigram phrases.

    >>> match_query("pilot enterprises 专利法")
    '"pilot" OR "enterprises" OR "专利" OR "利法"'
    """
    terms: list[str] = []
    for token in QUERY_TOKEN.findall(query):
        if CJK_RUN.fullmatch(token):
            # Each bigram on its own: a Chinese question is one unbroken run, and requiring
            # it as a phrase would match nothing; BM25 ranks passages sharing more bigrams.
            candidates = [f'"{b}"' for b in _bigrams(token)]
        else:
            low = token.lower()
            if low in STOPWORDS:
                continue
            candidates = [f'"{low}"']
        for term in candidates:
            if term not in terms:
                terms.append(term)
    if not terms:
        return None
    return " OR ".join(terms[:MAX_QUERY_TERMS])
