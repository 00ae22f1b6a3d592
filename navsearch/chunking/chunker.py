"""Structure-first chunking: one chunk per section (clause, article, claim, abstract,
description paragraph); a section longer than the model's token limit is split on
sentences, and a sentence longer than the limit by a token window
(langchain-text-splitters). Every chunk is a verbatim slice of the document text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cached_property

from langchain_text_splitters import RecursiveCharacterTextSplitter

from navsearch.errors import ParseError
from navsearch.types import Chunk, Document, Section, chunk_id_for

# Counts tokens as the encoder sees them, special tokens included, for a batch of texts.
TokenCounter = Callable[[Sequence[str]], list[int]]
# Sections that stay in a document's text but are not retrieval units: headings (their
# words reach the sections below them as context).
NOT_RETRIEVED = ("heading",)
# Chunks estimated within this many tokens of the limit are counted exactly again.
CHECK_MARGIN = 16

SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(\[A-Z0-9])|(?<=[。；！？])")
MAX_CONTEXT_SHARE = 4  # context (title, headings) may take at most 1/4 of the token budget


def context_for(doc: Document, section: Section) -> str:
    """Text prepended to a chunk for embedding and BM25: what a reader sees above it."""
    if doc.doc_type == "patent":
        return doc.title or ""
    return section.heading or ""


def _trim_context(context: str, count: TokenCounter, limit: int) -> str:
    words = context.split()
    while words and count([" ".join(words)])[0] > limit:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text``; spans cover the text except whitespace."""
    spans = []
    start = 0
    for m in SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


class Chunker:
    """Turns Documents into Chunks that never exceed ``max_tokens`` of the encoder.

    >>> chunker = Chunker(lambda texts: [len(t.split()) + 2 for t in texts], max_tokens=64)
    """

    def __init__(self, count_tokens: TokenCounter, max_tokens: int, overlap_tokens: int = 32) -> None:
        if max_tokens < 16:
            raise ValueError(f"max_tokens must be at least 16. Currently, max_tokens is {max_tokens}")
        if not 0 <= overlap_tokens < max_tokens // 2:
            raise ValueError(
                f"overlap_tokens must be in [0, max_tokens/2). Currently, overlap_tokens is {overlap_tokens}"
            )
        self.count = count_tokens
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def _window_splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap_tokens, budget // 4),
            length_function=lambda t: self.count([t])[0],
            separators=["\n\n", "\n", "; ", ", ", " ", ""],
            keep_separator="end",  # a dropped "; " would leave text outside every chunk
            strip_whitespace=True,
        )

    def _pieces(self, text: str, budget: int, tokens: int) -> list[tuple[int, int]]:
        """Spans of ``text`` (``tokens`` long) of at most ``budget`` tokens: whole
        sentences where possible."""
        if tokens <= budget:
            return [(0, len(text))]
        spans = split_sentences(text)
        counts = self.count([text[s:e] for s, e in spans])
        # Sentences are merged by adding their counts (each count carries the special
        # tokens once): one tokenizer call per section instead of one per sentence. A
        # tokenizer that is not additive across spaces is caught by the check below.
        specials = self.specials
        pieces = self._merge(text, spans, counts, budget, lambda cur, n: cur + n - specials)
        if all(n <= budget for n in self.count([text[s:e] for s, e in pieces])):
            return pieces
        return self._merge(text, spans, counts, budget, None)

    def _merge(
        self,
        text: str,
        spans: list[tuple[int, int]],
        counts: list[int],
        budget: int,
        add: Callable[[int, int], int] | None,
    ) -> list[tuple[int, int]]:
        """Greedy merge of sentence spans into pieces within ``budget``; ``add`` estimates
        a merged piece's tokens, or None to count every candidate exactly."""
        pieces: list[tuple[int, int]] = []
        cur: tuple[int, int] | None = None
        cur_tokens = 0
        for (s, e), n in zip(spans, counts):
            if n > budget:
                if cur:
                    pieces.append(cur)
                    cur = None
                pieces.extend(self._window(text, s, e, budget))
                continue
            if cur:
                merged = add(cur_tokens, n) if add else self.count([text[cur[0] : e]])[0]
                if merged <= budget:
                    cur, cur_tokens = (cur[0], e), merged
                    continue
                pieces.append(cur)
            cur, cur_tokens = (s, e), n
        if cur:
            pieces.append(cur)
        return pieces

    def _window(self, text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
        out = []
        cursor = start
        for piece in self._window_splitter(budget).split_text(text[start:end]):
            at = text.find(piece, max(start, cursor - len(piece)), end)
            if at < 0:  # the splitter normalised something: fall back to searching forward
                at = text.find(piece, start, end)
            if at < 0:
                raise ValueError(f"window piece not found in text: {piece[:40]!r}")
            out.append((at, at + len(piece)))
            cursor = at + len(piece)
        return out

    def chunk(self, doc: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        estimates: list[int | None] = []  # tokens of each chunk's embed text, where known
        context_limit = self.max_tokens // MAX_CONTEXT_SHARE
        sections = [s for s in doc.sections if s.kind not in NOT_RETRIEVED]
        contexts = [context_for(doc, section) for section in sections]
        # One tokenizer call per document, not several per section: at ONNX speed the
        # per-call overhead was a third of the pipeline's cost over bare encoding.
        counts = self.count([*contexts, *(s.text for s in sections)])
        context_tokens, text_tokens = counts[: len(sections)], counts[len(sections) :]
        for i, section in enumerate(sections):
            context = contexts[i]
            if context and context_tokens[i] > context_limit:
                context = _trim_context(context, self.count, context_limit)
                context_tokens[i] = self.count([context])[0]
            # The embedder sees context + "\n" + text: keep room for both, special tokens once.
            budget = self.max_tokens - (context_tokens[i] - 1 if context else 0)
            try:
                spans = self._pieces(section.text, budget, text_tokens[i])
            except ValueError as exc:
                raise ParseError(doc.source, f"chunk {doc.doc_id} {section.path}", str(exc)) from exc
            whole = len(spans) == 1
            for piece, (s, e) in enumerate(spans):
                estimates.append(
                    text_tokens[i] + (context_tokens[i] - self.specials if context else 0) if whole else None
                )
                text = section.text[s:e]
                start = section.start + s
                # The id covers what is embedded (context and text), not the offsets, so an
                # edit elsewhere in the document does not force re-embedding this chunk.
                key = f"{piece}\x00{context}\x00{text}"
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id_for(doc.doc_id, section.path, key),
                        doc_id=doc.doc_id,
                        ordinal=len(chunks),
                        kind=section.kind,
                        path=section.path,
                        text=text,
                        start=start,
                        end=start + len(text),
                        page=section.page,
                        heading=section.heading,
                        claim_number=section.claim_number,
                        parent_claim=section.parent_claim,
                        context=context,
                        # A piece of a long section is cited by the whole section's location.
                        location=section.location,
                    )
                )
        self._check_limits(doc, chunks, estimates)
        return chunks

    @cached_property
    def specials(self) -> int:
        """Tokens the tokenizer adds to every text ([CLS] and [SEP] for BERT models)."""
        return self.count([""])[0]

    def _check_limits(self, doc: Document, chunks: list[Chunk], estimates: list[int | None]) -> None:
        """Count exactly every chunk whose size is unknown or near the limit. Counts of the
        context and the text add up across the line break between them (whitespace splits
        tokens), so a chunk estimated well below the limit is not recounted: recounting
        every chunk cost 2% of ingest time at ONNX speed."""
        near = [
            c for c, est in zip(chunks, estimates) if est is None or est > self.max_tokens - CHECK_MARGIN
        ]
        counts = self.count([c.embed_text for c in near])
        over = [(c.path, n) for c, n in zip(near, counts) if n > self.max_tokens]
        if over:
            raise ParseError(
                doc.source,
                f"chunk {doc.doc_id}",
                f"{len(over)} chunk(s) exceed {self.max_tokens} tokens, first {over[0][0]} with {over[0][1]}",
            )
