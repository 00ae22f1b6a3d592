"""The fine-tuning loop: sentence-transformers' MultipleNegativesRankingLoss over
(anchor, positive, hard negative) triples, every other positive and negative of the batch
an in-batch negative, AdamW with linear warm-up and decay, on the CPU.

A plain loop rather than ``SentenceTransformerTrainer``: the trainer needs the
``datasets`` and ``accelerate`` packages, which navsearch does not otherwise install,
and this loop is all a one-epoch run needs.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from navsearch.progress import Progress
from navsearch.settings import TuneSettings
from navsearch.tune.pairs import TrainingPair


@dataclass(frozen=True)
class TrainStats:
    steps: int
    seconds: float
    first_loss: float  # mean loss of the first tenth of the steps
    last_loss: float  # and of the last tenth
    max_seq_length: int


def batches(pairs: Sequence[TrainingPair], size: int, rng: random.Random) -> list[list[TrainingPair]]:
    """Shuffled batches in which no anchor and no positive document appears twice: a
    duplicate would be scored as its own in-batch negative."""
    pending = list(pairs)
    rng.shuffle(pending)
    out = []
    while pending:
        batch: list[TrainingPair] = []
        used: set[tuple[str, str]] = set()
        rest = []
        for p in pending:
            keys = {("anchor", p.anchor), ("doc", p.doc_id)}
            if len(batch) < size and not keys & used:
                batch.append(p)
                used |= keys
            else:
                rest.append(p)
        out.append(batch)
        pending = rest
    return out


def train(model_path: str, pairs: Sequence[TrainingPair], settings: TuneSettings, out: Path, *, progress: bool = False) -> TrainStats:
    """Fine-tune the sentence-transformers model at ``model_path`` on ``pairs`` and save it
    (sentence-transformers format) into ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(settings.seed)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    rng = random.Random(settings.seed)
    model = SentenceTransformer(model_path, device="cpu")
    native = int(model.max_seq_length)
    model.max_seq_length = min(native, settings.max_seq_length)  # shorter while training: CPU time
    loss_fn = MultipleNegativesRankingLoss(model)
    plan = [b for _ in range(settings.epochs) for b in batches(pairs, settings.batch_size, rng)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(settings.warmup_share * len(plan)), len(plan))
    losses: list[float] = []
    started = time.perf_counter()
    model.train()
    with Progress(total=len(plan), desc="tune", unit="step", enabled=progress) as bar:
        for batch in plan:
            columns = ([p.anchor for p in batch], [p.positive for p in batch], [p.negative or "" for p in batch])
            features = [model.tokenize(list(col)) for col in columns]
            loss = loss_fn(features, None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            bar.update(1)
    seconds = time.perf_counter() - started
    model.eval()
    model.max_seq_length = native  # the saved model reads as much as the base did: chunking depends on it
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    tenth = max(1, len(losses) // 10)
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    return TrainStats(len(plan), seconds, mean(losses[:tenth]), mean(losses[-tenth:]), model.max_seq_length)
