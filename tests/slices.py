"""Small real corpora for the tests: named files of tests/data copied under a folder and
indexed with the given encoder."""

from __future__ import annotations

import shutil
from pathlib import Path

from navsearch.embedding.base import Embedder
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"


def indexed(root: Path, embedder: Embedder, names: tuple[str, ...]) -> NavSearch:
    """A service over ``root/index`` with ``names`` (paths under tests/data) ingested from
    ``root/corpus``; fails the test if any file fails."""
    for name in names:
        (root / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / name, root / "corpus" / name)
    ns = NavSearch(Settings(index_dir=root / "index"), embedder=embedder)
    report = ns.ingest([root / "corpus"], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    return ns
