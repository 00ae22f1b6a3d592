"""Labelled pairs from BEIR-format files (queries.jsonl + a qrels tsv: query-id, corpus-id,
score), e.g. a firm's own citation data. A corpus id is a navsearch document id or a
passage (chunk) id; for a document of several passages the one sharing most of the
query's terms is its positive."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from navsearch.errors import InvalidInput
from navsearch.eval.runner import load_query_set
from navsearch.store.reads import CorpusChunk
from navsearch.terms import analyze, query_terms
from navsearch.tune.pairs import TrainingPair


@dataclass(frozen=True)
class QrelsSource:
    """What labelled data a tuning read: the files' names and hashes, and what resolved."""

    qrels_file: str
    qrels_sha256: str
    queries_file: str
    queries_sha256: str
    judgements: int  # positive (score > 0) query/corpus-id lines
    pairs: int  # those whose corpus id is in this index
    unresolved: int


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _best_passage(query: str, parts: Sequence[CorpusChunk]) -> CorpusChunk:
    if len(parts) == 1:
        return parts[0]
    wanted = set(query_terms(query))
    return max(parts, key=lambda c: len(wanted.intersection(analyze(c.text))))


def qrels_pairs(queries: Path, qrels: Path, chunks: Sequence[CorpusChunk]) -> tuple[list[TrainingPair], QrelsSource]:
    """One pair per positive judgement whose corpus id this index holds. Refused, naming
    the file, when a file is missing or malformed or none of its ids is in the index."""
    for path, what in ((queries, "queries"), (qrels, "qrels")):
        if not path.is_file():
            raise InvalidInput(f"{what} file {path} does not exist")
    try:
        qs = load_query_set(queries, qrels)  # names the file and line of a malformed one
    except (ValueError, UnicodeDecodeError) as exc:  # a score that is not a number, a binary file
        raise InvalidInput(f"{qrels} or {queries} is not a BEIR qrels/queries file: {exc}") from exc
    by_chunk = {c.chunk_id: c for c in chunks}
    by_doc: dict[str, list[CorpusChunk]] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    pairs, judged, missing = [], 0, []
    for qid, relevant in qs.qrels.items():
        query = str(qs.queries[qid]["text"]).strip()
        resolved: list[CorpusChunk] = []
        for corpus_id, score in relevant.items():
            if score <= 0:
                continue
            judged += 1
            if corpus_id in by_chunk:
                resolved.append(by_chunk[corpus_id])
            elif corpus_id in by_doc:
                resolved.append(_best_passage(query, by_doc[corpus_id]))
            else:
                missing.append(corpus_id)
        exclude = frozenset(c.doc_id for c in resolved)
        pairs += [TrainingPair("qrels", query, c.text, c.doc_id, exclude) for c in resolved if query]
    if judged == 0:
        raise InvalidInput(f"{qrels}: no judgement with a score above 0")
    if not pairs:
        raise InvalidInput(
            f"{qrels}: none of its {judged} judged corpus ids is a document or passage id of this index "
            f"(e.g. {missing[0]!r}); were the judgements made on another corpus?"
        )
    source = QrelsSource(qrels.name, _sha256(qrels), queries.name, _sha256(queries), judged, len(pairs), len(missing))
    return pairs, source
