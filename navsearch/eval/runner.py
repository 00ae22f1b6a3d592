"""Run a BEIR-style query set (queries.jsonl + qrels.tsv) against an index, per mode.

Optional inputs: per-query exclusions (``{"query-id", "exclude": [...]}`` lines: e.g. the
query patent itself and its family) and per-query date cutoffs (a field of the query,
e.g. ``application_date``: only documents dated before it count as prior art).
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
        if "_id" not in row or "text" not in row:
            raise InvalidInput(f"{queries}: every query needs '_id' and 'text', got keys {sorted(row)}")
        qs[str(row["_id"])] = row
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
) -> tuple[dict[str, list[str]], list[float]]:
    """Rank documents for every query; returns the run and per-query latencies (ms)."""
    base = filters or Filters()
    run: dict[str, list[str]] = {}
    latencies = []
    for qid, q in track(qs.queries.items(), desc=f"eval {mode}", unit="query", enabled=progress):
        f = base
        if cutoff_field:
            value = q.get(cutoff_field)
            if not value:
                raise InvalidInput(f"query {qid} has no {cutoff_field!r} for the date cutoff")
            # Prior art must be published strictly before the cutoff date.
            f = replace(base, date_to=date.fromisoformat(value) - timedelta(days=1))
        excluded = qs.exclude.get(qid, set())
        t0 = time.perf_counter()
        # Over-fetch by the number of exclusions so the ranking stays ``depth`` deep.
        ranked = rank(q["text"], min(100, depth + len(excluded)), f, mode)
        latencies.append((time.perf_counter() - t0) * 1000)
        run[qid] = [d for d in ranked if d not in excluded][:depth]
    return run, latencies


def evaluate(
    rank: Rank,
    qs: QuerySet,
    *,
    modes: Sequence[str] = ("lexical", "dense", "hybrid"),
    cutoff_field: str | None = None,
    filters: Filters | None = None,
    progress: bool = True,
) -> dict[str, dict[str, float]]:
    out = {}
    for mode in modes:
        run, latencies = run_mode(rank, qs, mode=mode, cutoff_field=cutoff_field, filters=filters, progress=progress)
        scores = score_run(run, qs.qrels)
        latencies.sort()
        scores["latency_p50_ms"] = latencies[len(latencies) // 2]
        out[mode] = scores
    return out


def format_table(results: dict[str, dict[str, float]]) -> str:
    cols = ["recall@10", "recall@100", "ndcg@10", "mrr@10", "map@10", "map", "latency_p50_ms", "queries"]
    lines = [f"{'mode':10}" + "".join(f"{c:>15}" for c in cols)]
    for mode, scores in results.items():
        cells = "".join(
            f"{scores[c]:>15.0f}" if c == "queries" else f"{scores[c]:>15.4f}" for c in cols
        )
        lines.append(f"{mode:10}{cells}")
    return "\n".join(lines)
