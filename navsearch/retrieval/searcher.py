"""Hybrid search: dense (FAISS) and lexical (BM25) rankings of one index generation,
filtered, fused with RRF, then grouped per document with each document's best passages.

Around that core: the units a query cites by number come first (citation_lookup.py); the
query's operators (-term, "phrase", AND) constrain the passages (query_syntax.py); every
hit carries a relevance that does not depend on rank, and a search whose best hit is below
the relevance floor says that nothing relevant was found (relevance.py); a patent family
is one hit in a document search, its members listed (families.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from navsearch.embedding.base import Embedder
from navsearch.errors import InvalidInput
from navsearch.retrieval.citation_lookup import CitationResolver, CitedUnit, parse_references, residual_text
from navsearch.retrieval.families import family_groups, family_members
from navsearch.retrieval.fusion import Fused, rrf
from navsearch.retrieval.jurisdiction import elsewhere, named_jurisdictions
from navsearch.retrieval.kept import Kept
from navsearch.retrieval.layout import Layout, Owner
from navsearch.retrieval.hits import hit_of, in_view, like_text, passage
from navsearch.retrieval.long_query import lexical_terms
from navsearch.retrieval.query_vectors import QueryVectors
from navsearch.retrieval.query_syntax import ParsedQuery, contains, holds_phrases, parse_query, passage_matches
from navsearch.retrieval.cross_language import CrossLanguageLeg
from navsearch.retrieval.legs import Legs, WordLegs, alongside, encodes, leg_weights, reads_cjk
from navsearch.retrieval.relevance import QueryRelevance, judge, nothing_note
from navsearch.retrieval.rerank import rerank
from navsearch.settings import RetrievalSettings
from navsearch.store.protocol import AnnSearch, DenseIndex, Generation, LexicalIndex, Store, StoreReader
from navsearch.store.records import StoredChunk
from navsearch.lexicon import lexicon
from navsearch.terms import SCRIPTS, analyze, query_terms, script_of_query
from navsearch.types import MODES, Chunk, DocumentMeta, Filters, Grouping, Hit, Mode

CITED_SCORE = 1.0  # a cited unit's score: above any fused score (at most sum of weights / (rrf_k + 1))
MIN_RESIDUAL_TERMS = 2  # fewer words than this beside a citation: search near the cited unit instead
LOOKUP_MAX_WORDS = 4  # a query with more words than this beside its citations is a question, not a lookup


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    candidates: dict[str, int]  # how many candidates each retriever returned
    generation: int  # the vector index generation that answered
    # False: no cited unit was found and no hit reaches the relevance floor, so nothing in
    # the corpus is taken to be relevant (the hits are the nearest, all marked weak).
    relevant: bool = True
    relevance: float | None = None  # the best searched hit's relevance (see retrieval/relevance.py)
    floor: float = 0.0  # the floor it was compared with
    measure: str = ""  # what relevance measured for this query
    notes: tuple[str, ...] = ()
    cited: tuple[str, ...] = ()  # references recognised and found, as "typed -> citation"


ANSWER_PROBE = 3  # own-script passages of a CJK query judged to tell whether its language answers it


class Searcher:
    """Searches one catalog with one loaded index generation."""

    def __init__(
        self,
        catalog: Store,
        generation: Generation,
        embedder: Embedder,
        settings: RetrievalSettings,
        cross: CrossLanguageLeg | None = None,
        cross_note: str | None = None,
        vectors: QueryVectors | None = None,
    ) -> None:
        # Every read is bound to the generation: its hits, quotes and documents agree even
        # while an ingest changes the catalog (store/schema.py).
        self.catalog: StoreReader = catalog.view(generation.manifest.generation)
        self.generation = generation
        self.index: DenseIndex = generation.dense
        self.lexical: LexicalIndex = generation.lexical
        self.embedder = embedder
        self.settings = settings
        self.resolver = CitationResolver(self.catalog)
        self._type_rows: dict[str, np.ndarray] | None = None  # chunk rowids per document type, when weighed apart
        self.cross = cross  # the cross-language leg (retrieval/cross_language.py); None: not built
        self.cross_note = cross_note  # why it is missing, when it should be there
        self.vectors = vectors or QueryVectors(settings.query_cache_size)  # the service's, shared by generations
        # This generation's rows never change: what one search read serves the next (kept.py).
        self._kept_chunks: Kept[int, StoredChunk] = Kept(settings.kept_chunks)
        self._kept_docs: Kept[str, DocumentMeta] = Kept(settings.kept_documents)
        self._layout: Layout | None = None  # which document each chunk is of, read at the first search
        self._layout_lock = threading.Lock()
        self._cjk_rows: set[int] | None = None
        self.ann = AnnSearch(settings.hnsw_ef_search, settings.nprobe, settings.exact_filter_max, settings.hnsw_ef_per_million)

    def warm(self) -> None:
        """Read now what the first searches would otherwise read (the layout, every
        document's keys and provision paths for citations: seconds at 1M chunks)."""
        self.layout.owners([])
        self.resolver.warm()
        if self.settings.translation != "none" and self._mixed():
            lexicon()  # read once (a few seconds), not by the first cross-language search

    @property
    def layout(self) -> Layout:
        with self._layout_lock:  # read once, not by every search that starts before it is there
            if self._layout is None:
                self._layout = Layout(self.catalog.chunk_layout())
            return self._layout

    def _depth(self, k: int, filtered: bool) -> int:
        depth = max(self.settings.min_candidates, k * self.settings.overfetch)
        return depth * (2 if filtered else 1)

    def scored_rankings(self, query: str, filters: Filters, depth: int, without: np.ndarray | None = None) -> Legs:
        """What each retriever ranks, best first, leaving out the chunk rowids ``without``. The
        dense ranking is computed whatever the mode (relevance reads it) unless none reads it (legs.encodes)."""
        allowed = None if filters.is_empty() else self.catalog.allowed_ids(filters)
        if without is not None and len(without):
            allowed = np.setdiff1d(self.catalog.allowed_ids(filters) if allowed is None else allowed, without)
        words = WordLegs(query, allowed, depth, self.lexical, self.cross, self._texts, self.settings)
        read = encodes(query, self.settings, reads_cjk(self.embedder))
        vector = self.vectors.kept(query, self.embedder, self.settings) if read else None
        running = alongside(words.run) if self.settings.concurrent_legs and read and vector is None else None  # only an encoding hides them
        try:
            if read and vector is None:
                vector = self.vectors.vector(query, self.embedder, self.settings)  # long queries: retrieval/long_query.py
            dense = self.index.search(vector, depth, allowed, self.ann) if vector is not None else []
        finally:
            found = running.result() if running is not None else words.run()
        if script_of_query(query) == "latin" and not reads_cjk(self.embedder) and (foreign := self._foreign()):
            dense = [(r, c) for r, c in dense if r not in foreign]
        return Legs(dense, found.lexical, vector, found.across, found.within, found.translated)

    def _mixed(self) -> bool:
        """Whether passages of both scripts are here (a translation has something to find)."""
        rows = [self.lexical.script_rowids(s) for s in SCRIPTS]
        return all(r is not None and len(r) for r in rows)

    def _foreign(self) -> set[int]:
        """Rowids of the CJK-script passages, which the main encoder cannot read (set once)."""
        if self._cjk_rows is None:
            rows = self.cross.rows("cjk") if self.cross is not None else self.lexical.script_rowids("cjk")
            self._cjk_rows = set(rows.tolist()) if rows is not None else set()
        return self._cjk_rows

    def _texts(self, rowids: list[int]) -> dict[int, str]:
        """The text each chunk is indexed (and embedded) as."""
        return {r: s.chunk.embed_text for r, s in self._chunks(rowids).items()}

    def _chunks(self, rowids: Iterable[int]) -> dict[int, StoredChunk]:
        return self._kept_chunks.many(rowids, self.catalog.chunks_by_rowid)

    def _metas(self, doc_ids: Iterable[str]) -> dict[str, DocumentMeta]:
        return self._kept_docs.many(doc_ids, self.catalog.documents_meta)

    def rankings(self, query: str, filters: Filters, depth: int, mode: Mode) -> dict[str, list[int]]:
        return self.scored_rankings(query, filters, depth).rankings(mode)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: Filters | None = None,
        group: Grouping = "document",
        mode: Mode = "hybrid",
        like: str | None = None,
        collapse_families: bool = True,
        lookup: bool = True,
        syntax: bool = True,
    ) -> SearchResult:
        """Top ``k`` documents (or chunks) for a query; ``like`` a doc id: documents like it.

        >>> searcher.search("battery pack detaches at the hinge", k=3).hits[0].doc_id  # doctest: +SKIP
        'US5901035'
        """
        query = query.strip()
        if not query and not like:
            raise InvalidInput("query is empty")
        if k < 1:
            raise InvalidInput(f"k must be at least 1, got {k}")
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        filters = filters or Filters()
        # An idea or a claim is prose, not a query: its quotes and hyphens are no operators.
        parsed = parse_query(query) if syntax else ParsedQuery(text=query)
        notes: list[str] = []
        semantic = parsed.text
        skip_docs: set[str] = set()
        if like:
            like_meta, _, like_chunks = self.catalog.document(like)
            semantic = f"{like_text(like_meta, like_chunks)} {semantic}".strip()
            skip_docs = {like, *like_meta.family}
        refs = parse_references(parsed.text) if lookup else []
        units: list[CitedUnit] = []
        if refs:
            units = self._found(refs, filters, notes)
            words = len(query_terms(residual_text(parsed.text, refs)))
            if words > LOOKUP_MAX_WORDS:
                # A question that cites a unit in passing is searched as a whole: the passages
                # that mention the number match it too (on ObliQA dev, putting the cited rule
                # first cost 0.04 nDCG@10: benchmarks/reports/citation_lookup.md).
                if units:
                    notes.append("cited: " + "; ".join(sorted({u.ref.typed for u in units})) + " (navsearch show DOC PATH reads it)")
                units = []
            elif words < MIN_RESIDUAL_TERMS and units:
                semantic = ""  # a lookup: what is near the cited unit follows it (set once it is chosen)
        if not units and not semantic.strip():
            raise InvalidInput("the query has no words to search for (only excluded ones)")
        depth = self._depth(k, not filters.is_empty())
        fused, rel, candidates = self._fused(semantic, filters, depth, mode) if semantic else ([], None, {})
        chosen = self._choose(units, fused)
        # The cited unit's own passages in the order the rest of the query ranks them.
        order = {f.key: i for i, f in enumerate(fused)}
        # A document search lists each document once: a cited statute's other provisions
        # would crowd out every other document, so they leave the ranking.
        without = self._rowids_of({u.doc_id for u in chosen}) if group == "document" and chosen else None
        if not semantic or without is not None:
            semantic = semantic or self._unit_text(chosen[0])
            fused, rel, candidates = self._fused(semantic, filters, depth, mode, without)
        assert rel is not None
        owners = self.layout.owners([f.key for f in fused])
        pinned = self._pinned(chosen, group, order)
        pinned_docs = {h.doc_id for h in pinned}
        pinned_chunks = {p.chunk_id for h in pinned for p in h.passages}
        fused = self._constrained(fused, owners, parsed, skip_docs, pinned_docs if group == "document" else set(), pinned_chunks)
        if group == "chunk":
            found = self._hits([([(f, owners[f.key])], []) for f in fused[: max(0, k - len(pinned))]], rel, whole=True)
        else:
            found = self._group(fused, owners, k - len(pinned), rel, collapse_families)
        hits = (pinned + found)[:k]
        best = max((h.relevance for h in found), default=None)
        relevant = bool(pinned) or (best is not None and best >= rel.floor)
        if not relevant:
            # Every document's language is read only when the note can use it (all metadata: slow at scale).
            reads_others = self.cross is not None or self.settings.translation != "none"
            languages = [m.language for m in self.resolver.docs.values()] if rel.cjk and not reads_others else []
            notes.append(nothing_note(rel, best, filters.is_empty(), languages))
        if self.cross_note:
            notes.append(self.cross_note)
        return SearchResult(
            hits=hits,
            candidates=candidates,
            generation=self.index.manifest.generation,
            relevant=relevant,
            relevance=best,
            floor=rel.floor,
            measure=rel.measure,
            notes=tuple(notes),
            cited=tuple(f"{u.ref.typed} -> {h.passages[0].citation if h.passages else h.doc_id}" for u, h in zip(chosen, pinned)),
        )

    # --- fused ranking ---------------------------------------------------------------------
    def _fused(
        self, query: str, filters: Filters, depth: int, mode: Mode, without: np.ndarray | None = None
    ) -> tuple[list[Fused], QueryRelevance, dict[str, int]]:
        legs = self.scored_rankings(query, filters, depth, without)
        rankings = legs.rankings(mode)
        rel = judge(query, self.lexical, legs, self.settings, "dense" in rankings, self._foreign() if getattr(self.embedder, "gloss", "") else ())
        named = named_jurisdictions(query)
        deferred = self._elsewhere(named, rankings) if named else set()
        answered = bool(legs.across or legs.translated) and self._answered(legs, rel, deferred)
        weights = leg_weights(query, self.settings, answered, reads_cjk(self.embedder))
        by_type = {"dense": self._weights_by_type(rankings["dense"])} if "dense" in rankings and weights["dense"] else {}
        if deferred:  # other jurisdictions' statutes and policies keep a share of each weight
            share = self.settings.answered_other_script_share
            for name, ranking in rankings.items():
                own = by_type.setdefault(name, {})
                own.update((r, own.get(r, weights[name]) * share) for r in ranking if r in deferred)
        fused = rrf(rankings, k=self.settings.rrf_k, weights=weights, key_weights=by_type)
        fused = [f for f in fused if f.score > 0]  # candidates only a zero-weight retriever found
        if self.settings.rerank == "proximity" and fused:
            terms = lexical_terms(query, self.lexical, self.settings.max_query_terms)
            idf = dict(zip(terms, self.lexical.idf(terms)))
            texts = self._texts([f.key for f in fused[: self.settings.rerank_depth]])
            fused = rerank(fused, texts, idf, depth=self.settings.rerank_depth, rrf_k=self.settings.rrf_k, weight=self.settings.lexical_weight)
        return fused, rel, {n: len(r) for n, r in rankings.items()}

    def _elsewhere(self, named: frozenset[str], rankings: dict[str, list[int]]) -> set[int]:
        """Candidates in statutes and policies of other jurisdictions than the query names."""
        owners = self.layout.owners(list({r for ranking in rankings.values() for r in ranking}))
        metas = self._metas({o.doc_id for o in owners.values()})
        return elsewhere(named, {r: (metas[o.doc_id].doc_type, metas[o.doc_id].jurisdiction) for r, o in owners.items() if o.doc_id in metas})

    def _answered(self, legs: Legs, rel: QueryRelevance, deferred: set[int]) -> bool:
        """Whether a passage in the query's own script, and of a jurisdiction it names if it
        names one, is relevant: the best cosine of the main encoder, or for a CJK query the
        relevance of its first lexical and multilingual own-script hits (judged by the
        multilingual cosine too: by its words alone, Chinese clause questions lost their
        article to English documents: benchmarks/reports/cross_language.md)."""
        if not rel.cjk:
            # The main encoder reads the other script's passages too when it reads their gloss
            # (embedding/gloss.py): the own script answers when its best passage is relevant
            # and the other script's best (by the same encoder) is not nearer.
            foreign = self._foreign()
            own = max((c for r, c in legs.dense if r not in deferred and r not in foreign), default=-1.0)
            other = max((c for r, c in legs.dense if r in foreign), default=-1.0)
            return own >= rel.floor and own >= other
        foreign = deferred.union(r for r, _ in legs.across).union(legs.translated.rows if legs.translated else ())
        own = [r for r, _ in legs.lexical if r not in foreign][:ANSWER_PROBE]
        own += [r for r, _ in legs.within if r not in deferred][:ANSWER_PROBE]
        texts = self._texts(own)
        return any(rel.of(r, texts[r]) >= rel.floor for r in own if r in texts)

    def _weights_by_type(self, rowids: list[int]) -> dict[int, float]:
        """Dense weight of each candidate by its document's type (settings.dense_weight_by_type)."""
        if not self.settings.dense_weight_by_type:
            return {}
        if self._type_rows is None:
            self._type_rows = {t: self.catalog.allowed_ids(Filters(doc_types=(t,))) for t in self.settings.dense_weight_by_type}  # type: ignore[arg-type]
        ids = np.asarray(rowids, dtype=np.int64)
        out: dict[int, float] = {}
        for t, rows in self._type_rows.items():
            w = self.settings.dense_weight_by_type[t]
            out.update((int(r), w) for r in ids[np.isin(ids, rows)])
        return out

    def _constrained(
        self,
        fused: list[Fused],
        owners: dict[int, Owner],
        parsed: ParsedQuery,
        skip_docs: set[str],
        pinned_docs: set[str],
        pinned_chunks: set[str],
    ) -> list[Fused]:
        """The fused candidates the query's operators and the cited units leave. An excluded
        word removes a whole patent (its title, abstract and claims are one invention) but
        only the passages of other documents (a statute mentions everything somewhere)."""
        banned = set(skip_docs) | pinned_docs
        # The candidates' rows are read only when the operators or a cited unit need them.
        reads = parsed.excluded or parsed.constrained or parsed.phrases or pinned_chunks
        rows = self._chunks([f.key for f in fused]) if reads else {}
        if parsed.excluded:
            for f in fused:
                owner = owners.get(f.key)
                if owner is None or owner.doc_id in banned or f.key not in rows:
                    continue
                text = rows[f.key].chunk.embed_text
                terms = set(analyze(text))
                if any(contains(e, text, terms) for e in parsed.excluded) and self._is_patent(owner.doc_id):
                    banned.add(owner.doc_id)
        out = []
        lift = fused[0].score if fused else 0.0
        for f in fused:
            owner = owners.get(f.key)
            if owner is None or owner.doc_id in banned or (reads and f.key not in rows):
                continue
            if pinned_chunks and rows[f.key].chunk.chunk_id in pinned_chunks:
                continue
            if parsed.constrained and not passage_matches(parsed, rows[f.key].chunk.embed_text):
                continue
            if parsed.phrases and holds_phrases(parsed, rows[f.key].chunk.embed_text):
                # A quoted phrase ranks the passages that hold it first, and the others follow
                # (as a hard filter it cost ObliQA dev questions that quote a defined term
                # 0.11 recall@100; ranking first gained nDCG@10).
                f = Fused(f.key, f.score + lift, f.ranks)
            out.append(f)
        return sorted(out, key=lambda f: -f.score) if parsed.phrases else out

    def _is_patent(self, doc_id: str) -> bool:
        return self.layout.doc(doc_id).doc_type == "patent"

    def _group(self, fused: list[Fused], owners: dict[int, Owner], k: int, rel: QueryRelevance, collapse: bool) -> list[Hit]:
        if k <= 0:
            return []
        per_doc: dict[str, list[tuple[Fused, Owner]]] = {}
        for f in fused:
            if (owner := owners.get(f.key)) is not None:
                per_doc.setdefault(owner.doc_id, []).append((f, owner))
        # Fused is sorted best first, so each document's first passage is its best; the
        # document ranks by that best passage.
        ranked = sorted(per_doc.values(), key=lambda items: -items[0][0].score)
        if not collapse:
            return self._hits([(items, []) for items in ranked[:k]], rel)
        families = family_groups(ranked, lambda items: items[0][1].doc_id, self.layout.docs_of(per_doc))[:k]
        return self._hits([(family[0], [items[0][1].doc_id for items in family]) for family in families], rel)

    def _hits(self, picks: list[tuple[list[tuple[Fused, Owner]], list[str]]], rel: QueryRelevance, whole: bool = False) -> list[Hit]:
        """A hit for each (document's candidates best first, its family group's doc ids): the
        rows of the passages shown (all of them when ``whole``) and the documents' metadata
        are read here, for these only."""
        shown = [(items, items if whole else self._passages_of(items), family) for items, family in picks]
        rowids = {o.rowid for items, passages, _ in shown for _, o in [items[0], *passages]}
        rows = self._chunks(rowids)
        if missing := rel.missing(list(rowids)):  # cosines of the passages shown, the dense list did not reach
            rel.add_vectors(self.catalog.vectors_by_rowid(missing, self.embedder.dimension))
        metas = self._metas(items[0][1].doc_id for items, _, _ in shown)
        hits = []
        for items, passages, family in shown:
            best = items[0]
            if best[1].rowid not in rows or best[1].doc_id not in metas:
                continue  # not in this generation's rows: cannot happen while it is loaded
            hit = self._hit(metas, [(f, rows[o.rowid]) for f, o in passages if o.rowid in rows], rel, best=(best[0], rows[best[1].rowid]))
            members = [m for m in family_members(family, self.layout.docs_of(family)) if m != hit.doc_id]
            hits.append(replace(hit, family_members=tuple(members)) if members else hit)
        return hits if whole else in_view(hits, rel.floor)

    def _passages_of(self, items: list[tuple[Fused, Owner]]) -> list[tuple[Fused, Owner]]:
        """A document's passages to show, best first. Its title chunk ranks the document but
        is not shown beside other passages: the hit shows the title already, and the slot
        goes to a provision (the circular's title outranked the clause a question needed)."""
        shown = [it for it in items if it[1].kind != "title"] or items
        return shown[: self._shown(self.layout.doc(items[0][1].doc_id).doc_type)]

    def _shown(self, doc_type: str) -> int:
        """Passages shown for a document: a patent is one invention, a policy or statute
        many provisions, and the one a question needs is often a sibling of the best."""
        return self.settings.passages_per_hit if doc_type == "patent" else self.settings.provisions_per_hit

    def _hit(
        self,
        metas: dict[str, DocumentMeta],
        items: list[tuple[Fused, StoredChunk]],
        rel: QueryRelevance,
        best: tuple[Fused, StoredChunk] | None = None,
    ) -> Hit:
        """A hit showing ``items``; ``best``: the passage that ranked the document, when it
        is not shown (a title), still gives the hit its score and counts for its relevance."""
        meta = metas[items[0][1].chunk.doc_id]
        passages = tuple(
            passage(meta, s.chunk, f.score, f.ranks.get("dense"), f.ranks.get("lexical"), rel.of(s.rowid, s.chunk.embed_text))
            for f, s in items
        )
        best = best or items[0]
        relevance = max([p.relevance for p in passages if p.relevance is not None] + [rel.of(best[1].rowid, best[1].chunk.embed_text)])
        return hit_of(meta, passages, best[0].score, relevance, weak=relevance < rel.floor)

    # --- cited units -------------------------------------------------------------------------
    def _found(self, refs: list, filters: Filters, notes: list[str]) -> list[CitedUnit]:  # type: ignore[type-arg]
        units = [u for r in refs for u in self.resolver.resolve(r)]
        if units and not filters.is_empty():
            passing = self.catalog.documents_matching([u.doc_id for u in units], filters)
            units = [u for u in units if u.doc_id in passing]
        for r in refs:
            if not any(u.ref is r for u in units):
                where = "in the documents the filters leave" if not filters.is_empty() else "in the corpus"
                notes.append(f"{r.typed!r}: no such document or provision {where}")
        notes += sorted({u.via for u in units if u.via})
        return units

    def _choose(self, units: list[CitedUnit], fused: list[Fused]) -> list[CitedUnit]:
        """One document per reference when it names one; when several documents have the
        cited number (rule 4.1.1 is in many rulebooks, article 24 in a law and its rules),
        those the rest of the query also finds come first, in its order."""
        if not units:
            return []
        doc_rank: dict[str, int] = {}
        if fused:
            owners = self.layout.owners([f.key for f in fused])
            for i, f in enumerate(fused):
                if f.key in owners:
                    doc_rank.setdefault(owners[f.key].doc_id, i)
        chosen: list[CitedUnit] = []
        by_ref: dict[int, list[CitedUnit]] = {}
        for u in units:
            by_ref.setdefault(id(u.ref), []).append(u)
        for group in by_ref.values():
            if len(group) > 1 and any(u.doc_id in doc_rank for u in group):
                group = sorted((u for u in group if u.doc_id in doc_rank), key=lambda u: doc_rank[u.doc_id])
            chosen += group[: self.settings.max_cited_documents]
        seen: set[tuple[str, tuple[int, ...]]] = set()
        return [u for u in chosen if not ((u.doc_id, u.rowids) in seen or seen.add((u.doc_id, u.rowids)))]  # type: ignore[func-returns-value]

    def _rowids_of(self, doc_ids: set[str]) -> np.ndarray | None:
        """Chunk rowids of the cited documents that are not patents (a patent's few chunks
        leave the document ranking as it is grouped)."""
        rowids = [r for r, d, _ in self.resolver.provisions_of(doc_ids)]
        return np.asarray(rowids, dtype=np.int64) if rowids else None

    def _unit_chunks(self, unit: CitedUnit, order: dict[int, int] | None = None) -> tuple[DocumentMeta, list[Chunk]]:
        if unit.rowids:
            stored = self._chunks(unit.rowids)
            meta = self._metas([unit.doc_id])[unit.doc_id]
            ranked = sorted(stored, key=lambda r: ((order or {}).get(r, len(order or {})), r))
            return meta, [stored[r].chunk for r in ranked]
        meta, _, chunks = self.catalog.document(unit.doc_id)
        return meta, chunks

    def _unit_text(self, unit: CitedUnit) -> str:
        meta, chunks = self._unit_chunks(unit)
        return like_text(meta, chunks)

    def _pinned(self, units: list[CitedUnit], group: Grouping, order: dict[int, int]) -> list[Hit]:
        hits: list[Hit] = []
        for unit in units:
            meta, chunks = self._unit_chunks(unit, order)
            if not chunks:
                continue
            n = self._shown(meta.doc_type)
            passages = [passage(meta, c, CITED_SCORE, None, None, 1.0) for c in chunks]
            if group == "chunk":
                hits += [hit_of(meta, (p,), CITED_SCORE, 1.0, cited=True) for p in passages]
            else:
                hits.append(hit_of(meta, tuple(passages[:n]), CITED_SCORE, 1.0, cited=True, more=len(passages) - n))
        return hits
