"""What ingestion keeps in the catalog besides documents: the roots sources are named by,
and vectors embedded for a file that is not committed yet.

**Roots.** Every folder or file a user names to ``navsearch ingest`` is recorded once, by
its resolved path, with a label. A file's source (the key of its ``files`` row, its
documents' ``source``, its failures) is the label of the innermost recorded root holding
it, then its path relative to that root: ``docs/a.txt``, ``corpus/policy/empty.txt``. So
two folders both named ``docs`` never share a source (the second is labelled
``team2/docs``), and where a source lies on disk is known: ``--prune`` removes exactly the
gone files under the folders it is given. No two roots can name the same source: a label
neither equals, extends nor is extended by another, except the label of a root inside
another that is the outer label plus the path between them (``docs/a.txt`` ingested
before ``docs``), which names its files as the outer root would; a source belongs to the
longest label naming it. A given path under a recorded root records nothing new:
``ingest docs/a.txt`` after ``ingest docs`` is the same source.

Catalogs written before roots existed named a source ``<folder name>/<path>``; the first
root recorded with that folder name gets that name as its label, so their rows become
that root's sources as they are, with nothing renamed or re-embedded.

**Pending vectors.** A file's documents and chunks are written in one transaction
(``Catalog.commit_file``), after all of its chunks are embedded. A large file takes
minutes to embed, so its vectors are kept here batch by batch, each batch in its own
transaction: a killed ingest loses at most one batch, and the next run finds the rest
(``pending_vectors``) instead of embedding them again. Rows are cleared once the file is
committed; any left behind (a crash in between) are still valid, since a chunk id hashes
what is embedded and the catalog refuses a second model, and the next ingest clears those
whose chunks are stored.

Kept apart from ``catalog.py`` (which owns documents and chunks) and written through the
catalog's connection and write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from navsearch.store.catalog import Catalog

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS roots(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, label TEXT NOT NULL UNIQUE,
    is_file INTEGER NOT NULL, added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_vectors(chunk_id TEXT PRIMARY KEY, vector BLOB NOT NULL);
"""
IN_BATCH = 500  # ids per "IN (...)" query, as in the catalog


@dataclass(frozen=True)
class SourceRoot:
    """A folder or file a user named to ingest: its resolved path and the label its
    sources start with."""

    path: Path
    label: str
    is_file: bool

    def holds(self, path: Path) -> bool:
        """Whether the resolved ``path`` is this root or (for a folder) under it."""
        return path == self.path or (not self.is_file and path.is_relative_to(self.path))

    def source(self, path: Path) -> str:
        """The source name of the resolved ``path`` (which this root holds)."""
        rel = path.relative_to(self.path).as_posix()
        return self.label if rel == "." else f"{self.label}/{rel}"

    def names(self, source: str) -> bool:
        return source == self.label or source.startswith(self.label + "/")

    def location(self, source: str) -> Path:
        """Where the file a source of this root names lies on disk."""
        rest = source[len(self.label) + 1 :]
        return self.path / rest if rest else self.path


def _clashes(label: str, path: Path, root: SourceRoot) -> bool:
    """Whether a root at ``path`` labelled ``label`` could name a source as ``root`` does.
    A root inside it whose label is ``label`` plus its path below it names its files
    exactly as the new root would (``docs/a.txt`` given before ``docs``): no clash."""
    other = root.label
    if not (label == other or other.startswith(label + "/") or label.startswith(other + "/")):
        return False
    inside = root.path != path and root.path.is_relative_to(path)
    return not (inside and other == f"{label}/{root.path.relative_to(path).as_posix()}")


def choose_label(path: Path, is_file: bool, roots: Sequence[SourceRoot]) -> str:
    """The shortest trailing part of ``path`` that clashes with no recorded root's label:
    the folder's name, or a file's folder and name (the names sources had before roots
    were recorded); then more of the path; then the name with a number."""
    parts = [p for p in path.parts if p != path.anchor] or [path.anchor or "root"]
    first = 2 if is_file and len(parts) > 1 else 1
    candidates = ["/".join(parts[-n:]) for n in range(first, len(parts) + 1)]
    candidates += (f"{parts[-1]}~{n}" for n in range(2, len(roots) + 3))
    return next(c for c in candidates if not any(_clashes(c, path, r) for r in roots))


def owner(path: Path, roots: Sequence[SourceRoot]) -> SourceRoot | None:
    """The innermost root holding the resolved ``path``. New roots are recorded only for
    paths no recorded root holds, so a file's owner never changes."""
    holding = [r for r in roots if r.holds(path)]
    return max(holding, key=lambda r: len(r.path.parts)) if holding else None


def root_of(source: str, roots: Sequence[SourceRoot]) -> SourceRoot | None:
    """The root a source belongs to: the longest label naming it (an inner root's label
    may extend its outer root's)."""
    naming = [r for r in roots if r.names(source)]
    return max(naming, key=lambda r: len(r.label)) if naming else None


def plan_roots(given: Sequence[Path], roots: Sequence[SourceRoot]) -> list[SourceRoot]:
    """The roots to record for the resolved paths ``given`` (those no root holds yet),
    outermost first, so a folder given with a file in it is the file's root."""
    new: list[SourceRoot] = []
    for path in sorted(dict.fromkeys(given), key=lambda p: len(p.parts)):
        if owner(path, [*roots, *new]) is None:
            label = choose_label(path, path.is_file(), [*roots, *new])
            new.append(SourceRoot(path, label, path.is_file()))
    return new


class IngestLedger:
    """The roots and pending-vectors tables of a catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        catalog.con.executescript(LEDGER_SCHEMA)  # commits by itself: outside a transaction

    # --- roots ------------------------------------------------------------------------
    def roots(self) -> list[SourceRoot]:
        rows = self.catalog.con.execute("SELECT path, label, is_file FROM roots ORDER BY id")
        return [SourceRoot(Path(p), label, bool(f)) for p, label, f in rows]

    def add_roots(self, roots: Iterable[SourceRoot]) -> None:
        with self.catalog._transaction() as con:  # the catalog's write lock
            con.executemany(
                "INSERT OR IGNORE INTO roots(path, label, is_file, added) VALUES(?, ?, ?, datetime('now'))",
                [(str(r.path), r.label, int(r.is_file)) for r in roots],
            )

    # --- pending vectors ----------------------------------------------------------------
    def put_pending(self, vectors: Mapping[str, bytes]) -> None:
        """Keep a batch of a file's new vectors, in its own transaction."""
        with self.catalog._transaction() as con:
            con.executemany("INSERT OR REPLACE INTO pending_vectors VALUES(?, ?)", vectors.items())

    def pending_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]:
        """Vectors kept for these chunk ids by an ingest that did not finish."""
        ids = list(dict.fromkeys(chunk_ids))
        out: dict[str, bytes] = {}
        for i in range(0, len(ids), IN_BATCH):
            part = ids[i : i + IN_BATCH]
            sql = f"SELECT chunk_id, vector FROM pending_vectors WHERE chunk_id IN ({','.join('?' * len(part))})"
            out.update((r[0], r[1]) for r in self.catalog.con.execute(sql, part))
        return out

    def clear_pending(self, chunk_ids: Iterable[str]) -> None:
        """Forget the kept vectors of a committed file (its chunks hold them now)."""
        ids = list(chunk_ids)
        with self.catalog._transaction() as con:
            for i in range(0, len(ids), IN_BATCH):
                part = ids[i : i + IN_BATCH]
                con.execute(f"DELETE FROM pending_vectors WHERE chunk_id IN ({','.join('?' * len(part))})", part)

    def clear_committed(self) -> None:
        """Forget kept vectors whose chunks are stored: left behind when a run stopped
        between committing a file and clearing its kept vectors."""
        with self.catalog._transaction() as con:
            con.execute("DELETE FROM pending_vectors WHERE chunk_id IN (SELECT chunk_id FROM chunks)")

    def pending_count(self) -> int:
        return int(self.catalog.con.execute("SELECT count(*) FROM pending_vectors").fetchone()[0])
