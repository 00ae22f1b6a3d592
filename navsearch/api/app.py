"""The HTTP service: ``create_app(settings)``; the lifespan opens the index once.

No ``from __future__ import annotations`` here: the request models are built inside
``create_app`` from its settings, and FastAPI must see them as classes, not names.
"""

import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from navsearch.api import apidocs, auth, problems, web
from navsearch.api.auth import READ
from navsearch.api.ingest_routes import ingest_router
from navsearch.api.ingest_runs import RunRegistry
from navsearch.api.schemas import (
    AnswerOut,
    ChunkOut,
    CrossLanguageOut,
    ContextOut,
    DocumentOut,
    FailureOut,
    HealthOut,
    HitOut,
    PriorArtOut,
    ReportOut,
    SearchResponse,
    request_models,
)
from navsearch.errors import NavsearchError
from navsearch.service import NavSearch
from navsearch.settings import Settings

def get_service(request: Request) -> NavSearch:
    return request.app.state.service


# Module level, so FastAPI can resolve the annotation (this module uses postponed annotations).
Service = Annotated[NavSearch, Depends(get_service)]

PROBLEM = {"content": {problems.MEDIA_TYPE: {}}, "description": "Problem details (RFC 9457)"}


def create_app(settings: Settings | None = None, service: NavSearch | None = None) -> FastAPI:
    settings = settings or Settings()
    models = request_models(settings)
    SearchRequest, PriorArtRequest, AskRequest = models.search, models.prior_art, models.ask

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ns = service or NavSearch(settings)
        # The cross-language index (e5: minutes to hours) is built by a worker thread
        # while the server answers; searches say how far it is (cross_build.py).
        ns.cross_mode = "background"
        app.state.service = ns
        app.state.startup_error = None
        # A damaged catalog stops the server (CatalogDamaged): serving from it would answer
        # wrongly or with bare errors, and the file is left untouched for recovery.
        ns.catalog.check_integrity()
        try:
            # Rebuild the index generation from the catalog if it is missing, stale or
            # damaged (its cross-language index: in the background), then load the model
            # and the index now rather than on the first request (with what the first
            # searches would read: the generation's layout, document keys, provisions).
            if ns.catalog.counts()["documents"]:
                ns.ensure_index()
                ns.searcher().warm()
        except NavsearchError as exc:
            app.state.startup_error = str(exc)
        yield
        ns.stop_background_work()
        ns.catalog.close()

    app = FastAPI(
        title="navsearch",
        version="0.1.0",
        description="Semantic search over patents and policy documents, with exact citations.",
        lifespan=lifespan,
        docs_url=None,  # served by apidocs with local assets: the CDN ones fail offline
        redoc_url=None,
    )
    problems.install(app, settings)
    app.state.ingest_runs = RunRegistry(app.state.redact)
    app.include_router(ingest_router(settings, app.state.ingest_runs))
    app.include_router(auth.whoami_router(settings))
    apidocs.install(app)
    web.install(app, settings)
    auth.install(app, settings, upload_paths=[("POST", "/documents")])

    @app.get("/health", response_model=HealthOut)
    def health(request: Request, ns: Service) -> HealthOut:
        info = ns.info()
        cross = ns.cross_language_status()
        ready = bool(info.generation) and info.index_current and not request.app.state.startup_error
        return HealthOut(
            status="ok" if ready else "not ready",
            ready=ready,
            model=info.model,
            generation=info.generation,
            counts=info.counts,
            detail=problems.redactor(request)(request.app.state.startup_error or "")
            or (None if ready else "no current index: run `navsearch ingest`"),
            degraded=problems.redactor(request)(info.degraded or "") or None,
            cross_language=CrossLanguageOut.model_validate(
                {**asdict(cross), "error": problems.redactor(request)(cross.error or "") or None}
            ) if cross else None,
        )

    @app.post(
        "/search",
        response_model=SearchResponse,
        responses={200: {"content": {"text/csv": {}}}, 422: PROBLEM, 503: PROBLEM},
        dependencies=[READ],
    )
    def search(body: SearchRequest, ns: Service) -> Any:  # type: ignore[valid-type]
        filters = ns.filters(
            doc_types=body.doc_types,
            date_field=body.date_field,
            date_from=body.date_from,
            date_to=body.date_to,
            ipc=body.ipc,
            jurisdictions=body.jurisdictions,
            assignees=body.assignees,
        )
        t0 = time.perf_counter()
        result = ns.search(body.query, k=body.k, filters=filters, group=body.group, mode=body.mode, like=body.like)
        took = (time.perf_counter() - t0) * 1000
        if body.format == "csv":
            return PlainTextResponse(ns.export_search(body.query, result, filters), media_type="text/csv")
        out = SearchResponse(
            query=body.query,
            k=body.k,
            group=body.group,
            mode=body.mode,
            took_ms=round(took, 2),
            generation=result.generation,
            candidates=result.candidates,
            # Read from the dataclasses' attributes: asdict's deep copy was most of the response's cost.
            hits=[HitOut.model_validate(h, from_attributes=True) for h in result.hits],
            relevant=result.relevant,
            relevance=result.relevance,
            floor=result.floor,
            notes=list(result.notes),
            cited=list(result.cited),
        )
        # Built and checked above: returned as JSON as it is, not validated again in another
        # thread and serialised by FastAPI (two thread hops and a second walk of every hit).
        return Response(out.model_dump_json(), media_type="application/json")

    @app.get("/documents/{doc_id}", response_model=DocumentOut, responses={404: PROBLEM}, dependencies=[READ])
    def document(
        ns: Service,
        doc_id: Annotated[str, Path(min_length=1, max_length=200)],
        include_text: Annotated[bool, Query(description="Include the full text.")] = False,
        generation: Annotated[
            int | None, Query(ge=1, description="Read it as this index generation shows it (a search result's).")
        ] = None,
    ) -> DocumentOut:
        meta, text, chunks = ns.document(doc_id, generation)
        return DocumentOut.model_validate(
            {
                **asdict(meta),
                "text": text if include_text else None,
                "chunks": [asdict(c) for c in chunks],
            }
        )

    @app.post(
        "/prior-art",
        response_model=PriorArtOut,
        responses={200: {"content": {"text/csv": {}}}, 422: PROBLEM, 503: PROBLEM},
        dependencies=[READ],
    )
    def prior_art(body: PriorArtRequest, ns: Service) -> Any:  # type: ignore[valid-type]
        """Prior art per patent family, each idea element mapped to a verified quote of each
        reference, the coverage matrix, and the policy clauses for the same idea. The
        response is the full search record (inputs, model, index generation, corpus
        fingerprint), as JSON or as CSV rows."""
        filters = ns.filters(
            doc_types=["patent"], date_field=body.cutoff_field, ipc=body.ipc, jurisdictions=body.jurisdictions
        )
        result = ns.prior_art(
            body.idea,
            elements=body.elements,
            priority_date=body.priority_date,
            cutoff_field=filters.date_field,
            ipc=filters.ipc_prefixes,
            jurisdictions=filters.jurisdictions,
            k=body.k,
            policy_k=body.policy_k,
        )
        if body.format == "csv":
            return PlainTextResponse(ns.export_prior_art(result, "csv"), media_type="text/csv")
        return PriorArtOut.model_validate(asdict(result))

    @app.post(
        "/ask",
        response_model=AnswerOut,
        responses={200: {"content": {"text/event-stream": {}}}, 422: PROBLEM, 503: PROBLEM},
        dependencies=[READ],
    )
    def ask(body: AskRequest, ns: Service) -> Any:  # type: ignore[valid-type]
        """An answer quoted verbatim from the corpus with exact citations, or a refusal with
        the nearest clauses. With ``generate``, the configured endpoint's answer is checked
        against the same passages; with ``stream``, as server-sent events."""
        filters = ns.filters(
            doc_types=body.doc_types, jurisdictions=body.jurisdictions, date_from=body.date_from, date_to=body.date_to
        )
        if not body.generate:
            return AnswerOut.model_validate(asdict(ns.ask(body.question, filters)))
        if not body.stream:
            return AnswerOut.model_validate(asdict(ns.ask_generated(body.question, filters)))
        events = ns.ask_stream(body.question, filters)
        first = next(events)  # errors before streaming starts become problem responses

        def sse() -> Iterator[str]:
            for name, data in itertools.chain([first], events):
                payload = asdict(data) if name == "final" else data
                yield f"event: {name}\ndata: {json.dumps(payload, default=str, ensure_ascii=False)}\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream")

    @app.get("/documents/{doc_id}/report", response_model=ReportOut, responses={404: PROBLEM}, dependencies=[READ])
    def report(ns: Service, doc_id: Annotated[str, Path(min_length=1, max_length=200)]) -> ReportOut:
        return ReportOut.model_validate(asdict(ns.report(doc_id)))

    @app.get(
        "/documents/{doc_id}/context", response_model=ContextOut, responses={404: PROBLEM, 422: PROBLEM}, dependencies=[READ]
    )
    def context(
        ns: Service,
        doc_id: Annotated[str, Path(min_length=1, max_length=200)],
        start: Annotated[int, Query(ge=0, description="Offset of the cited passage's first character.")],
        end: Annotated[int, Query(gt=0, description="Offset just past the passage's last character.")],
        window: Annotated[
            int, Query(ge=0, le=settings.api.max_context_window, description="Characters of context each side.")
        ] = 400,
        generation: Annotated[
            int | None, Query(ge=1, description="Read it as this index generation shows it (a search result's).")
        ] = None,
    ) -> ContextOut:
        return ContextOut.model_validate(asdict(ns.context(doc_id, start, end, window, generation)))

    @app.get("/ingest/failures", response_model=list[FailureOut], dependencies=[READ])
    def failures(ns: Service) -> list[FailureOut]:
        return [FailureOut.model_validate(asdict(f)) for f in ns.failures()]

    return app
