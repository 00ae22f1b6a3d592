"""What is wrong with an index folder's published generation, if anything: the checks the
service's start, `navsearch repair` and `navsearch info` share."""

from __future__ import annotations

from navsearch.errors import IndexMismatch
from navsearch.store.protocol import IndexStore, Manifest, Store


def published(store: IndexStore) -> Manifest | None:
    """The published manifest; None when there is none or it is unreadable (an unreadable
    one is as good as none here: ``main_problem`` says why)."""
    try:
        return store.current()
    except IndexMismatch:
        return None


def main_problem(store: IndexStore, catalog: Store) -> tuple[str | None, Manifest | None]:
    """Why the published generation's main index (dense + BM25) cannot serve as it is
    (none, unreadable, damaged, older than the catalog), or None; and its manifest."""
    try:
        manifest = store.current()
    except IndexMismatch as exc:
        return str(exc), None
    if manifest is None:
        return "no index generation has been published", None
    if manifest.corpus_fingerprint != catalog.fingerprint():
        return "the index generation is older than the catalog", manifest
    return store.problem(manifest), manifest
