"""Ingest runs started over HTTP: one at a time, in a background thread, with live progress.

The server is the long-running process, so it keeps the runs (the latest ``KEEP_RUNS``,
in memory: a restart forgets them, not what they indexed, which is in the catalog).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from navsearch.errors import Conflict, NavsearchError, NotFound
from navsearch.service import FileReport, NavSearch

log = logging.getLogger("navsearch.api.ingest")
KEEP_RUNS = 50
MAX_ERRORS = 100  # errors listed per run; the catalog's failures list has them all


class FileError(BaseModel):
    path: str
    error: str


class IngestRunOut(BaseModel):
    id: str
    state: Literal["running", "done", "failed"]
    paths: list[str] = Field(description="What the run reads, from its root: '<corpus_dir>/policy'.")
    prune: bool
    started_by: str | None = Field(description="Name of the API key that started it (None without keys).")
    created_at: str
    finished_at: str | None = None
    files_total: int = Field(0, description="Files to read (known once the folders are listed).")
    files_done: int = 0
    documents: int = Field(0, description="Documents in the files read so far.")
    documents_changed: int = Field(0, description="Of those, new or changed (embedded and committed).")
    chunks: int = 0
    errors: list[FileError] = Field(default_factory=list, description="Files not ingested, and why.")
    generation: int | None = Field(None, description="Generation published when the run finished.")
    detail: str | None = Field(None, description="Why the run failed, when it did.")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunRegistry:
    """The runs of one app. ``start`` refuses a second run while one is going: runs would
    only queue behind the service's write lock, and a client waiting on one should see
    that it is the one running."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        self._runs: OrderedDict[str, IngestRunOut] = OrderedDict()
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._redact = redact  # run errors are shown over HTTP: no server paths

    def active(self) -> IngestRunOut | None:
        with self._lock:
            return next((r.model_copy(deep=True) for r in self._runs.values() if r.state == "running"), None)

    def refuse_if_running(self, what: str) -> None:
        run = self.active()
        if run is not None:
            raise Conflict(f"ingest run {run.id} is in progress; {what} when it is done (GET /ingest/runs/{run.id})")

    def get(self, run_id: str) -> IngestRunOut:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise NotFound(f"no ingest run with id {run_id!r}")
            return run.model_copy(deep=True)

    def all(self) -> list[IngestRunOut]:
        with self._lock:
            return [r.model_copy(deep=True) for r in reversed(self._runs.values())]

    def start(
        self,
        ns: NavSearch,
        paths: Sequence[Path],
        shown: list[str],
        *,
        prune: bool,
        started_by: str | None,
        on_done: Callable[[], None] = lambda: None,
    ) -> IngestRunOut:
        with self._lock:
            running = next((r for r in self._runs.values() if r.state == "running"), None)
            if running is not None:
                raise Conflict(f"ingest run {running.id} is in progress (GET /ingest/runs/{running.id})")
            run = IngestRunOut(
                id=uuid.uuid4().hex[:12], state="running", paths=shown, prune=prune, started_by=started_by, created_at=_now()
            )
            self._runs[run.id] = run
            while len(self._runs) > KEEP_RUNS:
                self._runs.popitem(last=False)
            thread = threading.Thread(
                target=self._work, args=(run, ns, list(paths), prune, on_done), name=f"ingest-run-{run.id}", daemon=True
            )
            self._threads[run.id] = thread
        thread.start()
        return run.model_copy(deep=True)

    def wait(self, run_id: str, timeout: float | None = None) -> IngestRunOut:
        """Block until a run ends (tests, shutdown)."""
        thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(run_id)

    def _work(
        self, run: IngestRunOut, ns: NavSearch, paths: list[Path], prune: bool, on_done: Callable[[], None]
    ) -> None:
        def on_file(report: FileReport) -> None:
            with self._lock:
                run.files_done += 1
                run.documents += report.documents
                run.documents_changed += report.documents_changed
                run.chunks += report.chunks
                if report.status in ("failed", "unsupported") and len(run.errors) < MAX_ERRORS:
                    run.errors.append(FileError(path=report.path, error=self._redact(report.error or "")))

        try:
            total = ns.count_files(paths)
            with self._lock:
                run.files_total = total
            report = ns.ingest(paths, prune=prune, progress=False, on_file=on_file)
            on_done()
            with self._lock:
                # The final report is the record; live counts were for watching.
                run.files_done = run.files_total = len(report.files)
                run.documents = sum(f.documents for f in report.files)
                run.documents_changed = sum(f.documents_changed for f in report.files)
                run.chunks = sum(f.chunks for f in report.files)
                # Files no format reads are listed too: never passed over silently.
                skipped = [f for f in report.files if f.status in ("failed", "unsupported")]
                run.errors = [FileError(path=f.path, error=self._redact(f.error or "")) for f in skipped[:MAX_ERRORS]]
                run.generation = report.generation
                run.finished_at = _now()
                run.state = "done"
        except Exception as exc:  # noqa: BLE001 - a run's failure is its state, shown over HTTP
            if not isinstance(exc, NavsearchError):
                log.exception("ingest run %s failed", run.id)
            with self._lock:
                run.detail = self._redact(str(exc)) if isinstance(exc, NavsearchError) else "the run failed; see the server's log"
                run.finished_at = _now()
                run.state = "failed"
        finally:
            with self._lock:
                self._threads.pop(run.id, None)
