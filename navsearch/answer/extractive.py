"""Extractive answers: the sentences of the retrieved clauses that answer the question,
quoted verbatim with their citations, in source order; or a refusal, with the nearest
clauses, when the evidence is too weak.

A sentence's score mixes the embedding cosine of question and sentence with the share of
the question's content words the sentence contains (a lexical check that catches exact
terms a small embedder blurs). The evidence score of an answer is its best sentence's
score; below ``refusal_threshold`` the corpus is taken not to cover the question.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from navsearch.chunking.chunker import split_sentences
from navsearch.embedding.base import Embedder
from navsearch.errors import InvalidInput
from navsearch.answer.checks import asks_duration, shares_subject, states_duration, subject_terms
from navsearch.answer.provisions import ITEM, pinpoint, provision_unit
from navsearch.retrieval.searcher import Searcher, SearchResult
from navsearch.settings import AnswerSettings
from navsearch.terms import STOPWORDS, cjk_share, stem_words
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

    def retrieve(self, question: str, filters: Filters) -> SearchResult:
        return self.searcher.search(question, k=self.settings.chunks, filters=filters, group="chunk")

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
        result = self.retrieve(question, filters)
        hits = self._whole_sections(result.hits)
        sources = [
            Source(h.doc_id, p.citation, p.path, p.text, p.start, p.end, p.score) for h in hits for p in h.passages
        ]
        if "CN" in named and cjk_share(question) < 0.5:
            notes.append(
                "the Chinese laws in this corpus are in Chinese, which a question in English cannot match (the "
                "embedding model reads English only): ask in Chinese to search them"
            )
        if hits and not result.relevant:
            return self._refuse(question, sources, 0.0, "nothing retrieved reaches the relevance floor", notes)
        candidates: list[tuple[Hit, int, int]] = []  # hit, sentence start, end (within the passage)
        spans_of: dict[str, list[tuple[int, int]]] = {}
        for h in hits:
            if h.passages[0].kind in NOT_ANSWERS:
                continue
            text = h.passages[0].text
            spans_of[h.passages[0].chunk_id] = spans = sentence_spans(text)
            candidates += [(h, s, e) for s, e in spans]
        if not candidates:
            return self._refuse(question, sources, 0.0, "nothing was retrieved", notes)
        texts = [h.passages[0].text[s:e] for h, s, e in candidates]
        # A sentence is scored with what is above it (clause heading, patent title), as a
        # reader would read it: "(1) the claimed invention was patented ..." answers a
        # question about novelty only under the heading "Conditions for patentability; novelty".
        contexts = [h.passages[0].heading or (h.title if h.doc_type == "patent" else "") for h, _, _ in candidates]
        qvec = self.embedder.embed_queries([question])[0]  # the question is a query, sentences passages
        vecs = self.embedder.embed([f"{c}: {t}" if c else t for c, t in zip(contexts, texts)])
        cos = vecs @ qvec
        terms = content_terms(question)
        scores = COSINE_WEIGHT * cos + (1 - COSINE_WEIGHT) * np.array([overlap(terms, t) for t in texts])
        scores -= PREAMBLE_PENALTY * np.array([h.passages[0].kind == "preamble" for h, _, _ in candidates])
        fit, why = self._fitting(question, candidates, texts, contexts)
        if not fit.any():
            return self._refuse(question, sources, float(scores.max()), why, notes)
        scores = np.where(fit, scores, -1.0)
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
        quotes = whole_provisions(
            [(candidates[i], float(scores[i])) for i in chosen], spans_of, self.settings.max_provision_chars
        )
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

    def _whole_sections(self, hits: list[Hit]) -> list[Hit]:
        """Each retrieved chunk as its whole provision: a long article is cut into several
        chunks, and its items must be read with their lead-in and cited by its 款."""
        out: list[Hit] = []
        seen: set[tuple[str, str]] = set()
        texts: dict[str, str] = {}
        for h in hits:
            p = h.passages[0]
            if (h.doc_id, p.path) in seen:
                continue
            seen.add((h.doc_id, p.path))
            rowids = self.searcher.resolver.section_rowids(h.doc_id, p.path) if h.doc_type != "patent" else []
            if len(rowids) > 1:
                pieces = [c.chunk for c in self.searcher.catalog.chunks_by_rowid(rowids).values()]
                lo, hi = min(c.start for c in pieces), max(c.end for c in pieces)
                if h.doc_id not in texts:
                    texts[h.doc_id] = self.searcher.catalog.document_text(h.doc_id)
                h = replace(h, passages=(replace(p, text=texts[h.doc_id][lo:hi], start=lo, end=hi),))
            out.append(h)
        return out

    def _fitting(
        self, question: str, candidates: list[tuple[Hit, int, int]], texts: list[str], contexts: list[str]
    ) -> tuple[np.ndarray, str]:
        """Which sentences may answer at all: they share the question's subject (with their
        heading, or by being the unit the question cites), and state a length of time when
        the question asks how long; and why none does, when none does."""
        lexical = self.searcher.lexical
        n = max(lexical.count, 1)

        def share(term: str) -> float:
            idf = lexical.idf([term])[0]
            return max(0.0, (n + 0.5) / (math.exp(idf) + 1) - 0.5) / n

        subject = subject_terms(question, share, self.settings.generic_term_share)
        fit = np.array(
            [h.cited or shares_subject(subject, f"{c} {t}") for (h, _, _), t, c in zip(candidates, texts, contexts)]
        )
        if not fit.any():
            return fit, f"no retrieved sentence speaks of the question's subject ({', '.join(subject)})"
        if asks_duration(question):
            fit &= np.array([states_duration(t) for t in texts])
            if not fit.any():
                return fit, "the question asks how long, and no retrieved sentence on its subject states a length of time"
        return fit, ""

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


def _quote_of(hit: Hit, s: int, e: int, score: float, point: str = "") -> Quote:
    p = hit.passages[0]
    citation = p.citation
    if point:
        # "..., Article 17(1)" -> "..., Article 17(1)(e)"; "..., 第二十四条" -> "..., 第二十四条第（一）项"
        citation = citation.replace(p.path, p.path + point, 1) if p.path in citation else f"{citation} {point}"
    return Quote(
        text=p.text[s:e],
        doc_id=hit.doc_id,
        title=hit.title,
        number=hit.number,
        path=p.path,
        page=p.page,
        start=p.start + s,
        end=p.start + e,
        citation=citation,
        score=round(score, 4),
    )


def _items_end(text: str, at: int) -> int:
    """The end of the item lines that follow ``at`` (items a sentence splitter left inside
    one sentence: "... has been—\n(a) ...\n(b) ...")."""
    end = at
    for m in re.finditer(r"\n", text[at:]):
        line = at + m.end()
        if line > end + 1 or not ITEM.match(text, line):
            break
        nxt = text.find("\n", line)
        end = len(text) if nxt < 0 else nxt
    return end


def whole_provisions(
    chosen: list[tuple[tuple[Hit, int, int], float]], spans_of: dict[str, list[tuple[int, int]]], max_chars: int
) -> list[Quote]:
    """The chosen sentences as quotes, each lead-in with its items: a lead-in ending in a
    colon, or an item, is quoted as the whole enumeration when it fits in ``max_chars``;
    otherwise the lead-in and the chosen items are quoted apart. A quote inside one item is
    cited down to it (Article 17(1)(e), 第二十四条第（一）项). In source order, no quote twice."""
    wanted: dict[tuple[str, int, int], tuple[Hit, float, bool]] = {}  # (chunk, start, end) -> hit, score, whole unit
    for (hit, s, e), score in chosen:
        chunk = hit.passages[0].chunk_id
        spans = spans_of[chunk]
        text = hit.passages[0].text
        unit = provision_unit(text, spans, spans.index((s, e)))
        pieces = [(s, e, False)]
        if unit is not None:
            lead = spans[unit.lead]
            lo, hi = lead[0], spans[unit.last][1]
            if unit.last == unit.lead:  # its items are lines of the lead-in's own sentence
                hi = _items_end(text, lead[1])
            pieces = [(lo, hi, True)] if hi - lo <= max_chars else [(lead[0], lead[1], False), (s, e, False)]
        for a, b, whole in pieces:
            key = (chunk, a, b)
            if key not in wanted or wanted[key][1] < score:
                wanted[key] = (hit, score, whole)
    # A piece inside a wider one of the same chunk is already quoted.
    keys = [k for k in wanted if not any(o != k and o[0] == k[0] and o[1] <= k[1] and k[2] <= o[2] for o in wanted)]
    quotes = []
    for chunk, a, b in keys:
        hit, score, _ = wanted[(chunk, a, b)]
        text = hit.passages[0].text
        a += len(text[a:b]) - len(text[a:b].lstrip())  # a quote starts at its first word
        b -= len(text[a:b]) - len(text[a:b].rstrip())
        quotes.append(_quote_of(hit, a, b, score, pinpoint(text, hit.passages[0].path, a, b)))
    quotes.sort(key=lambda q: (q.doc_id, q.start))
    return quotes
