"""When the cross-language index of a published generation is built.

e5 embeds about 4 passages a second on 2 cores: the bundled corpus takes ~15 minutes, a
100k-chunk one hours. Searches need only the main index, so the cross-language one is
built after it, in one of three ways (``CrossMode``):
- "now": in the caller's thread, right after the publish (`navsearch ingest`, `repair`,
  and the library's default: a terminal user waits for it, with progress);
- "later": not at all; whoever serves the index builds it (`make index`);
- "background": by one worker thread of the server (``CrossBuilder``): searches answer
  meanwhile with the English legs and a note of the build's progress, and the searcher
  takes the leg in once its index is there (service.searcher reloads on it).

One build at a time, always of the newest generation asked for: a newer publish stops
the running build between two batches. Nothing is lost by a stop, a failure or a killed
process: every batch is in the vector cache (store/crosslang.py) before the next starts,
so the next build embeds only what is still missing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Literal

from navsearch.retrieval.cross_language import CrossLanguage
from navsearch.store.crosslang import CrossLanguageStore, CrossManifest
from navsearch.types import CrossBuildState

log = logging.getLogger("navsearch.cross_build")

CrossMode = Literal["now", "later", "background"]


@dataclass(frozen=True)
class BuildStatus:
    """The cross-language index of one generation, as the server reports it."""

    state: CrossBuildState
    generation: int | None = None
    embedded: int | None = None  # passages with a vector so far (those in the cache included)
    total: int | None = None  # passages of the generation; None until they are counted
    error: str | None = None  # why the last build failed (the server's log has the trace)

    def note(self) -> str | None:
        """What a search of this generation says while its leg is not there (None: nothing)."""
        if self.state == "building":
            done = f" ({self.embedded:,} of {self.total:,} passages embedded)" if self.total is not None else ""
            return f"the cross-language index is being built{done}; English<->Chinese results join when it is done"
        if self.state == "failed":
            return (
                f"the cross-language index of generation {self.generation} could not be built (see the server's log); "
                "the next publish or `navsearch repair` tries again, keeping what was embedded"
            )
        return None


class CrossBuilder:
    """One worker thread building the cross-language index of the newest generation asked for."""

    def __init__(self, store: CrossLanguageStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._wanted: int | None = None  # the generation to build; None: nothing to do
        self._thread: threading.Thread | None = None
        self._status = BuildStatus("missing")

    def request(self, generation: int) -> None:
        """Build ``generation``'s index (it replaces an older one being built)."""
        with self._lock:
            if self._wanted is not None and self._wanted >= generation:
                return
            self._wanted = generation
            self._status = BuildStatus("building", generation)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="cross-language-build", daemon=True)
                self._thread.start()

    def status(self) -> BuildStatus:
        with self._lock:
            return self._status

    def wait(self, timeout: float | None = None) -> BuildStatus:
        """Block until no build runs (tests; a caller that needs the leg now), or ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return self.status()
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return self.status()

    def close(self) -> None:
        """Stop at the next batch (a server's shutdown). Not waited for: a batch can take a
        minute, and the daemon thread ends with the process anyway (the batches before it
        are cached). A later request builds again."""
        with self._lock:
            if self._wanted is not None:
                self._wanted = None
                self._status = BuildStatus("missing", self._status.generation, self._status.embedded, self._status.total)

    def _stopped(self, generation: int) -> bool:
        with self._lock:
            return self._wanted != generation

    def _progress(self, generation: int, embedded: int, total: int) -> None:
        with self._lock:
            if self._wanted == generation:
                self._status = BuildStatus("building", generation, embedded, total)

    def _work(self) -> None:
        try:
            while True:
                with self._lock:
                    generation = self._wanted
                    if generation is None:
                        self._thread = None
                        return
                self._build(generation)
        finally:
            self.store.catalog.close()  # this thread's own connection

    def _build(self, generation: int) -> None:
        log.info("cross-language index of generation %d: building in the background", generation)
        manifest: CrossManifest | None = None
        failed: str | None = None
        try:
            manifest = self.store.publish(
                generation,
                progress=True,
                bar=False,  # log lines: this runs beside the server's request log
                stop=lambda: self._stopped(generation),
                on_progress=lambda done, total: self._progress(generation, done, total),
            )
        except Exception as exc:  # noqa: BLE001 - the main index serves on; the status says it failed
            log.exception("cross-language index of generation %d: the build failed", generation)
            failed = f"{type(exc).__name__}: {exc}"
        with self._lock:
            if self._wanted != generation:
                return  # superseded: the loop takes the newer one
            self._wanted = None
            if failed is not None:
                self._status = BuildStatus("failed", generation, self._status.embedded, self._status.total, failed)
            elif manifest is not None:
                log.info(
                    "cross-language index of generation %d published (%d vectors, %d embedded)",
                    generation, manifest.count, manifest.embedded,
                )
                self._status = BuildStatus("done", generation, manifest.count, manifest.count)


class CrossIndexing:
    """The cross-language index of one service: built after each publish as its mode says."""

    def __init__(self, cross: CrossLanguage) -> None:
        self.cross = cross
        self._builder: CrossBuilder | None = None
        self._builder_lock = threading.Lock()

    @property
    def builder(self) -> CrossBuilder:
        with self._builder_lock:
            if self._builder is None:
                self._builder = CrossBuilder(self.cross.own_store())
            return self._builder

    def problem(self, generation: int) -> str | None:
        """Why ``generation``'s index cannot serve (missing, damaged), or None."""
        return self.cross.store.load(generation)[1]

    def after_publish(
        self, generation: int, mode: CrossMode, *, progress: bool = False, check: bool = False
    ) -> CrossManifest | None:
        """Build ``generation``'s index unless it is there (``check``: and intact), now or
        in the background; the manifest when built now."""
        if (self.problem(generation) is None) if check else self.cross.store.has(generation):
            return None
        if mode == "background":
            self.builder.request(generation)
        elif mode == "now":
            manifest = self.cross.store.publish(generation, progress=progress)
            assert manifest is not None  # no stop was given
            log.info("published its cross-language index (%d vectors, %d embedded)", manifest.count, manifest.embedded)
            return manifest
        return None

    def status(self, generation: int | None) -> BuildStatus:
        """The state of ``generation``'s index: the background build's, else built or missing."""
        if self._builder is not None and (status := self._builder.status()).generation == generation:
            if status.state in ("building", "failed"):
                return status
        built = generation is not None and self.cross.store.has(generation)
        return BuildStatus("done" if built else "missing", generation)

    def close(self) -> None:
        if self._builder is not None:
            self._builder.close()
