"""The prior-art workbench: an idea in; ranked references (one per patent family), each
element of the idea mapped to a verbatim quote of each reference, the coverage matrix,
and the policy clauses that bear on the same idea."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from navsearch.chunking.chunker import split_sentences
from navsearch.citations import cite
from navsearch.embedding.base import Embedder
from navsearch.errors import InvalidInput
from navsearch.priorart.coverage import NOT_FOUND, Coverage, coverage, status_for
from navsearch.priorart.elements import split_elements
from navsearch.retrieval.families import family_groups
from navsearch.retrieval.searcher import Searcher
from navsearch.settings import PriorArtSettings
from navsearch.store.protocol import StoreReader
from navsearch.types import DateField, DocumentMeta, Filters, Hit, Passage


@dataclass(frozen=True)
class ElementMatch:
    """The passage of one reference that best matches one element, quoted verbatim."""

    element: int
    status: str  # disclosed / partly / not found
    score: float  # cosine of the element and the quoted sentence
    quote: str
    kind: str
    path: str
    page: int | None
    start: int  # offsets of the quote in the reference's stored text
    end: int
    citation: str
    verified: bool  # the quote was found at those offsets in the stored text


@dataclass(frozen=True)
class Reference:
    rank: int
    doc_id: str
    number: str | None
    title: str | None
    score: float
    publication_date: date | None
    application_date: date | None
    priority_date: date | None
    jurisdiction: str | None
    ipc: tuple[str, ...]
    assignee: str | None
    family_members: tuple[str, ...]  # the other members of its family (collapsed into this one)
    passages: tuple[Passage, ...]  # its best passages for the idea as a whole
    matches: tuple[ElementMatch, ...]  # one per element
    relevance: float | None = None  # its best passage's relevance to the idea (retrieval/relevance.py)
    weak: bool = False  # below the relevance floor: listed, but no element counts as disclosed by it


@dataclass(frozen=True)
class Cutoff:
    """What a date cutoff did to the patents the other filters leave."""

    date_field: str
    before: str  # ISO day: references must be dated before it
    patents: int  # patents the other filters leave
    undated: int  # of those, the ones without that date (removed: nobody knows if they are prior art)
    removed: int  # removed by the cutoff, undated ones included
    eligible: int  # left to search


@dataclass(frozen=True)
class PriorArtResult:
    idea: str
    elements: tuple[str, ...]
    filters: dict[str, Any]
    references: tuple[Reference, ...]
    coverage: Coverage
    policy: tuple[Hit, ...]
    model: str
    generation: int
    corpus_fingerprint: str
    thresholds: dict[str, float]
    created_at: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    # False: the corpus (after the cutoff) cannot support a novelty call, and no element is
    # listed as a candidate point of novelty; ``novelty_note`` says why.
    novelty_call: bool = True
    novelty_note: str | None = None
    relevant: bool = True  # some reference reaches the relevance floor
    cutoff: Cutoff | None = None


def _families(hits: list[Hit], metas: dict[str, DocumentMeta]) -> list[list[Hit]]:
    """Group hits whose family lists connect them, best hit's group first."""
    return family_groups(hits, lambda h: h.doc_id, metas)


class Workbench:
    def __init__(self, searcher: Searcher, catalog: StoreReader, embedder: Embedder, settings: PriorArtSettings) -> None:
        self.searcher = searcher
        self.catalog = catalog
        self.embedder = embedder
        self.settings = settings

    def elements_for(self, idea: str, elements: list[str] | None) -> list[str]:
        if len(idea) > self.settings.max_idea_chars:
            raise InvalidInput(f"idea is {len(idea)} characters long; the limit is {self.settings.max_idea_chars}")
        found = [e.strip() for e in elements if e.strip()] if elements else split_elements(idea)
        if not found:
            raise InvalidInput("the idea has no text to split into elements")
        for e in found if elements else ():  # the user's own elements; split ones are bounded by the idea
            if len(e) > self.settings.max_element_chars:
                raise InvalidInput(
                    f"an element is {len(e)} characters long; the limit is {self.settings.max_element_chars}"
                )
        if len(found) > self.settings.max_elements:
            raise InvalidInput(
                f"the idea has {len(found)} elements; the limit is {self.settings.max_elements} "
                "(give fewer elements, or merge some)"
            )
        return found

    def filters_for(
        self,
        priority_date: date | None,
        cutoff_field: DateField,
        ipc: tuple[str, ...],
        jurisdictions: tuple[str, ...],
    ) -> Filters | None:
        """Prior art must be dated strictly before the priority date. None when nothing can
        be: 0001-01-01 is the first day a date can name, so no reference precedes it (the
        search is valid and finds nothing, as it would for 0001-01-02)."""
        if priority_date == date.min:
            return None
        return Filters(
            doc_types=("patent",),
            date_field=cutoff_field,
            date_to=priority_date - timedelta(days=1) if priority_date else None,
            ipc_prefixes=ipc,
            jurisdictions=jurisdictions,
        )

    def rank_families(self, idea: str, filters: Filters, k: int) -> list[tuple[Hit, list[str], list[str]]]:
        """Top ``k`` families, best first: (representative hit, other members, the family's
        hits in rank order). The representative is the member with the fullest text among
        those found; it carries the family's best score."""
        hits = self.searcher.search(
            idea, k=min(100, k * self.settings.candidate_factor), filters=filters, collapse_families=False, syntax=False
        ).hits
        metas = self.catalog.documents_meta(h.doc_id for h in hits)
        lengths = self.catalog.text_lengths(h.doc_id for h in hits)
        out = []
        for group in _families(hits, metas)[:k]:
            rep = max(group, key=lambda h: (lengths.get(h.doc_id, 0), -group.index(h)))
            members = {m for h in group for m in [h.doc_id, *metas[h.doc_id].family]}
            best = group[0]
            out.append(
                (
                    rep if rep is best else _with_score(rep, best.score),
                    sorted(members - {rep.doc_id}),
                    [h.doc_id for h in group],
                )
            )
        return out

    def ranked_ids(self, query: str, filters: Filters, k: int) -> list[str]:
        """Patent ids best first, as the workbench ranks them (for evaluation): each family at
        its best member's rank, its hits in their own order, then the members the search did
        not reach (same invention, so likely the same citation) if they are in the corpus and
        pass the filters (a member published after the cutoff is not prior art)."""
        patents = replace(filters, doc_types=("patent",))
        families = self.rank_families(query, patents, k)
        ids = [d for _, members, hits in families for d in [*hits, *[m for m in members if m not in hits]]]
        eligible = self.catalog.documents_matching(ids, patents)
        return [d for d in ids if d in eligible]

    def map_elements(self, elements: list[str], doc_ids: list[str]) -> dict[str, list[ElementMatch]]:
        """For each reference, each element's best sentence: the best chunk by stored
        vectors, then the best sentence of that chunk by a fresh embedding."""
        # Elements are searched with (query side); chunks and sentences are passages.
        evecs = self.embedder.embed_queries(elements)
        best_chunks: dict[str, list[Any]] = {}
        sentences: dict[str, int] = {}
        for doc_id in doc_ids:
            chunks, vecs = self.catalog.chunks_with_vectors(doc_id, self.embedder.dimension)
            if not chunks:
                continue
            sims = evecs @ vecs.T
            picks = []
            for i in range(len(elements)):
                c = chunks[int(np.argmax(sims[i]))]
                spans = split_sentences(c.text)
                picks.append((c, spans))
                for s, e in spans:
                    sentences.setdefault(c.text[s:e], len(sentences))
            best_chunks[doc_id] = picks
        texts = list(sentences)
        svecs = self.embedder.embed(texts) if texts else np.zeros((0, self.embedder.dimension), np.float32)
        metas = self.catalog.documents_meta(doc_ids)
        out: dict[str, list[ElementMatch]] = {}
        for doc_id, picks in best_chunks.items():
            stored = self.catalog.document_text(doc_id)
            matches = []
            for i, (chunk, spans) in enumerate(picks):
                scored = [(float(evecs[i] @ svecs[sentences[chunk.text[s:e]]]), s, e) for s, e in spans]
                score, s, e = max(scored)
                start, end = chunk.start + s, chunk.start + e
                quote = chunk.text[s:e]
                matches.append(
                    ElementMatch(
                        element=i,
                        status=status_for(score, self.settings.disclosed_threshold, self.settings.partly_threshold),
                        score=round(score, 4),
                        quote=quote,
                        kind=chunk.kind,
                        path=chunk.path,
                        page=chunk.page,
                        start=start,
                        end=end,
                        citation=cite(metas[doc_id], chunk),
                        verified=stored[start:end] == quote,
                    )
                )
            out[doc_id] = matches
        return out

    def run(
        self,
        idea: str,
        *,
        elements: list[str] | None = None,
        priority_date: date | None = None,
        cutoff_field: DateField = "publication",
        ipc: tuple[str, ...] = (),
        jurisdictions: tuple[str, ...] = (),
        k: int = 10,
        policy_k: int | None = None,
        model: str = "",
        corpus_fingerprint: str = "",
    ) -> PriorArtResult:
        idea = idea.strip()
        if not idea:
            raise InvalidInput("idea is empty")
        if not 1 <= k <= self.settings.max_k:
            raise InvalidInput(f"k must be between 1 and {self.settings.max_k}; got {k}")
        if policy_k is not None and not 0 <= policy_k <= self.settings.max_policy_k:
            raise InvalidInput(f"policy_k must be between 0 and {self.settings.max_policy_k}; got {policy_k}")
        parts = self.elements_for(idea, elements)
        filters = self.filters_for(priority_date, cutoff_field, ipc, jurisdictions)
        cut = self.cutoff(filters) if priority_date and filters else None
        families = self.rank_families(idea, filters, k) if filters else []
        matches = self.map_elements(parts, [h.doc_id for h, _, _ in families])
        metas = self.catalog.documents_meta(h.doc_id for h, _, _ in families)
        refs = _ordered(
            [
                Reference(
                    rank=n,
                    doc_id=h.doc_id,
                    number=h.number,
                    title=h.title,
                    score=h.score,
                    publication_date=h.publication_date,
                    application_date=h.application_date,
                    priority_date=metas[h.doc_id].priority_date,
                    jurisdiction=h.jurisdiction,
                    ipc=h.ipc,
                    assignee=h.assignee,
                    family_members=tuple(members),
                    passages=h.passages,
                    matches=tuple(matches.get(h.doc_id, ())),
                    relevance=h.relevance,
                    weak=h.weak,
                )
                for n, (h, members, _) in enumerate(families, start=1)
            ]
        )
        # Only references that reach the relevance floor count: a produce mister "partly
        # discloses" a powder-coating gun's elements at cosines any unrelated text reaches.
        counted = [r for r in refs if r.matches and not r.weak]
        cov = coverage({r.doc_id: [m.status for m in r.matches] for r in counted}, len(parts))
        refusal = self.novelty_refusal(cut, counted, refs)
        if refusal:
            cov = replace(cov, novelty_candidates=(), weakly_covered=())
        n_policy = self.settings.policy_k if policy_k is None else policy_k
        policy = (
            self.searcher.search(idea, k=n_policy, filters=Filters(doc_types=("policy", "statute")), syntax=False).hits
            if n_policy
            else []
        )
        notes = []
        if filters is None:
            notes.append(f"no reference can be dated before {date.min.isoformat()}: nothing was searched")
        elif cut:
            notes.append(
                f"references dated on or after {cut.before} ({cutoff_field} date) are excluded, and so are "
                f"references without a {cutoff_field} date: the cutoff removed {cut.removed:,} of {cut.patents:,} "
                f"patents ({cut.undated:,} have no {cutoff_field} date), {cut.eligible:,} are left"
            )
        if refs and not counted:
            notes.append(
                "no reference reaches the relevance floor: they are the nearest patents, listed as weak, and none "
                "counts as disclosing an element"
            )
        return PriorArtResult(
            idea=idea,
            elements=tuple(parts),
            filters={
                "priority_date": priority_date.isoformat() if priority_date else None,
                "cutoff_field": cutoff_field,
                "ipc": list(ipc),
                "jurisdictions": list(jurisdictions),
                "k": k,
            },
            references=refs,
            coverage=cov,
            policy=tuple(policy),
            model=model,
            generation=self.searcher.index.manifest.generation,
            corpus_fingerprint=corpus_fingerprint,
            thresholds={
                "disclosed": self.settings.disclosed_threshold,
                "partly": self.settings.partly_threshold,
            },
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            notes=tuple(notes),
            novelty_call=refusal is None,
            novelty_note=refusal,
            relevant=bool(counted),
            cutoff=cut,
        )

    def cutoff(self, filters: Filters) -> Cutoff:
        patents, undated, eligible = self.catalog.cutoff_counts(filters)
        assert filters.date_to is not None
        return Cutoff(
            date_field=filters.date_field,
            before=(filters.date_to + timedelta(days=1)).isoformat(),
            patents=patents,
            undated=undated,
            removed=patents - eligible,
            eligible=eligible,
        )

    def novelty_refusal(self, cut: Cutoff | None, counted: list[Reference], refs: tuple[Reference, ...]) -> str | None:
        """Why the corpus cannot support a novelty call, or None when it can. Absence of art
        from a corpus that lacks the field, or that the cutoff emptied, proves nothing new."""
        field_name = cut.date_field if cut else ""
        if cut and cut.patents and cut.undated / cut.patents > self.settings.max_undated_share:
            better = next((f for f in ("publication", "application", "priority") if f != field_name), "publication")
            return (
                f"the corpus cannot support a novelty call: {cut.undated:,} of {cut.patents:,} patents have no "
                f"{field_name} date, so the cutoff removed them though any of them may be prior art; "
                f"use --cutoff-field {better}"
            )
        if cut and cut.eligible < self.settings.min_eligible_patents:
            return (
                f"the corpus cannot support a novelty call: only {cut.eligible:,} of {cut.patents:,} patents are "
                f"dated before {cut.before} ({field_name} date); at least "
                f"{self.settings.min_eligible_patents:,} are needed (prior_art.min_eligible_patents)"
            )
        if not counted:
            best = max((r.relevance or 0.0 for r in refs), default=None)
            found = f"the best scores {best:.2f}" if best is not None else "none was found"
            return (
                "the corpus cannot support a novelty call: no reference reaches the relevance floor "
                f"({found}), so this corpus holds no art in the idea's field and cannot tell what is new in it"
            )
        return None


def _with_score(hit: Hit, score: float) -> Hit:
    return replace(hit, score=score)


def _ordered(refs: list[Reference]) -> tuple[Reference, ...]:
    """References that reach the floor first, then the weak ones; within each, those that
    match some element (at least partly) before those that match none; search order
    within that; ranked again from 1. (A reference that matches nothing of the idea is no
    first reference.)"""
    def key(r: Reference) -> tuple[bool, bool, int]:
        return (r.weak, not any(m.status != NOT_FOUND for m in r.matches), r.rank)

    return tuple(replace(r, rank=n) for n, r in enumerate(sorted(refs, key=key), start=1))
