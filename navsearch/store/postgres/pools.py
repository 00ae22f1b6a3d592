"""Connection pools: writes to the primary, searches to a read replica when one is set.

Each process keeps its own pools (psycopg-pool); several `navsearch serve` processes share
the database through them. Every connection knows pgvector's type, so vectors come back
as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from navsearch.errors import NotReady
from navsearch.settings import StoreSettings

WRITE_LOCK = 0x6E61_7673_0002  # pg_advisory_xact_lock key of every write transaction


def where(dsn: str) -> str:
    """Host, port and database of a DSN, without its password (for messages)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the configured database"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def _pool(dsn: str, settings: StoreSettings, name: str) -> ConnectionPool:
    pool = ConnectionPool(
        dsn, min_size=settings.pool_min, max_size=settings.pool_max, timeout=settings.pool_timeout_s,
        configure=register_vector, name=name, open=False,
    )
    try:
        pool.open(wait=True, timeout=settings.pool_timeout_s)
    except psycopg.OperationalError as exc:
        pool.close()
        raise NotReady(f"cannot connect to PostgreSQL at {where(dsn)}: {exc}") from exc
    except Exception as exc:  # psycopg_pool.PoolTimeout: no connection in time
        pool.close()
        raise NotReady(f"cannot connect to PostgreSQL at {where(dsn)} within {settings.pool_timeout_s:g} s: {exc}") from exc
    return pool


@dataclass
class Pools:
    primary: ConnectionPool
    reads: ConnectionPool  # the replica's, or the primary itself

    @classmethod
    def open(cls, settings: StoreSettings) -> Pools:
        assert settings.dsn is not None  # StoreSettings refuses postgres without one
        primary = _pool(settings.dsn.get_secret_value(), settings, "navsearch-primary")
        if settings.replica_dsn is None:
            return cls(primary, primary)
        try:
            return cls(primary, _pool(settings.replica_dsn.get_secret_value(), settings, "navsearch-replica"))
        except NotReady:
            primary.close()
            raise

    @contextmanager
    def write(self) -> Iterator[psycopg.Connection]:
        """A transaction on the primary holding the store's write lock: writers from every
        process run one at a time, as they do on the embedded SQLite catalog, so a
        generation's rows are fixed once its number is taken."""
        with self.primary.connection() as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield con

    def close(self) -> None:
        if self.reads is not self.primary:
            self.reads.close()
        self.primary.close()


def as_array(value: object) -> np.ndarray:
    """A pgvector value as float32 numpy (pgvector's loader gives its own Vector type)."""
    to_numpy = getattr(value, "to_numpy", None)
    return np.asarray(to_numpy() if to_numpy else value, dtype=np.float32)
