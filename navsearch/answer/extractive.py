"""Extractive answers: the sentences of the retrieved clauses that answer the question,
quoted verbatim with their citations, in source order; or a refusal, with the nearest
clauses, when the evidence is too weak.

A sentence's score mixes the embedding cosine of question and sentence with the share of
the question's content words the sentence contains (a lexical check that catches exact
terms a small embedder blurs). The evidence score of an answer is its best sentence's
score; below ``refusal_threshold`` the corpus is taken not to cover the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from navsearch.chunking.chunker import split_sentences
from navsearch.embedding.base import Embedder
from navsearch.errors import InvalidInput
from navsearch.retrieval.searcher import Searcher
from navsearch.settings import AnswerSettings
from navsearch.terms import STOPWORDS, stem_words
from navsearch.types import Filters, Hit

WORD = re.compile(r"[^\W_]+", re.UNICODE)
CJK = re.compile(r"[\u4e00-\u9fff]")
COSINE_WEIGHT = 0.7  # the rest is lexical overlap
NOT_ANSWERS = ("title", "closing")  # a title line or a signature date answers nothing
MIN_WORDS = 3
# Recitals and preambles explain; articles and clauses oblige. Between two near-equal
# sentences the reader wants the operative provision cited.
PREAMBLE_PENALTY = 0.05


def n_words(text: str) -> int:
    """Words, counting each Chinese character as one (Chinese has no spaces)."""
    return len(text.split()) + len(CJK.findall(text))
# A jurisdiction a question names, and the codes of the documents that can answer it.
JURISDICTIONS = {
    r"\b(china|chinese|prc)\b": ("CN",),
    r"\b(united states|u\.s\.|us law|american|usc)\b": ("US",),
    r"\b(european union|eu|gdpr|europe)\b": ("EU",),
    r"\b(japan|japanese)\b": ("JP",),
    r"\b(korea|korean)\b": ("KR",),
    r"\b(uk|united kingdom|britain|british)\b": ("GB",),
    r"\b(abu dhabi|adgm|uae)\b": ("AE-ADGM", "AE"),
}


def named_jurisdictions(question: str) -> tuple[str, ...]:
    codes: list[str] = []
    for pattern, found in JURISDICTIONS.items():
        if re.search(pattern, question, re.I):
            codes += [c for c in found if c not in codes]
    return tuple(codes)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of a passage, never across a blank line (a heading and its text)."""
    spans = []
    offset = 0
    for block in re.split(r"(\n\s*\n)", text):
        heading = n_words(block) < 8 and not block.rstrip().endswith((".", ";", ":", "!", "?", "\u3002"))
        if block.strip() and not heading:
            spans += [(offset + s, offset + e) for s, e in split_sentences(block)]
        offset += len(block)
    return [(s, e) for s, e in spans if n_words(text[s:e]) >= MIN_WORDS]


@dataclass(frozen=True)
class Quote:
    text: str  # verbatim: the document's text[start:end]
    doc_id: str
    title: str | None
    number: str | None
    path: str
    page: int | None
    start: int
    end: int
    citation: str
    score: float


@dataclass(frozen=True)
class Source:
    """A retrieved clause: the context an answer's quotes come from."""

    doc_id: str
    citation: str
    path: str
    text: str
    start: int
    end: int
    score: float


@dataclass
class Answer:
    question: str
    answered: bool
    answer: str  # the quotes joined, or the refusal message
    quotes: list[Quote]
    sources: list[Source]  # the clauses considered (the nearest ones when refused)
    evidence: float
    threshold: float
    mode: str = "extractive"  # or "generated"
    notes: list[str] = field(default_factory=list)
    generated: dict[str, Any] | None = None  # the checked model answer, when one was asked for


def content_terms(text: str) -> set[str]:
    """Porter-stemmed content words (as BM25 sees them); Chinese as single characters."""
    words = [w.lower() for w in WORD.findall(text) if not CJK.search(w)]
    terms = set(stem_words([w for w in words if w not in STOPWORDS]))
    terms |= set(CJK.findall(text))
    return terms


def overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & content_terms(sentence)) / len(question_terms)


class ExtractiveAnswerer:
    def __init__(self, searcher: Searcher, embedder: Embedder, settings: AnswerSettings) -> None:
        self.searcher = searcher
        self.embedder = embedder
        self.settings = settings

    def retrieve(self, question: str, filters: Filters) -> list[Hit]:
        return self.searcher.search(question, k=self.settings.chunks, filters=filters, group="chunk").hits

    def answer(self, question: str, filters: Filters | None = None) -> Answer:
        """Answer from the corpus only.

        >>> answerer.answer("How many pilot enterprises will be cultivated?").quotes[0].citation  # doctest: +SKIP
        'Circular of ... Pilot Project, G. ZH. F. G. Z. [2013] No. 27, IV.i.3'
        """
        question = " ".join(question.split())
        if not question:
            raise InvalidInput("question is empty")
        filters = filters or Filters()
        notes: list[str] = []
        named = named_jurisdictions(question)
        if named and not filters.jurisdictions:
            # "... in China?" is not answered by a US statute, however similar the words.
            filters = replace(filters, jurisdictions=named, unknown_jurisdiction_ok=True)
            notes.append(
                f"limited to documents of {', '.join(named)}, the jurisdiction the question names "
                "(and documents that state none)"
            )
        hits = self.retrieve(question, filters)
        sources = [
            Source(h.doc_id, p.citation, p.path, p.text, p.start, p.end, p.score) for h in hits for p in h.passages
        ]
        candidates: list[tuple[Hit, int, int]] = []  # hit, sentence start, end (within the passage)
        for h in hits:
            if h.passages[0].kind in NOT_ANSWERS:
                continue
            for s, e in sentence_spans(h.passages[0].text):
                candidates.append((h, s, e))
        if not candidates:
            return self._refuse(question, sources, 0.0, "nothing was retrieved", notes)
        texts = [h.passages[0].text[s:e] for h, s, e in candidates]
        # A sentence is scored with what is above it (clause heading, patent title), as a
        # reader would read it: "(1) the claimed invention was patented ..." answers a
        # question about novelty only under the heading "Conditions for patentability; novelty".
        contexts = [h.passages[0].heading or (h.title if h.doc_type == "patent" else "") for h, _, _ in candidates]
        vecs = self.embedder.embed([question, *[f"{c}: {t}" if c else t for c, t in zip(contexts, texts)]])
        cos = vecs[1:] @ vecs[0]
        terms = content_terms(question)
        scores = COSINE_WEIGHT * cos + (1 - COSINE_WEIGHT) * np.array([overlap(terms, t) for t in texts])
        scores -= PREAMBLE_PENALTY * np.array([h.passages[0].kind == "preamble" for h, _, _ in candidates])
        best = int(np.argmax(scores))
        evidence = float(scores[best])
        if evidence < self.settings.refusal_threshold:
            return self._refuse(question, sources, evidence, "the best evidence is below the refusal threshold", notes)
        # Quote the best sentence and the others close to it, from the best sentence's
        # clause and the next one at most, in source order.
        top_docs = {candidates[best][0].passages[0].chunk_id}
        order = np.argsort(-scores)
        chosen = [best]
        for i in order[1:]:
            if len(chosen) >= self.settings.max_sentences or scores[i] < evidence - self.settings.margin:
                break
            cid = candidates[i][0].passages[0].chunk_id
            if cid in top_docs or len(top_docs) < 2:
                top_docs.add(cid)
                chosen.append(int(i))
        quotes = [self._quote(candidates[i], float(scores[i])) for i in chosen]
        quotes.sort(key=lambda q: (q.doc_id, q.start))
        return Answer(
            question=question,
            answered=True,
            answer=" […] ".join(q.text for q in quotes),
            quotes=quotes,
            sources=sources,
            evidence=round(evidence, 4),
            threshold=self.settings.refusal_threshold,
            notes=notes,
        )

    @staticmethod
    def _quote(candidate: tuple[Hit, int, int], score: float) -> Quote:
        hit, s, e = candidate
        p = hit.passages[0]
        return Quote(
            text=p.text[s:e],
            doc_id=hit.doc_id,
            title=hit.title,
            number=hit.number,
            path=p.path,
            page=p.page,
            start=p.start + s,
            end=p.start + e,
            citation=p.citation,
            score=round(score, 4),
        )

    def _refuse(
        self, question: str, sources: list[Source], evidence: float, why: str, notes: list[str]
    ) -> Answer:
        return Answer(
            question=question,
            answered=False,
            answer="The corpus does not cover this question; the nearest clauses are listed as sources.",
            quotes=[],
            sources=sources,
            evidence=round(evidence, 4),
            threshold=self.settings.refusal_threshold,
            notes=[*notes, why],
        )
