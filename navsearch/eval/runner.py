"""Run a BEIR-style query set (queries.jsonl + qrels.tsv) against an index, per mode.

Optional inputs: per-query exclusions (``{"query-id", "exclude": [...]}`` lines: e.g. the
query patent itself and its family) and per-query date cutoffs (a field of the query,
e.g. ``application_date``: only documents dated before it count as prior art).

Evaluation is a local batch job: queries of any length are ranked (the API's query
limit does not apply; retrieval/long_query.py says what each leg reads of a long one),
and a query that cannot be ranked (no text, no words left after parsing, a missing
cutoff date) is reported with its reason, left out of the means, and the run goes on.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any


from navsearch.errors import InvalidInput
from navsearch.eval.metrics import score_run
from navsearch.progress import track
from navsearch.types import Filters

# (query text, depth, filters, mode) -> document ids, best first.
Rank = Callable[[str, int, Filters, str], list[str]]


@dataclass
class QuerySet:
    queries: dict[str, dict[str, Any]]
    qrels: dict[str, dict[str, int]]
    exclude: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class ModeRun:
    """One mode's rankings, per-query latencies (ms) and the queries that failed (id -> why)."""

    run: dict[str, list[str]]
    latencies: list[float]
    failed: dict[str, str]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: line {n}: invalid JSON: {exc.msg}") from exc
    return rows


def load_query_set(queries: Path, qrels: Path, exclude: Path | None = None) -> QuerySet:
    qs = {}
    for row in _jsonl(queries):
        if "_id" not in row:
            raise InvalidInput(f"{queries}: every query needs '_id' and 'text', got keys {sorted(row)}")
        qs[str(row["_id"])] = row  # a missing or non-text 'text' fails that query alone, when it is run
    judged: dict[str, dict[str, int]] = {}
    with qrels.open(encoding="utf-8") as fh:
        for n, rec in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if n == 1 and rec and rec[0] == "query-id":
                continue
            if len(rec) != 3:
                raise InvalidInput(f"{qrels}: line {n}: expected query-id, corpus-id, score")
            judged.setdefault(rec[0], {})[rec[1]] = int(rec[2])
    unknown = sorted(set(judged) - set(qs))
    if unknown:
        raise InvalidInput(f"{qrels}: {len(unknown)} judged queries are not in {queries}, e.g. {unknown[0]}")
    excl = {}
    if exclude:
        for row in _jsonl(exclude):
            excl[str(row["query-id"])] = set(map(str, row.get("exclude", [])))
    return QuerySet({q: qs[q] for q in judged}, judged, excl)


def run_mode(
    rank: Rank,
    qs: QuerySet,
    *,
    mode: str,
    depth: int = 100,
    cutoff_field: str | None = None,
    filters: Filters | None = None,
    progress: bool = True,
) -> ModeRun:
    """Rank documents for every query; a query that fails is recorded in ``failed``."""
    base = filters or Filters()
    out = ModeRun({}, [], {})
    for qid, q in track(qs.queries.items(), desc=f"eval {mode}", unit="query", enabled=progress):
        try:
            f = _query_filters(q, qid, base, cutoff_field)
            text = q.get("text")
            if not isinstance(text, str):
                raise InvalidInput(f"'text' is {type(text).__name__}, not a string")
            excluded = qs.exclude.get(qid, set())
            t0 = time.perf_counter()
            # Over-fetch by the number of exclusions so the ranking stays ``depth`` deep.
            ranked = rank(text, min(100, depth + len(excluded)), f, mode)
        except InvalidInput as exc:  # this query's fault; anything else is the index's or ours
            out.failed[qid] = str(exc)
            continue
        out.latencies.append((time.perf_counter() - t0) * 1000)
        out.run[qid] = [d for d in ranked if d not in excluded][:depth]
    return out


def _query_filters(q: dict[str, Any], qid: str, base: Filters, cutoff_field: str | None) -> Filters:
    if not cutoff_field:
        return base
    value = q.get(cutoff_field)
    if not value:
        raise InvalidInput(f"query {qid} has no {cutoff_field!r} for the date cutoff")
    try:
        day = date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"query {qid}: {cutoff_field!r} is not a date: {value!r}") from exc
    # Prior art must be published strictly before the cutoff date.
    return replace(base, date_to=day - timedelta(days=1))


def evaluate(
    rank: Rank,
    qs: QuerySet,
    *,
    modes: Sequence[str] = ("lexical", "dense", "hybrid"),
    cutoff_field: str | None = None,
    filters: Filters | None = None,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Per mode: the mean metrics over the queries that ran (``queries``), the p50 latency,
    and ``failed`` (how many could not be ranked) with ``failed_queries`` (id -> why)."""
    out: dict[str, dict[str, Any]] = {}
    for mode in modes:
        done = run_mode(rank, qs, mode=mode, cutoff_field=cutoff_field, filters=filters, progress=progress)
        ran = {q: rel for q, rel in qs.qrels.items() if q not in done.failed}
        scores: dict[str, Any] = dict(score_run(done.run, ran)) if _judged(ran) else {c: 0.0 for c in METRICS} | {"queries": 0}
        latencies = sorted(done.latencies)
        scores["latency_p50_ms"] = latencies[len(latencies) // 2] if latencies else 0.0
        scores["failed"] = len(done.failed)
        scores["failed_queries"] = done.failed
        out[mode] = scores
    return out


METRICS = ["recall@10", "recall@100", "ndcg@10", "mrr@10", "map@10", "map", "latency_p50_ms"]


def _judged(qrels: dict[str, dict[str, int]]) -> bool:
    return any(g > 0 for rel in qrels.values() for g in rel.values())


def format_table(results: dict[str, dict[str, Any]]) -> str:
    cols = [*METRICS, "queries", "failed"]
    lines = [f"{'mode':10}" + "".join(f"{c:>15}" for c in cols)]
    for mode, scores in results.items():
        cells = "".join(
            f"{scores.get(c, 0):>15.0f}" if c in ("queries", "failed") else f"{scores[c]:>15.4f}" for c in cols
        )
        lines.append(f"{mode:10}{cells}")
    for mode, scores in results.items():
        for qid, why in sorted(scores.get("failed_queries", {}).items()):
            lines.append(f"failed ({mode}) {qid}: {why}")
    return "\n".join(lines)
