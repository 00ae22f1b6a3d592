"""The PostgreSQL + pgvector backend (``NAVSEARCH_STORE__BACKEND=postgres``): the store
protocol (store/protocol.py) over one database that several servers share, searches on a
read replica when one is set. Needs the ``postgres`` extra (psycopg, psycopg-pool,
pgvector)."""

from navsearch.store.postgres.indexes import PgDense, PgIndexStore, PgLexical
from navsearch.store.postgres.store import PgStore

__all__ = ["PgDense", "PgIndexStore", "PgLexical", "PgStore"]
