"""How far apart are "disclosed" and "not disclosed" for the prior-art workbench's
element-to-sentence cosine? A proxy calibration of prior_art.disclosed_threshold and
partly_threshold on real patents, with the default encoder.

Reads ../shared/data/patents/uspto-xml (override with --data): the grants of the bulk
files. For --n patents with a claim 1 and a description: the elements of claim 1
(split as the workbench splits an idea) are scored against
- the same patent's description sentences: the specification must support its claims,
  so the best sentence stands for an element that IS disclosed;
- the description sentences of --others other patents of the sample: mostly unrelated,
  so their best sentence stands for an element that is NOT disclosed.
Each element's score is its best cosine, as the workbench reports it. The report gives
both distributions and, for candidate thresholds, the share of positives called
disclosed / partly and of negatives called disclosed / partly. Proxy labels, not an
examiner's: a real reference lies between these two cases. Writes
benchmarks/reports/priorart_thresholds.json and .md.

    .venv/bin/python benchmarks/priorart_thresholds.py [--n 60] [--others 5]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from tqdm import tqdm

from navsearch.chunking.chunker import split_sentences
from navsearch.ingest.uspto_xml import parse_uspto_xml
from navsearch.priorart.elements import split_elements
from navsearch.embedding.registry import make_embedder
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MAX_SENTENCES = 150
READING = (
    "Reading: the coverage matrix takes each element's best status over the references, so the column that "
    "matters for a false \"disclosed\" or \"partly\" is the best of several unrelated patents, not one. Unrelated "
    "references are what an off-field idea gets from a small corpus; since the relevance floor "
    "(benchmarks/reports/relevance_floor.md) they are marked weak and no longer count in the matrix, and a "
    "search whose references are all weak makes no novelty call. A false \"not found\" is an element its own "
    "specification supports scored below the partly threshold: the error that lists a point of novelty wrongly."
)


def description_sentences(doc) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for s in doc.sections:
        if s.kind in ("description", "paragraph"):
            out += [s.text[a:b] for a, b in split_sentences(s.text) if len(s.text[a:b].split()) >= 5]
    return out[:MAX_SENTENCES]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--others", type=int, default=5)
    args = ap.parse_args()
    settings = Settings()
    embedder = make_embedder(settings.embedding)
    patents = []
    for path in sorted((args.data / "patents" / "uspto-xml").glob("*.xml")):
        for doc in parse_uspto_xml(path):
            claim1 = next((s.text for s in doc.sections if s.kind == "claim" and s.claim_number == 1), None)
            sents = description_sentences(doc)
            if claim1 and len(sents) >= 10:
                patents.append((doc.doc_id, claim1, sents))
    random.Random(0).shuffle(patents)
    patents = patents[: args.n]
    if len(patents) < 10:
        raise SystemExit(f"only {len(patents)} usable patents found")
    sentence_vecs = [embedder.embed(s) for _, _, s in tqdm(patents, desc="descriptions", unit="patent")]
    pos: list[float] = []
    neg: list[float] = []
    neg_any: list[float] = []  # per element: its best score over all the unrelated patents drawn for it
    for i, (_, claim1, _) in enumerate(tqdm(patents, desc="elements", unit="patent")):
        evecs = embedder.embed(split_elements(claim1))
        pos += list((evecs @ sentence_vecs[i].T).max(axis=1))
        others = random.Random(i).sample([j for j in range(len(patents)) if j != i], args.others)
        per_other = [(evecs @ sentence_vecs[j].T).max(axis=1) for j in others]
        for scores in per_other:
            neg += list(scores)
        neg_any += list(np.max(per_other, axis=0))
    pos_a, neg_a, any_a = np.array(pos), np.array(neg), np.array(neg_any)
    grid = []
    for t in np.arange(0.30, 0.86, 0.05):
        grid.append({"threshold": round(float(t), 2), "positives_at_or_above": round(float((pos_a >= t).mean()), 3),
                     "negatives_at_or_above": round(float((neg_a >= t).mean()), 3),
                     "any_negative_at_or_above": round(float((any_a >= t).mean()), 3)})
    current = (settings.prior_art.disclosed_threshold, settings.prior_art.partly_threshold)
    q = lambda a, p: round(float(np.quantile(a, p)), 3)  # noqa: E731
    summary = {
        "encoder": embedder.model_id, "patents": len(patents), "elements": len(pos) , "negatives": len(neg),
        "positives_quantiles": {p: q(pos_a, p) for p in (0.1, 0.25, 0.5, 0.75, 0.9)},
        "negatives_quantiles": {p: q(neg_a, p) for p in (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)},
        "current": {"disclosed": current[0], "partly": current[1],
                    "positives_disclosed": round(float((pos_a >= current[0]).mean()), 3),
                    "positives_partly_or_better": round(float((pos_a >= current[1]).mean()), 3),
                    "negatives_disclosed": round(float((neg_a >= current[0]).mean()), 3),
                    "negatives_partly_or_better": round(float((neg_a >= current[1]).mean()), 3),
                    # what the coverage matrix sees: the best of several references
                    f"any_of_{args.others}_negatives_disclosed": round(float((any_a >= current[0]).mean()), 3),
                    f"any_of_{args.others}_negatives_partly_or_better": round(float((any_a >= current[1]).mean()), 3),
                    # false "not found": an element its own specification supports, called not found
                    "false_not_found_on_own_text": round(float((pos_a < current[1]).mean()), 3),
                    "false_partly_or_worse_on_own_text": round(float((pos_a < current[0]).mean()), 3)},
    }
    out = ROOT / "benchmarks" / "reports"
    (out / "priorart_thresholds.json").write_text(json.dumps({"summary": summary, "grid": grid}, indent=2))
    lines = ["# Prior-art element thresholds: a proxy calibration", "", "```", json.dumps(summary, indent=2), "```", "",
             f"| threshold | own description (disclosed) at or above | an unrelated patent at or above | best of {args.others} unrelated patents at or above |",
             "|---|---|---|---|"]
    lines += [f"| {g['threshold']:.2f} | {g['positives_at_or_above']:.3f} | {g['negatives_at_or_above']:.3f} | "
              f"{g['any_negative_at_or_above']:.3f} |" for g in grid]
    lines += ["", READING]
    (out / "priorart_thresholds.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
