"""Command line: thin commands over the service. Errors are one clear line, exit code 2."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from navsearch.errors import NavsearchError
from navsearch.filters import parse_date
from navsearch.service import EVAL_MODES, NavSearch, eval_table
from navsearch.settings import Settings
from navsearch.types import DATE_FIELDS, DOC_TYPES, MODES, Filters, Hit

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help="Search patents and policy documents.")

# Read once when a command starts (NAVSEARCH_* environment): every limit a command
# enforces comes from these, through the service.
_settings: Settings | None = None


def _current_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


@app.callback()
def _start() -> None:
    """Search patents and policy documents."""
    global _settings
    _settings = Settings()


def _service() -> NavSearch:
    return NavSearch(_current_settings())


def _filters(
    service: NavSearch,
    doc_types: list[str] | None = None,
    before: str | None = None,
    after: str | None = None,
    date_field: str = "publication",
    ipc: list[str] | None = None,
    jurisdiction: list[str] | None = None,
) -> Filters:
    """Filters from command-line options; a bad date names its option."""
    return service.filters(
        doc_types=doc_types or (),
        date_field=date_field,
        date_from=parse_date(after, "--after"),
        date_to=parse_date(before, "--before"),
        ipc=ipc or (),
        jurisdictions=jurisdiction or (),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        typer.echo("no results")
    for i, hit in enumerate(hits, start=1):
        when = hit.publication_date.isoformat() if hit.publication_date else "date unknown"
        typer.echo(f"{i:>2}. [{hit.doc_type}] {hit.number or hit.doc_id}  {hit.title or '[title unknown]'}  ({when})")
        for p in hit.passages:
            text = " ".join(p.text.split())
            typer.echo(f"      {p.citation}")
            typer.echo(f"        {text[:240]}{'…' if len(text) > 240 else ''}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    prune: Annotated[
        bool,
        typer.Option(help="Remove documents of files gone from the folders given (refused for an empty or missing folder)."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be added, changed, removed and pruned; write nothing.")
    ] = False,
    allow_shrink: Annotated[
        bool,
        typer.Option(
            "--allow-shrink",
            help="Let a file that lost more than NAVSEARCH_INGEST__MAX_SHRINK_SHARE of its documents remove them.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Parse, chunk and embed documents into the index; unchanged ones cost nothing."""
    report = _service().ingest(paths, prune=prune, progress=not quiet, dry_run=dry_run, allow_shrink=allow_shrink)
    if report.dry_run:
        typer.echo("dry run: nothing was written")
    for f in report.files:
        line = f"{f.status:9} {f.path}: {f.documents} document(s)"
        if f.status == "indexed":
            line += (
                f", {f.documents_changed} changed, {f.documents_removed} removed, {f.chunks} chunk(s), "
                f"{f.embedded} embedded"
            )
        elif f.status == "planned":
            line += (
                f": would add {f.documents_added}, change {f.documents_changed - f.documents_added}, "
                f"remove {f.documents_removed}"
            )
        if f.error:
            line += f" — {f.error}"
        typer.echo(line)
    for source in report.pruned:
        typer.echo(f"{'would prune' if report.dry_run else 'pruned':9} {source}")
    if report.dry_run:
        typer.echo(f"{report.documents_pruned} document(s) would be pruned; total {report.seconds:.1f}s")
    else:
        typer.echo(
            f"generation {report.generation}; {report.embedded} chunk(s) embedded in {report.embed_seconds:.1f}s; "
            f"{report.documents_pruned} pruned; total {report.seconds:.1f}s"
        )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="An idea, a question or keywords.")],
    doc_type: Annotated[Optional[list[str]], typer.Option("--type", help=f"Document type: {', '.join(DOC_TYPES)} (repeatable).")] = None,
    before: Annotated[Optional[str], typer.Option(help="Only documents dated on or before (YYYY-MM-DD).")] = None,
    after: Annotated[Optional[str], typer.Option(help="Only documents dated on or after (YYYY-MM-DD).")] = None,
    date_field: Annotated[str, typer.Option(help=f"Date --before/--after apply to: {', '.join(DATE_FIELDS)}.")] = "publication",
    ipc: Annotated[Optional[list[str]], typer.Option(help="IPC prefix, e.g. H01M or G06F1/16.")] = None,
    jurisdiction: Annotated[Optional[list[str]], typer.Option(help="US, EP, WO, CN, EU ...")] = None,
    k: Annotated[int, typer.Option(help="Number of results (at most NAVSEARCH_API__MAX_K).")] = 10,
    chunks: Annotated[bool, typer.Option("--chunks", help="One result per passage, not per document.")] = False,
    mode: Annotated[str, typer.Option(help=f"Retrievers: {', '.join(MODES)}.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hybrid search (dense + BM25) with filters; results grouped per document."""
    service = _service()
    filters = _filters(service, doc_type, before, after, date_field, ipc, jurisdiction)
    result = service.search(
        query, k=k, filters=filters, group="chunk" if chunks else "document", mode=mode  # type: ignore[arg-type]
    )
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in result.hits], default=_jsonable, ensure_ascii=False, indent=2))
    else:
        _print_hits(result.hits)


@app.command("prior-art")
def prior_art(
    idea: Annotated[str, typer.Argument(help="The idea: a paragraph or a draft claim.")],
    element: Annotated[Optional[list[str]], typer.Option(help="Give the elements yourself (repeatable).")] = None,
    priority_date: Annotated[Optional[str], typer.Option(help="Only references dated before it (YYYY-MM-DD).")] = None,
    cutoff_field: Annotated[str, typer.Option(help=f"Date the cutoff applies to: {', '.join(DATE_FIELDS)}.")] = "publication",
    ipc: Annotated[Optional[list[str]], typer.Option(help="IPC/CPC prefix (repeatable).")] = None,
    jurisdiction: Annotated[Optional[list[str]], typer.Option(help="US, EP, WO, ... (repeatable).")] = None,
    k: Annotated[int, typer.Option(help="References (patent families) to return (at most NAVSEARCH_PRIOR_ART__MAX_K).")] = 10,
    out_json: Annotated[Optional[Path], typer.Option("--json-out", help="Write the search record as JSON.")] = None,
    out_csv: Annotated[Optional[Path], typer.Option("--csv-out", help="Write reference x element rows as CSV.")] = None,
) -> None:
    """Prior art for an idea: references per family, each element mapped to a quote, coverage, policy."""
    service = _service()
    filters = _filters(service, date_field=cutoff_field, ipc=ipc, jurisdiction=jurisdiction)
    result = service.prior_art(
        idea,
        elements=element,
        priority_date=parse_date(priority_date, "--priority-date"),
        cutoff_field=filters.date_field,
        ipc=filters.ipc_prefixes,
        jurisdictions=filters.jurisdictions,
        k=k,
    )
    if out_json:
        out_json.write_text(service.export_prior_art(result, "json"))
    if out_csv:
        out_csv.write_text(service.export_prior_art(result, "csv"))
    mark = {"disclosed": "■", "partly": "▣"}
    typer.echo("elements:")
    for i, e in enumerate(result.elements, start=1):
        typer.echo(f"  E{i}  {e}")
    for ref in result.references:
        when = ref.publication_date.isoformat() if ref.publication_date else "date unknown"
        cells = " ".join(f"E{m.element + 1}{mark.get(m.status, '□')}" for m in ref.matches)
        typer.echo(f"{ref.rank:>2}. {ref.number or ref.doc_id}  {ref.title}  ({when})  {cells}")
        if ref.family_members:
            typer.echo(f"      family: {' '.join(ref.family_members[:8])}")
        for m in ref.matches:
            if m.status != "not found":
                typer.echo(f"      E{m.element + 1} {m.status} {m.score:.2f}  {m.citation}: \"{m.quote[:160]}\"")
    c = result.coverage
    typer.echo(f"anticipation risk: {', '.join(c.anticipating) or 'none'}")
    typer.echo(f"obviousness risk (pairs covering every element): {', '.join('+'.join(p) for p in c.covering_pairs) or 'none'}")
    typer.echo(
        "candidate points of novelty: "
        + (", ".join(f"E{i + 1}" for i in c.novelty_candidates) or "none (every element is at least partly disclosed)")
    )
    if result.policy:
        typer.echo("policy and statutes:")
        for h in result.policy:
            typer.echo(f"  {h.passages[0].citation}")
    for note in result.notes:
        typer.echo(f"note: {note}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the corpus.")],
    doc_type: Annotated[Optional[list[str]], typer.Option("--type", help=f"Document type: {', '.join(DOC_TYPES)} (repeatable).")] = None,
    jurisdiction: Annotated[Optional[list[str]], typer.Option(help="US, EU, CN ...")] = None,
    generate: Annotated[bool, typer.Option(help="Also ask the configured LLM endpoint, and check its answer.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Answer from the corpus only: verbatim quotes with citations, or a refusal."""
    service = _service()
    filters = _filters(service, doc_type, jurisdiction=jurisdiction)
    answer = service.ask_generated(question, filters) if generate else service.ask(question, filters)
    if as_json:
        typer.echo(json.dumps(asdict(answer), default=_jsonable, ensure_ascii=False, indent=2))
        return
    if not answer.answered:
        typer.echo(f"{answer.answer} (evidence {answer.evidence:.2f} < {answer.threshold:.2f})")
        for src in answer.sources[:3]:
            typer.echo(f"  nearest: {src.citation}")
    for q in answer.quotes:
        typer.echo(f"“{q.text}”")
        typer.echo(f"    — {q.citation}")
    if answer.generated:
        typer.echo(f"\ngenerated ({answer.generated.get('status')}): {answer.generated.get('text')}")
    for note in answer.notes:
        typer.echo(f"note: {note}")


@app.command()
def report(
    doc_id: Annotated[Optional[str], typer.Argument(help="A document id; omit to list rejected files.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ingestion report: what was found, changed and split in a document; or the rejected files."""
    service = _service()
    if doc_id:
        r = service.report(doc_id)
        if as_json:
            typer.echo(json.dumps(asdict(r), indent=2, ensure_ascii=False))
            return
        typer.echo(f"{r.doc_id} ({r.doc_type}) from {r.source}")
        for key, value in r.found.items():
            typer.echo(f"  found    {key}: {value}")
        for note in r.changed:
            typer.echo(f"  changed  {note}")
        for part in r.split:
            typer.echo(f"  split    {part}")
        return
    failures = service.failures()
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in failures], indent=2, ensure_ascii=False))
    elif not failures:
        typer.echo("no rejected files")
    else:
        for f in failures:
            typer.echo(f"rejected {f.path} at step '{f.step}': {f.error}")


@app.command("eval")
def evaluate_cmd(
    queries: Annotated[Path, typer.Option(help="BEIR queries.jsonl (_id, text, optional date fields).")],
    qrels: Annotated[Path, typer.Option(help="BEIR qrels.tsv (query-id, corpus-id, score).")],
    exclude: Annotated[Optional[Path], typer.Option(help="JSONL of {query-id, exclude: [...]}.")] = None,
    cutoff_field: Annotated[
        Optional[str], typer.Option(help="Query field holding a date: only documents dated before it count.")
    ] = None,
    date_field: Annotated[str, typer.Option(help=f"Document date the cutoff applies to: {', '.join(DATE_FIELDS)}.")] = "publication",
    doc_type: Annotated[Optional[list[str]], typer.Option("--type", help=f"Restrict to a document type: {', '.join(DOC_TYPES)}.")] = None,
    mode: Annotated[
        Optional[list[str]], typer.Option(help=f"Repeatable: {', '.join(EVAL_MODES)} (default: all but prior-art).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of the table.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Also write the JSON results here.")] = None,
) -> None:
    """recall@10/100, nDCG@10, MRR@10 and MAP of each mode on a query set."""
    service = _service()
    filters = _filters(service, doc_type, date_field=date_field)
    results = service.evaluate(
        queries, qrels, exclude, modes=tuple(mode or MODES), cutoff_field=cutoff_field, filters=filters
    )
    payload = {"queries": str(queries), "cutoff_field": cutoff_field, "index": asdict(service.info()), "results": results}
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(payload, indent=2, default=_jsonable))
    typer.echo(json.dumps(payload, indent=2, default=_jsonable) if as_json else eval_table(results))


@app.command()
def repair() -> None:
    """Check the catalog, remove what an interrupted publish left, and rebuild the index
    generation from the catalog when it is missing, damaged or out of date."""
    report = _service().repair()
    typer.echo(f"catalog: intact; {report.temp_files_removed} leftover temporary file(s) removed")
    if report.problem:
        typer.echo(f"index: {report.problem}; generation {report.generation} published from the catalog")
    else:
        typer.echo(f"index: generation {report.generation} is current and intact")


@app.command()
def info(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Counts, model and index generation."""
    data = asdict(_service().info())
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        typer.echo(f"{key:20} {value}")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from navsearch.api.app import create_app

    settings = _current_settings()
    NavSearch(settings).catalog.check_integrity()  # a damaged catalog: one clear line, exit 2
    uvicorn.run(create_app(settings), host=host or settings.api.host, port=port or settings.api.port)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("navsearch").setLevel(logging.INFO)
    try:
        app()
    except NavsearchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
