"""Settings of search, prior art and answers: depths, weights, floors and thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator


class RetrievalSettings(BaseModel):
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(
        0.7, ge=0.0, description="Weight of the dense ranking in RRF (tuned on both dev sets: benchmarks/reports/fusion.md)."
    )
    lexical_weight: float = Field(1.0, ge=0.0, description="Weight of the BM25 ranking in RRF.")
    cjk_dense_weight: float = Field(
        0.0,
        ge=0.0,
        description=(
            "Dense weight for queries written mostly in Chinese/Japanese characters, when the main encoder "
            "reads them: a multilingual one, or an English-only one through their dictionary gloss "
            "(embedding.gloss_chinese); otherwise its ranking of them is noise and weighs 0 whatever this says. "
            "0 by default: at 0.35 the Chinese clause questions gained (top-5 0.842 -> 0.947) but a question on "
            "compulsory licences lost its article from the answer's sources (tests/test_honest_search.py); "
            "benchmarks/reports/ablation.md. Raise it for a multilingual model."
        ),
    )
    cross_language_weight: float = Field(
        1.7,
        ge=0.0,
        description=(
            "Weight in RRF of the cross-language ranking for passages in the other script than the query's. The "
            "default is the dense and lexical weights together: it is the only ranking that can see such a "
            "passage, where a same-script passage can be voted for by both. A CJK query's ranking also covers "
            "its own script's passages, which count at dense_weight (benchmarks/reports/cross_language.md)."
        ),
    )
    cross_language_floor: float = Field(
        0.81,
        ge=-1.0,
        le=1.0,
        description=(
            "For a query in Latin script: the multilingual encoder's (multilingual-e5-small) cosine below which a "
            "passage in a CJK language is left out of the cross-language ranking, and the floor its relevance is "
            "judged against. e5 puts unrelated text near 0.75, so without it every English question would bring "
            "the nearest Chinese articles along. Calibrated by benchmarks/cross_language.py: the lowest floor "
            "letting at most 5% of the written off-corpus English questions through."
        ),
    )
    cjk_cross_language_floor: float = Field(
        0.89,
        ge=-1.0,
        le=1.0,
        description=(
            "For a query mostly in CJK characters: the e5 cosine from which a passage counts as relevant (its "
            "ranking is not cut: it is that query's semantic ranking). Calibrated like cross_language_floor on "
            "the off-corpus Chinese questions (e5's same-language cosines run higher)."
        ),
    )
    translation: Literal["cedict", "none"] = Field(
        "cedict",
        description=(
            "Dictionary translation of the query for the lexical side of cross-language search "
            "(navsearch/lexicon.py): a Chinese query's words by their English senses among the English "
            "passages, an English query's words and phrases by their Chinese headwords among the Chinese "
            "passages, from CC-CEDICT. 'none': no translated ranking."
        ),
    )
    translated_weight: float = Field(
        1.0,
        ge=0.0,
        description=(
            "Weight in RRF of the translated query's BM25 ranking of the passages in the other script "
            "(benchmarks/reports/cross_language.md)."
        ),
    )
    answered_other_script_share: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description=(
            "When the query's own language already holds a relevant passage (the best main-encoder cosine, or a "
            "CJK query's best term coverage, at or above its relevance floor), the share of cross_language_weight "
            "and translated_weight the other script's rankings keep. A question answered in its own language "
            "(a Chinese question on the Chinese Patent Law) keeps that answer first; one its language does not "
            "answer (a Chinese question on an English circular) lets the other language lead "
            "(benchmarks/reports/cross_language.md)."
        ),
    )
    gloss_floor: float = Field(
        0.42,
        ge=-1.0,
        le=1.0,
        description=(
            "For a query in Latin script: the main encoder's cosine from which a passage it read through "
            "its gloss (a Chinese one: embedding.gloss_chinese) counts as relevant; a glossed passage's "
            "cosine runs lower than an English one's. Calibrated by benchmarks/cross_language.py: the "
            "lowest floor letting at most 5% of the written off-corpus English questions through."
        ),
    )
    translated_floor: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description=(
            "Share of the translated query's words (weighted by rarity) a passage in the other script must "
            "hold to count as relevant by translation. Calibrated by benchmarks/cross_language.py: the lowest "
            "floor letting at most 5% of the written off-corpus questions through."
        ),
    )
    overfetch: int = Field(
        8, ge=1, le=100, description="Candidates fetched per retriever = k x overfetch (more when filtering)."
    )
    min_candidates: int = Field(100, ge=1, description="Lower bound on candidates per retriever.")
    ann_threshold: int = Field(
        20_000,
        ge=1,
        description=(
            "Vectors from which the FAISS index is an HNSW graph (approximate) instead of exact flat search: "
            "a flat scan grows by ~0.22 ms per 1,000 vectors on 2 AVX2 cores (benchmarks/reports/speed.md)."
        ),
    )
    hnsw_m: int = Field(32, ge=4, le=128, description="HNSW: links per node (recall and memory against build time).")
    hnsw_ef_construction: int = Field(
        80, ge=16, le=1024, description="HNSW: candidates kept while inserting a vector (graph quality against build time)."
    )
    hnsw_ef_search: int = Field(
        256,
        ge=16,
        le=4096,
        description=(
            "HNSW: candidates kept while searching; raised by the inverse of the allowed share under a filter. "
            "Chosen for dense recall@10 >= 0.98 against exact search (benchmarks/reports/speed.md)."
        ),
    )
    hnsw_ef_per_million: int = Field(
        2048,
        ge=0,
        le=4096,
        description=(
            "HNSW: efSearch is at least this many per million vectors in the index: a graph's recall at a fixed "
            "efSearch falls as it grows (1M clustered chunks: recall@10 0.89 at 256, 0.99 at 2048 for 6.8 ms; "
            "benchmarks/reports/speed.md). Below ~125k vectors hnsw_ef_search decides."
        ),
    )
    exact_filter_max: int = Field(
        32_768,
        ge=0,
        description=(
            "A filter leaving at most this many vectors is searched exactly over them (~8 ms at the maximum) "
            "instead of through the graph, whose recall falls as the allowed share shrinks."
        ),
    )
    nprobe: int = Field(32, ge=1, description="IVF lists visited per query, for IVF generations written by earlier versions.")
    concurrent_legs: bool = Field(
        True,
        description=(
            "Run the word-matching legs (BM25, the translation, the multilingual encoder) in a worker thread "
            "while the main encoder reads the query: encoding is most of a first-time search and releases "
            "the interpreter, so their time is hidden (benchmarks/reports/speed.md)."
        ),
    )
    query_cache_size: int = Field(
        512,
        ge=0,
        description=(
            "Query vectors kept, most recently used first: encoding is most of a search's time (a paragraph "
            "~35 ms on 2 AVX2 cores), and the same idea is searched again with other filters, k or pages."
        ),
    )
    kept_documents: int = Field(
        20_000, ge=0, description="Documents' metadata a loaded generation's searcher keeps in memory (least recently used out)."
    )
    kept_chunks: int = Field(
        10_000, ge=0, description="Chunks (with their text) a loaded generation's searcher keeps in memory (least recently used out)."
    )
    passages_per_hit: int = Field(3, ge=1, le=20, description="Best passages kept per patent (and per document of no provisions).")
    provisions_per_hit: int = Field(
        5,
        ge=1,
        le=20,
        description=(
            "Best passages kept per policy or statute document. Its provisions answer different questions, so "
            "the one a question needs is often a sibling of the best-scoring one (the cultivation stage of the "
            "navigation pilot under its summarizing stage): benchmarks/reports/clause_questions.md."
        ),
    )
    relevance_floor: float = Field(
        0.52,
        ge=-1.0,
        le=1.0,
        description=(
            "Cosine of query and passage below which a hit is weak, and a search whose best hit is "
            "below it says nothing in the corpus is relevant (queries in Latin script). Calibrated by "
            "benchmarks/relevance_floor.py (benchmarks/reports/relevance_floor.md)."
        ),
    )
    cjk_relevance_floor: float = Field(
        0.30,
        ge=0.0,
        le=1.0,
        description=(
            "For queries mostly in Chinese/Japanese characters, which the English-only model cannot "
            "read: the idf-weighted share of the query's terms a passage must hold to be relevant. "
            "Calibrated with relevance_floor."
        ),
    )
    max_cited_documents: int = Field(
        3, ge=1, le=20, description="Most documents one cited number (e.g. an article number several laws have) puts first."
    )
    # --- long queries (a whole claim set, a case description): docs/DESIGN.md "Long queries"
    long_query_dense: Literal["head", "windows"] = Field(
        "head",
        description=(
            "How the dense leg reads a query longer than the encoder's window: 'head' embeds the first window "
            "(what the encoder's truncation did); 'windows' embeds it window by window and searches with the "
            "normalised mean. On PatSnap dev (11 queries over the window) windows cost 0.0034 nDCG@10: "
            "benchmarks/reports/ablation_ranking.md."
        ),
    )
    max_query_windows: int = Field(
        8, ge=1, le=256, description="Most encoder windows of one long query embedded (the rest of the text is read by BM25 only)."
    )
    max_query_terms: int = Field(
        64,
        ge=1,
        le=4096,
        description=(
            "Most distinct terms the BM25 leg searches with; a query with more keeps its most informative "
            "ones (tf x idf in this index)."
        ),
    )
    # --- ranking ablations (issue 13): each measured in benchmarks/reports/ablation_ranking.md
    prf: bool = Field(
        False,
        description=(
            "RM3 pseudo-relevance feedback on the BM25 leg: the query is expanded with terms of the top "
            "lexical passages (Anserini's defaults below, not tuned here)."
        ),
    )
    prf_docs: int = Field(10, ge=1, le=100, description="RM3: feedback passages (the first BM25 results).")
    prf_terms: int = Field(10, ge=1, le=100, description="RM3: expansion terms kept.")
    prf_original_weight: float = Field(0.5, ge=0.0, le=1.0, description="RM3: weight of the original query against the expansion.")
    prf_max_df_share: float = Field(
        0.1, gt=0.0, le=1.0, description="RM3: terms in more than this share of the chunks are not expansion terms (Anserini's filter)."
    )
    dense_weight_by_type: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Dense RRF weight per document type of the candidate (e.g. {\"patent\": 1.0, \"policy\": 0.5}); "
            "types not named use dense_weight. Empty: one weight for all."
        ),
    )
    rerank: Literal["none", "proximity"] = Field(
        "none",
        description=(
            "Second stage over the fused top rerank_depth passages: 'proximity' adds a third RRF ranking by "
            "how close together the query's terms occur in each passage."
        ),
    )
    rerank_depth: int = Field(50, ge=1, le=1000, description="Fused passages the second stage re-scores.")


class PriorArtSettings(BaseModel):
    disclosed_threshold: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description=(
            "Cosine (element vs quoted sentence) from which an element counts as disclosed. Checked "
            "on a proxy (benchmarks/reports/priorart_thresholds.md): 85% of claim elements reach it "
            "in their own specification, 0.3% in an unrelated patent."
        ),
    )
    partly_threshold: float = Field(
        0.45,
        ge=0.0,
        le=1.0,
        description="Cosine from which an element counts as partly disclosed (proxy: 98.7% / 4.7%).",
    )
    max_elements: int = Field(12, ge=1, le=50, description="Most elements an idea may be split into.")
    max_idea_chars: int = Field(6000, ge=100, description="Longest accepted idea text.")
    max_element_chars: int = Field(1000, ge=10, description="Longest accepted element, when the user gives the elements.")
    max_k: int = Field(50, ge=1, le=1000, description="Most references (patent families) one prior-art search may ask for.")
    candidate_factor: int = Field(4, ge=1, le=20, description="Documents fetched per reference returned, before family collapse.")
    policy_k: int = Field(5, ge=0, description="Policy and statute clauses returned with the prior art, unless the request says.")
    max_policy_k: int = Field(50, ge=0, le=1000, description="Most policy and statute clauses one request may ask for.")
    min_eligible_patents: int = Field(
        100,
        ge=0,
        description=(
            "Fewest patents that must pass a date cutoff (and the other filters) for the workbench to list "
            "candidate points of novelty: absence of art from a near-empty set proves nothing."
        ),
    )
    max_undated_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Largest share of patents lacking the cutoff's date (a PatSnap export has no priority dates) "
            "for which the workbench still makes a novelty call; above it, it says to cut on another date."
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> "PriorArtSettings":
        if self.partly_threshold > self.disclosed_threshold:
            raise ValueError(
                f"partly_threshold ({self.partly_threshold}) must not exceed disclosed_threshold "
                f"({self.disclosed_threshold})"
            )
        if self.policy_k > self.max_policy_k:
            raise ValueError(f"policy_k ({self.policy_k}) must not exceed max_policy_k ({self.max_policy_k})")
        return self


class AnswerSettings(BaseModel):
    refusal_threshold: float = Field(
        0.42,
        ge=0.0,
        le=1.0,
        description=(
            "Evidence score (see navsearch/answer/extractive.py) below which /ask says the corpus "
            "does not cover the question. Calibrated by benchmarks/ask_calibration.py on 52 written "
            "questions and 300 ObliQA dev questions (benchmarks/reports/ask_calibration.md)."
        ),
    )
    chunks: int = Field(
        10,
        ge=1,
        le=50,
        description=(
            "Retrieved passages the answer is picked from (10, up from 6, measured with the other /ask changes in "
            "benchmarks/reports/ask_calibration_honest.md; the main article on compulsory licences, "
            "专利法第五十三条, ranks 9th for its question)."
        ),
    )
    max_sentences: int = Field(3, ge=1, le=10, description="Most sentences quoted in an extractive answer.")
    margin: float = Field(0.08, ge=0.0, le=1.0, description="Sentences within this score of the best are quoted too.")
    generic_term_share: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description=(
            "A question's word held by more than this share of the chunks (\"patent\" in a patent corpus) is not "
            "its subject: an answer is given only when a quote (with its heading) shares a subject word."
        ),
    )
    max_provision_chars: int = Field(
        1500,
        ge=100,
        description=(
            "Longest lead-in with its enumerated items ((a)-(f), （一）-（四）) quoted whole; a longer one is "
            "quoted as the lead-in and the matching items."
        ),
    )
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) for generated answers; None: extractive only."
    )
    llm_model: str = Field("local", description="Model name sent to the endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="Bearer key for the endpoint, if it needs one.")
    llm_timeout_s: float = Field(30.0, gt=0, le=600, description="Give up on the endpoint after this long and answer extractively.")
    llm_max_tokens: int = Field(400, ge=16, le=4096, description="Longest generated answer.")
    llm_system_role: bool = Field(
        True,
        description=(
            "Send the answering rules as a system message; false puts them at the top of the user "
            "turn, for chat templates without a system role (Gemma's drops it)."
        ),
    )
