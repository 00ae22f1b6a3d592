"""Changing the corpus over HTTP: upload a file, delete a document, run an ingest of
server-side folders, repair the index. All of it goes through the service facade, and a
2xx means the change is committed to the catalog and published as a generation.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path as FsPath
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from navsearch.api.auth import ADMIN, READ
from navsearch.api.ingest_runs import IngestRunOut, RunRegistry
from navsearch.api.problems import MEDIA_TYPE, redactor
from navsearch.api.uploads import FIELD, receive_upload
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings

PROBLEM = {"content": {MEDIA_TYPE: {}}, "description": "Problem details (RFC 9457)"}
MAX_RUN_PATHS = 100
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FIELD],
                "properties": {FIELD: {"type": "string", "format": "binary", "description": "The file to index."}},
            }
        }
    },
}


class UploadOut(BaseModel):
    file: str = Field(description="The stored file's name.")
    sha256: str
    bytes: int
    source: str = Field(description="The file as the catalog names it (the key of its documents' source).")
    status: Literal["indexed", "unchanged"]
    doc_ids: list[str] = Field(description="Documents the file holds, committed and searchable.")
    documents_changed: int
    chunks: int
    generation: int | None
    notes: dict[str, list[str]] = Field(description="Parser notes per document.")


class DeletionOut(BaseModel):
    doc_id: str
    source: str
    uploaded: bool
    documents_removed: int
    generation: int
    note: str


class RepairOut(BaseModel):
    problem: str | None = Field(description="What was wrong with the index before (None: it was intact and current).")
    generation: int
    vectors: int
    model: str
    corpus_fingerprint: str


class IngestRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    paths: list[Annotated[str, StringConstraints(min_length=1, max_length=4096)]] = Field(
        default_factory=list,
        max_length=MAX_RUN_PATHS,
        description=(
            "Server-side files or folders inside corpus_dir or api.ingest_roots (relative: to corpus_dir). "
            "Empty: the whole corpus_dir."
        ),
    )
    prune: bool = Field(False, description="Also remove documents of files gone from these folders.")


def allowed_paths(settings: Settings, given: list[str]) -> list[FsPath]:
    """The paths an ingest run may read: each inside corpus_dir or an ingest root after
    resolving links, so '..' or a link cannot reach elsewhere."""
    roots = [r.resolve() for r in (settings.corpus_dir, *settings.api.ingest_roots)]
    if not given:
        return [settings.corpus_dir]
    out = []
    for text in given:
        shown = repr(text) if len(text) <= 200 else repr(text[:200]) + "..."
        try:
            candidate = (settings.corpus_dir / text).resolve()  # an absolute text replaces corpus_dir
            inside = any(candidate.is_relative_to(root) for root in roots)
            exists = inside and candidate.exists()
        except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the filesystem
            raise InvalidInput(f"path {shown} cannot be a file name here: {type(exc).__name__}") from None
        if not inside:
            raise InvalidInput(f"path {shown} is outside the folders ingest runs may read (corpus_dir, api.ingest_roots)")
        if not exists:
            raise InvalidInput(f"path {shown} does not exist")
        out.append(candidate)
    return out


def ingest_router(settings: Settings, runs: RunRegistry) -> APIRouter:
    router = APIRouter(tags=["ingest"])
    upload_limit = settings.api.max_upload_bytes

    def service(request: Request) -> NavSearch:
        return request.app.state.service

    def ready(request: Request) -> None:
        request.app.state.startup_error = None  # the index was just published from the catalog

    @router.post(
        "/documents",
        response_model=UploadOut,
        status_code=201,
        dependencies=[ADMIN],
        openapi_extra={"requestBody": UPLOAD_BODY},
        responses={200: {"description": "The same file was uploaded before."}, 409: PROBLEM, 413: PROBLEM, 422: PROBLEM},
    )
    async def upload(request: Request, response: Response) -> UploadOut:
        """Index one file (any format `navsearch ingest` reads). It is kept under the index
        folder, named by its SHA-256: sending it again changes nothing and answers 200."""
        runs.refuse_if_running("upload")
        ns = service(request)
        stored = await receive_upload(
            request.headers.get("content-type", ""), request.stream(), ns.uploads_dir, upload_limit
        )
        try:
            report = await run_in_threadpool(ns.ingest, [stored.path], progress=False)
            done = report.files[0]
            if done.status in ("failed", "unsupported"):  # unsupported: no format reads it
                raise InvalidInput(f"{stored.name} was not indexed: {done.error}")
        except Exception:
            if not stored.existed:  # keep only files whose documents are in the catalog
                stored.path.unlink(missing_ok=True)
                stored.path.parent.rmdir()
            raise
        ready(request)
        if done.status == "unchanged":
            response.status_code = 200
        return UploadOut(
            file=stored.name,
            sha256=stored.sha256,
            bytes=stored.size,
            source=done.path,
            status="unchanged" if done.status == "unchanged" else "indexed",
            doc_ids=list(ns.documents_of(done.path)),
            documents_changed=done.documents_changed,
            chunks=done.chunks,
            generation=report.generation,
            notes=done.notes,
        )

    @router.delete("/documents/{doc_id}", response_model=DeletionOut, dependencies=[ADMIN], responses={404: PROBLEM, 409: PROBLEM})
    def delete(request: Request, doc_id: Annotated[str, Path(min_length=1, max_length=200)]) -> DeletionOut:
        """Remove a document and publish a generation without it. An uploaded file goes with
        its last document; a document read from a folder returns at the next ingest of that
        folder while its file is there."""
        runs.refuse_if_running("delete")
        gone = service(request).delete_document(doc_id)
        ready(request)
        note = (
            "the uploaded file was removed with its last document"
            if gone.uploaded and not service(request).documents_of(gone.source)
            else "its file is still in the corpus: the next ingest of that folder adds it again unless the file is removed"
            if not gone.uploaded
            else "the uploaded file holds other documents and stays; uploading it again adds this one back"
        )
        return DeletionOut(**asdict(gone), note=note)

    @router.post(
        "/ingest/runs", response_model=IngestRunOut, status_code=202, dependencies=[ADMIN], responses={409: PROBLEM, 422: PROBLEM}
    )
    def start_run(request: Request, response: Response, body: IngestRunRequest) -> IngestRunOut:
        """Start indexing server-side folders in the background; follow it at the Location."""
        paths = allowed_paths(settings, body.paths)
        redact = redactor(request)
        run = runs.start(
            service(request),
            paths,
            [redact(str(p)) for p in paths],
            prune=body.prune,
            started_by=getattr(request.state, "api_key", None),
            on_done=lambda: ready(request),
        )
        response.headers["Location"] = f"/ingest/runs/{run.id}"
        return run

    @router.get("/ingest/runs", response_model=list[IngestRunOut], dependencies=[READ])
    def list_runs() -> list[IngestRunOut]:
        """Recent ingest runs, newest first."""
        return runs.all()

    @router.get("/ingest/runs/{run_id}", response_model=IngestRunOut, dependencies=[READ], responses={404: PROBLEM})
    def get_run(run_id: Annotated[str, Path(min_length=1, max_length=64)]) -> IngestRunOut:
        """A run's state and progress: files done of total, documents, errors."""
        return runs.get(run_id)

    @router.post("/index/repair", response_model=RepairOut, dependencies=[ADMIN], responses={409: PROBLEM})
    def repair(request: Request) -> RepairOut:
        """Check the catalog (a damaged one is refused, the file left as it is), remove what
        an interrupted publish left, and publish a generation built from the catalog (the
        source of truth) when the index is missing, stale or damaged."""
        runs.refuse_if_running("repair")
        report = service(request).repair()
        manifest = report.manifest
        ready(request)
        return RepairOut(
            problem=report.problem,
            generation=manifest.generation,
            vectors=manifest.count,
            model=manifest.model_id,
            corpus_fingerprint=manifest.corpus_fingerprint,
        )

    return router
