"""Numbered schema migrations (migrations/NNNN_name.sql), applied in order, each in its
own transaction, recorded in ``schema_migrations``. An advisory lock held for the
transaction makes a second server starting at the same time wait, then find the work
done: two never both migrate."""

from __future__ import annotations

import logging
import re
from importlib import resources

import psycopg

from navsearch.errors import IndexMismatch

log = logging.getLogger("navsearch.store")
MIGRATION_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
MIGRATE_LOCK = 0x6E61_7673_0001  # pg_advisory_xact_lock key: "navs" + 1


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every migration shipped, in order."""
    found = []
    for entry in resources.files("navsearch.store.postgres").joinpath("migrations").iterdir():
        match = MIGRATION_FILE.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text()))
    return sorted(found)


def migrate(dsn: str) -> list[str]:
    """Bring the database at ``dsn`` to this navsearch's schema; the migrations applied.
    IndexMismatch when the database is newer than this navsearch."""
    shipped = migrations()
    applied: list[str] = []
    with psycopg.connect(dsn) as con:
        for number, name, sql in shipped:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
                con.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations("
                    "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                newest = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
                if newest and newest[0] > shipped[-1][0]:
                    raise IndexMismatch(
                        f"the database has schema version {newest[0]}, newer than this navsearch "
                        f"({shipped[-1][0]}); use the navsearch that wrote it"
                    )
                if con.execute("SELECT 1 FROM schema_migrations WHERE version=%s", (number,)).fetchone():
                    continue
                con.execute(sql.encode())  # the file may hold several statements
                con.execute("INSERT INTO schema_migrations(version, name) VALUES(%s, %s)", (number, name))
                applied.append(name)
                log.info("applied migration %s", name)
    return applied
