"""Where the benchmarks keep their dev-set indexes: one per data set and encoder backend,
since an index built with one encoder is refused by another (indexes/bench-<set> for
torch, indexes/bench-<set>-<backend> otherwise; git-ignored, kept between runs)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_index(name: str, backend: str) -> Path:
    return ROOT / "indexes" / (f"bench-{name}" if backend == "torch" else f"bench-{name}-{backend}")
