"""Structure-first chunking: one chunk per section (clause, article, claim, abstract,
description paragraph); a section longer than the model's token limit is split on
sentences, and a sentence longer than the limit by a token window
(langchain-text-splitters). Every chunk is a verbatim slice of the document text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from navsearch.chunking.lead_ins import lead_ins
from navsearch.errors import ParseError
from navsearch.settings import ChunkingSettings
from navsearch.terms import script_of_query
from navsearch.types import Chunk, Document, Section, chunk_id_for, embedded_text

# Counts tokens as the encoder sees them, special tokens included, for a batch of texts.
TokenCounter = Callable[[Sequence[str]], list[int]]
# Sections that stay in a document's text but are not retrieval units: headings (their
# words reach the sections below them as context).
NOT_RETRIEVED = ("heading",)
# Chunks estimated within this many tokens of the limit are counted exactly again.
CHECK_MARGIN = 16

SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(\[A-Z0-9])|(?<=[。；！？])")
MAX_CONTEXT_SHARE = 4  # context (title, headings) may take at most 1/4 of the token budget
# Huge sections (a 50 MB clause, a 3 MB Chinese article without a full stop) cost GBs and
# minutes when a text is tokenized in one piece (the tokenizer keeps ids, offsets and
# token strings for every token at once) or cut one character at a time by the window
# splitter (a tokenizer call per character). So: no text longer than LONG_TEXT_CHARS is
# tokenized whole (a longer sentence is first cut into BLOCK_CHARS blocks at a space or
# a punctuation mark), texts are counted in calls of at most COUNT_BATCH_CHARS, and the
# window splitter's counts are memoised. Chunks change only where a single sentence is
# longer than LONG_TEXT_CHARS (its token windows now restart at block boundaries), and
# for Chinese sentences over the token limit, now cut at their commas (，、；) rather than
# anywhere: the chunks of the bundled corpus and the test data are the same as before.
LONG_TEXT_CHARS = 50_000
BLOCK_CHARS = 10_000
COUNT_BATCH_CHARS = 200_000
BLOCK_BREAK = re.compile(r"[\s。；！？，、,;]")


def context_for(doc: Document, section: Section, lead_in: str = "") -> str:
    """Text prepended to a chunk for embedding and BM25: what a reader sees above it (a
    patent's title; a provision's heading chain, then the lead-in of the provisions
    enclosing it: chunking/lead_ins.py)."""
    if doc.doc_type == "patent":
        return doc.title or ""
    return "\n".join(p for p in (section.heading or "", lead_in) if p)


def _trim_context(context: str, count: TokenCounter, limit: int, lead_in: str = "") -> str:
    """``context`` within ``limit`` tokens. Its lead-in (the line after the heading chain)
    loses words from its start first, since its end is what leads into the item ("...
    three stages: initiation, cultivation (building) and summarizing:"); then the heading
    chain loses words from its end."""
    has_lead = bool(lead_in) and (context == lead_in or context.endswith("\n" + lead_in))
    head = context[: max(0, len(context) - len(lead_in) - 1)] if has_lead else context
    lead = lead_in.split() if has_lead else []
    while lead and count(["\n".join(p for p in (head, " ".join(lead)) if p)])[0] > limit:
        lead = lead[len(lead) - max(1, int(len(lead) * 0.8)) :] if len(lead) > 1 else []
    if lead:
        return "\n".join(p for p in (head, " ".join(lead)) if p)
    words = head.split()
    while words and count([" ".join(words)])[0] > limit:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut into spans of at most BLOCK_CHARS, each ending after a
    space or punctuation mark where the block has one."""
    spans = []
    while end - start > BLOCK_CHARS:
        cut = start + BLOCK_CHARS
        last = None
        for m in BLOCK_BREAK.finditer(text, cut - BLOCK_CHARS // 2, cut):
            last = m.end()
        cut = last or cut
        spans.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


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
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if e - s > LONG_TEXT_CHARS:
            out.extend(_blocks(text, s, e))
        elif text[s:e].strip():
            out.append((s, e))
    return out


def chunker_for(encoder: Any, settings: ChunkingSettings) -> "Chunker":
    """The chunker ``settings`` give an encoder (an embedding.base.Embedder): never above the
    encoder's own limit (it would silently truncate), the overlap at most a quarter of a
    chunk, CJK chunks' ids marked with the gloss the encoder reads them through, if any
    (embedding/gloss.py). The one recipe of every ingest, in this process or on a cluster's
    workers."""
    max_tokens = min(settings.max_tokens, encoder.max_tokens)
    overlap = min(settings.overlap_tokens, max_tokens // 4)
    return Chunker(encoder.count_tokens, max_tokens, overlap, getattr(encoder, "gloss", ""))


class Chunker:
    """Turns Documents into Chunks that never exceed ``max_tokens`` of the encoder.

    >>> chunker = Chunker(lambda texts: [len(t.split()) + 2 for t in texts], max_tokens=64)
    """

    def __init__(self, count_tokens: TokenCounter, max_tokens: int, overlap_tokens: int = 32, gloss: str = "") -> None:
        if max_tokens < 16:
            raise ValueError(f"max_tokens must be at least 16. Currently, max_tokens is {max_tokens}")
        if not 0 <= overlap_tokens < max_tokens // 2:
            raise ValueError(
                f"overlap_tokens must be in [0, max_tokens/2). Currently, overlap_tokens is {overlap_tokens}"
            )
        self.count = count_tokens
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.gloss = gloss  # the encoder reads CJK chunks through this gloss: their ids say so

    def _count(self, texts: Sequence[str]) -> list[int]:
        """Token counts of ``texts``, asked in calls of at most COUNT_BATCH_CHARS characters
        (one call for an ordinary document: each call has a fixed cost)."""
        counts: list[int] = []
        batch: list[str] = []
        size = 0
        for text in texts:
            if batch and size + len(text) > COUNT_BATCH_CHARS:
                counts.extend(self.count(batch))
                batch, size = [], 0
            batch.append(text)
            size += len(text)
        if batch:
            counts.extend(self.count(batch))
        return counts

    def _window_splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        # Memoised: the splitter counts every piece it considers, down to single characters
        # for text without separators (Chinese), and the same pieces come back many times.
        length = functools.lru_cache(maxsize=65_536)(lambda t: self.count([t])[0])
        return RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap_tokens, budget // 4),
            length_function=length,
            separators=["\n\n", "\n", "; ", ", ", "；", "，", "、", " ", ""],
            keep_separator="end",  # a dropped "; " would leave text outside every chunk
            strip_whitespace=True,
        )

    def _pieces(
        self, text: str, budget: int, tokens: int | None
    ) -> tuple[list[tuple[int, int]], list[int | None]]:
        """Spans of ``text`` (``tokens`` long; None: too long to count whole) of at most
        ``budget`` tokens, whole sentences where possible, and each span's tokens where
        they were counted (so the final check need not count them again)."""
        if tokens is not None and tokens <= budget:
            return [(0, len(text))], [tokens]
        spans = split_sentences(text)
        counts = self._count([text[s:e] for s, e in spans])
        # Sentences are merged by adding their counts (each count carries the special
        # tokens once): one tokenizer call per section instead of one per sentence. A
        # tokenizer that is not additive across spaces is caught by the check below.
        specials = self.specials
        pieces = self._merge(text, spans, counts, budget, lambda cur, n: cur + n - specials)
        exact = self._count([text[s:e] for s, e in pieces])
        if all(n <= budget for n in exact):
            return pieces, list(exact)
        pieces = self._merge(text, spans, counts, budget, None)
        return pieces, [None] * len(pieces)

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
        leads = dict(zip(map(id, doc.sections), lead_ins(doc)))
        contexts = [context_for(doc, section, leads[id(section)]) for section in sections]
        # One tokenizer call per document, not several per section: at ONNX speed the
        # per-call overhead was a third of the pipeline's cost over bare encoding.
        texts = [s.text for s in sections]
        long = {i for i, t in enumerate(texts) if len(t) > LONG_TEXT_CHARS}
        counts = self._count([*contexts, *(t for i, t in enumerate(texts) if i not in long)])
        context_tokens = counts[: len(sections)]
        counted = iter(counts[len(sections) :])
        text_tokens: list[int | None] = [None if i in long else next(counted) for i in range(len(sections))]
        for i, section in enumerate(sections):
            context = contexts[i]
            if context and context_tokens[i] > context_limit:
                context = _trim_context(context, self.count, context_limit, leads[id(sections[i])])
                context_tokens[i] = self.count([context])[0]
            # The embedder sees context + "\n" + text: keep room for both, special tokens once.
            budget = self.max_tokens - (context_tokens[i] - 1 if context else 0)
            try:
                spans, piece_tokens = self._pieces(section.text, budget, text_tokens[i])
            except ValueError as exc:
                raise ParseError(doc.source, f"chunk {doc.doc_id} {section.path}", str(exc)) from exc
            for piece, ((s, e), tokens) in enumerate(zip(spans, piece_tokens)):
                estimates.append(
                    None if tokens is None else tokens + (context_tokens[i] - self.specials if context else 0)
                )
                text = section.text[s:e]
                start = section.start + s
                # The id covers what is embedded (context and text), not the offsets, so an
                # edit elsewhere in the document does not force re-embedding this chunk.
                key = f"{piece}\x00{context}\x00{text}"
                if self.gloss and script_of_query(embedded_text(context, text)) == "cjk":
                    key += f"\x00{self.gloss}"  # what the encoder reads is the gloss: a new gloss, a new vector
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
        counts = self._count([c.embed_text for c in near])
        over = [(c.path, n) for c, n in zip(near, counts) if n > self.max_tokens]
        if over:
            raise ParseError(
                doc.source,
                f"chunk {doc.doc_id}",
                f"{len(over)} chunk(s) exceed {self.max_tokens} tokens, first {over[0][0]} with {over[0][1]}",
            )
