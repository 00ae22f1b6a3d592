"""A bounded, thread-safe least-recently-used map: what a searcher keeps of the rows it
read (documents' metadata, chunks) and the service of the query vectors it encoded.

A searcher reads one generation, whose rows never change (store/schema.py), so what it
read once stays true for as long as it serves: each search then reads only the rows no
recent search needed (at 100k chunks assembling a result read ~170 documents and ~200
chunks from SQLite: ~15 ms, more than the rest of the search after encoding).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most ``size`` values, least recently used out first (size 0: none kept)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._kept.get(key)
            if value is not None:
                self._kept.move_to_end(key)
            return value

    def put(self, items: Iterable[tuple[K, V]]) -> None:
        if not self.size:
            return
        with self._lock:
            for key, value in items:
                self._kept[key] = value
                self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def many(self, keys: Iterable[K], fetch: Callable[[list[K]], Mapping[K, V]]) -> dict[K, V]:
        """The values of ``keys``: kept ones, and the rest read by ``fetch`` (which may leave
        some out: those are not there) and kept."""
        out: dict[K, V] = {}
        missing: list[K] = []
        with self._lock:
            for key in dict.fromkeys(keys):
                value = self._kept.get(key)
                if value is None:
                    missing.append(key)
                else:
                    self._kept.move_to_end(key)
                    out[key] = value
        if missing:
            fetched = fetch(missing)  # outside the lock: a slow read does not hold other searches
            self.put(fetched.items())
            out.update(fetched)
        return out

    def __len__(self) -> int:
        return len(self._kept)
