"""The ingest ledger (store/ledger.py: roots and pending vectors) in PostgreSQL tables,
written through the store's write lock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from navsearch.store.ledger import SourceRoot
from navsearch.store.postgres.pools import Pools


class PgLedger:
    def __init__(self, pools: Pools) -> None:
        self.pools = pools

    def roots(self) -> list[SourceRoot]:
        with self.pools.primary.connection() as con:
            rows = con.execute("SELECT path, label, is_file FROM roots ORDER BY id").fetchall()
        return [SourceRoot(Path(p), label, bool(f)) for p, label, f in rows]

    def add_roots(self, roots: Iterable[SourceRoot]) -> None:
        with self.pools.write() as con:
            con.cursor().executemany(
                "INSERT INTO roots(path, label, is_file) VALUES(%s, %s, %s) ON CONFLICT DO NOTHING",
                [(str(r.path), r.label, r.is_file) for r in roots],
            )

    def put_pending(self, vectors: Mapping[str, bytes]) -> None:
        with self.pools.write() as con:
            con.cursor().executemany(
                "INSERT INTO pending_vectors VALUES(%s, %s) ON CONFLICT (chunk_id) DO UPDATE SET vector=EXCLUDED.vector",
                list(vectors.items()),
            )

    def pending_vectors(self, chunk_ids: Iterable[str]) -> dict[str, bytes]:
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        with self.pools.primary.connection() as con:
            rows = con.execute("SELECT chunk_id, vector FROM pending_vectors WHERE chunk_id = ANY(%s)", (ids,))
            return {r[0]: bytes(r[1]) for r in rows}

    def clear_pending(self, chunk_ids: Iterable[str]) -> None:
        with self.pools.write() as con:
            con.execute("DELETE FROM pending_vectors WHERE chunk_id = ANY(%s)", (list(chunk_ids),))

    def clear_committed(self) -> None:
        with self.pools.write() as con:
            con.execute("DELETE FROM pending_vectors WHERE chunk_id IN (SELECT chunk_id FROM chunks)")

    def pending_count(self) -> int:
        with self.pools.primary.connection() as con:
            row = con.execute("SELECT count(*) FROM pending_vectors").fetchone()
        return int(row[0]) if row else 0
