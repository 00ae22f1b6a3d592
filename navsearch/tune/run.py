"""One tuning run: pairs from the index (and qrels), hard negatives, training, and the
model folder with its ``tuned.json``, swapped into place whole."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from navsearch.embedding.provenance import TUNED_FILE, TUNED_FORMAT, training_of
from navsearch.embedding.sentence_transformer import resolve_model
from navsearch.errors import InvalidInput
from navsearch.settings import TuneSettings
from navsearch.store.catalog import Catalog
from navsearch.store.reads import corpus_chunks
from navsearch.tune.negatives import add_hard_negatives
from navsearch.tune.pairs import counts, sample, structure_pairs
from navsearch.tune.qrels import qrels_pairs
from navsearch.tune.train import train


@dataclass(frozen=True)
class TuneReport:
    out: Path
    record: dict[str, Any]  # what tuned.json says


def _check_out(out: Path) -> None:
    """A folder that is not empty and not an earlier tuning's would be overwritten: refused."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and training_of(out) is None)):
        raise InvalidInput(f"{out} exists and is not a folder `navsearch tune` wrote; give a new or empty folder")


def _swap_in(staged: Path, out: Path) -> None:
    """Replace ``out`` by ``staged``, so a crash leaves the old model or the new one."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(staged, out)
    shutil.rmtree(old, ignore_errors=True)


def tune_encoder(
    catalog: object,
    base_model: str,
    out: Path,
    settings: TuneSettings,
    *,
    index: dict[str, Any],
    queries: Path | None = None,
    qrels: Path | None = None,
    progress: bool = False,
    max_pairs: int | None = None,
) -> TuneReport:
    """Fine-tune ``base_model`` on the catalog's structure (and the qrels when given) and
    write it, with tuned.json, into ``out``. ``index`` describes the index for the record;
    ``max_pairs`` overrides the settings' count."""
    if not isinstance(catalog, Catalog):
        raise InvalidInput(
            "navsearch tune reads the embedded store's catalog; with store.backend 'postgres' run it on an "
            "embedded index of the same corpus (NAVSEARCH_STORE__BACKEND=embedded)"
        )
    if max_pairs is not None:
        if max_pairs < 1:
            raise InvalidInput(f"max_pairs must be at least 1; got {max_pairs}")
        settings = settings.model_copy(update={"max_pairs": max_pairs})
    if (queries is None) != (qrels is None):
        raise InvalidInput("give both --queries and --qrels (BEIR files), or neither")
    _check_out(out)
    path, base_id = resolve_model(base_model)
    if not Path(path).is_dir():
        raise InvalidInput(f"the embedding model {base_model!r} is not a local folder or package: nothing to tune")
    chunks = corpus_chunks(catalog)
    if not chunks:
        raise InvalidInput(f"the index in {index.get('index_dir')} holds no documents: ingest a corpus before tuning")
    labelled, source = qrels_pairs(queries, qrels, chunks) if queries and qrels else ([], None)
    structure = structure_pairs(chunks, settings)
    chosen = sample(labelled, structure, settings)
    if not chosen:
        raise InvalidInput(
            "the index offers no training pairs: no title with an abstract, no heading over a clause, no claim "
            "with a description; give labelled pairs with --queries and --qrels"
        )
    triples, found = add_hard_negatives(chosen, chunks, settings, progress=progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        stats = train(path, triples, settings, staged, progress=progress)
        record = {
            "format": TUNED_FORMAT,
            "base_model": base_id,
            "index": index,
            "chunks": len(chunks),
            "pairs": counts(chosen),
            "pairs_available": counts([*labelled, *structure]),
            "hard_negatives_from_bm25": found,
            "qrels": asdict(source) if source else None,
            "settings": settings.model_dump(),
            "steps": stats.steps,
            "train_seconds": round(stats.seconds, 1),
            "loss_first_tenth": round(stats.first_loss, 4),
            "loss_last_tenth": round(stats.last_loss, 4),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        (staged / TUNED_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        _swap_in(staged, out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return TuneReport(out, record)
