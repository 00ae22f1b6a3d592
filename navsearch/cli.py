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
from navsearch.settings import CrossLanguageBuild, Settings
from navsearch.types import DATE_FIELDS, DOC_TYPES, MODES, Filters, Hit

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help="Search patents and policy documents.")

LOCAL_RAY = "local"  # `--ray local` (or a bare --ray): Ray started in this process

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
    assignee: list[str] | None = None,
) -> Filters:
    """Filters from command-line options; a bad date names its option."""
    return service.filters(
        doc_types=doc_types or (),
        date_field=date_field,
        date_from=parse_date(after, "--after"),
        date_to=parse_date(before, "--before"),
        ipc=ipc or (),
        jurisdictions=jurisdiction or (),
        assignees=assignee or (),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


QUOTE_CHARS = 240  # a passage as the terminal shows it; --json has the whole text
LIST_ITEMS = 8  # family members and the like shown before "+N more"


def _cut(text: str, limit: int) -> str:
    """Whitespace-normalised text, cut at a word before ``limit`` characters with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    if " " in head[limit // 2 :]:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:") + "…"


def _listed(items: tuple[str, ...] | list[str], limit: int = LIST_ITEMS) -> str:
    shown = " ".join(items[:limit])
    return shown + (f" +{len(items) - limit} more" if len(items) > limit else "")


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        typer.echo("no results")
    for i, hit in enumerate(hits, start=1):
        when = hit.publication_date.isoformat() if hit.publication_date else "date unknown"
        mark = " [cited]" if hit.cited else (" [weak]" if hit.weak else "")
        rel = f"  relevance {hit.relevance:.2f}" if hit.relevance is not None and not hit.cited else ""
        typer.echo(
            f"{i:>2}. [{hit.doc_type}] {hit.number or hit.doc_id}  {hit.title or '[title unknown]'}  ({when}){mark}{rel}"
        )
        if hit.family_members:
            typer.echo(f"      family: {_listed(hit.family_members)}")
        for p in hit.passages:
            typer.echo(f"      {p.citation}")
            typer.echo(f"        {_cut(p.text, QUOTE_CHARS)}")
        if hit.more_passages:
            typer.echo(f"      +{hit.more_passages} more provisions (navsearch show {hit.doc_id} PATH)")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    prune: Annotated[bool, typer.Option(
        help="Remove documents of files gone from the folders given (refused for an empty or missing folder).",
    )] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be added, changed, removed and pruned; write nothing.")
    ] = False,
    allow_shrink: Annotated[bool, typer.Option(
        "--allow-shrink", help="Let a file that lost more than NAVSEARCH_INGEST__MAX_SHRINK_SHARE of its documents remove them.",
    )] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    ray: Annotated[Optional[str], typer.Option(
        "--ray", metavar="[ADDRESS]",
        help=(
            "Parse, chunk and embed on a Ray cluster (HEAD:6379); alone (last, or before another "
            f"option) or '{LOCAL_RAY}': a local Ray in this process. Needs the 'cluster' extra."
        ),
    )] = None,
    ray_workers: Annotated[Optional[int], typer.Option(
        "--ray-workers", min=1, help="Embed actors on the cluster (default: as many as it holds)."
    )] = None,
    cross_language: Annotated[Optional[CrossLanguageBuild], typer.Option(
        "--cross-language", help="The cross-language index: 'now' (after the main one, with progress) or 'later' "
        "(`navsearch serve` builds it in the background). Default: NAVSEARCH_EMBEDDING__CROSS_LANGUAGE_BUILD.",
    )] = None,
) -> None:
    """Parse, chunk and embed documents into the index; unchanged ones cost nothing."""
    service = _service()
    build_now = (cross_language or service.settings.embedding.cross_language_build) == "now"
    service.cross_mode = "later"  # the main generation first, then (when now) its cross-language index below
    if ray is not None:
        if dry_run:
            raise NavsearchError("--dry-run reads files on this machine: run it without --ray")
        report = service.ingest_on_ray(
            paths, address=None if ray == LOCAL_RAY else ray, workers=ray_workers, prune=prune,
            progress=not quiet, allow_shrink=allow_shrink,
        )
    else:
        report = service.ingest(paths, prune=prune, progress=not quiet, dry_run=dry_run, allow_shrink=allow_shrink)
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
        if f.format:  # what it was read as: format, kinds found, whether OCR read some of it
            line += f" [{f.format}{': ' + ', '.join(f.kinds) if f.kinds else ''}{', OCR' if f.ocr else ''}]"
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
    if report.nodes:
        typer.echo(f"on Ray: the files were parsed and embedded on {len(report.nodes)} node(s)")
    if build_now and report.generation is not None and not report.dry_run:
        _build_cross_language(service, report.generation, progress=not quiet)
    if report.failed:
        raise typer.Exit(1)


def _build_cross_language(service: NavSearch, generation: int, progress: bool) -> None:
    """The generation's cross-language index here, when it lacks one; Ctrl-C leaves the main one intact."""
    if service.cross_language is None or service.index_problem() is None:
        return
    typer.echo(f"generation {generation} answers searches now; building its cross-language index (English<->Chinese, "
               "multilingual-e5-small). Ctrl-C leaves the rest to `navsearch serve` or `navsearch repair`, keeping what is done")
    service.cross_mode = "now"
    try:
        service.ensure_index(progress=progress)
    except KeyboardInterrupt:
        typer.echo(f"stopped: generation {generation} serves without the cross-language leg until `navsearch serve` "
                   "or `navsearch repair` finishes it", err=True)
        raise typer.Exit(130) from None
    typer.echo(f"generation {generation}: cross-language index published")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="An idea, a question or keywords.")],
    doc_type: Annotated[Optional[list[str]], typer.Option("--type", help=f"Document type: {', '.join(DOC_TYPES)} (repeatable).")] = None,
    before: Annotated[Optional[str], typer.Option(help="Only documents dated on or before (YYYY-MM-DD).")] = None,
    after: Annotated[Optional[str], typer.Option(help="Only documents dated on or after (YYYY-MM-DD).")] = None,
    date_field: Annotated[str, typer.Option(help=f"Date --before/--after apply to: {', '.join(DATE_FIELDS)}.")] = "publication",
    ipc: Annotated[Optional[list[str]], typer.Option(help="IPC prefix, e.g. H01M or G06F1/16.")] = None,
    jurisdiction: Annotated[Optional[list[str]], typer.Option(help="US, EP, WO, CN, EU ...")] = None,
    assignee: Annotated[Optional[list[str]], typer.Option(help="Assignee name or part of it (repeatable).")] = None,
    like: Annotated[Optional[str], typer.Option(help="Documents like this one (a doc id); QUERY may be empty.")] = None,
    k: Annotated[int, typer.Option(help="Number of results (at most NAVSEARCH_API__MAX_K).")] = 10,
    chunks: Annotated[bool, typer.Option("--chunks", help="One result per passage, not per document.")] = False,
    mode: Annotated[str, typer.Option(help=f"Retrievers: {', '.join(MODES)}.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out_csv: Annotated[Optional[Path], typer.Option("--csv-out", help="Also write the results as CSV rows.")] = None,
) -> None:
    """Hybrid search (dense + BM25) with filters; results grouped per document, a patent
    family as one result. Cite by number (US6078496, 35 U.S.C. 102, GDPR Article 17,
    专利法第二十四条): the cited unit comes first. -word or NOT word excludes, "a phrase"
    must appear, a AND b requires both."""
    service = _service()
    filters = _filters(service, doc_type, before, after, date_field, ipc, jurisdiction, assignee)
    result = service.search(
        query, k=k, filters=filters, group="chunk" if chunks else "document", mode=mode, like=like  # type: ignore[arg-type]
    )
    if out_csv:
        out_csv.write_text(service.export_search(query, result, filters))
    if as_json:
        typer.echo(json.dumps(asdict(result), default=_jsonable, ensure_ascii=False, indent=2))
        return
    if not result.relevant:
        typer.echo("nothing relevant found.")
    for note in result.notes:
        typer.echo(f"note: {note}")
    _print_hits(result.hits)


@app.command()
def show(
    doc_id: Annotated[str, typer.Argument(help="A doc id, or a number: US6078496, GDPR, 35 U.S.C. ...")],
    path: Annotated[Optional[str], typer.Argument(help="One provision: 'Article 17', '§ 102(a)', 第二十四条, IV.i.3, claim 1.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a document, or one of its provisions, with its citation."""
    shown = _service().show(doc_id, path)
    if as_json:
        typer.echo(json.dumps(asdict(shown), default=_jsonable, ensure_ascii=False, indent=2))
        return
    meta = shown.meta
    when = meta.publication_date.isoformat() if meta.publication_date else "date unknown"
    typer.echo(f"{shown.citation}")
    typer.echo(f"[{meta.doc_type}] {meta.doc_id}  {meta.title or '[title unknown]'}  ({when})")
    if meta.assignee:
        typer.echo(f"assignee: {meta.assignee}")
    if meta.family:
        typer.echo(f"family: {_listed(meta.family)}")
    typer.echo("")
    typer.echo(shown.text)


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
    if not result.references:
        typer.echo("no references found")
    for ref in result.references:
        when = ref.publication_date.isoformat() if ref.publication_date else "date unknown"
        cells = " ".join(f"E{m.element + 1}{mark.get(m.status, '□')}" for m in ref.matches)
        weak = "  [weak: below the relevance floor]" if ref.weak else ""
        typer.echo(f"{ref.rank:>2}. {ref.number or ref.doc_id}  {ref.title}  ({when})  {cells}{weak}")
        if ref.family_members:
            typer.echo(f"      family: {_listed(ref.family_members)}")
        for m in ref.matches:
            if m.status != "not found" and not ref.weak:
                typer.echo(f"      E{m.element + 1} {m.status} {m.score:.2f}  {m.citation}: \"{_cut(m.quote, 160)}\"")
    c = result.coverage
    typer.echo(f"anticipation risk: {', '.join(c.anticipating) or 'none'}")
    typer.echo(f"obviousness risk (pairs covering every element): {', '.join('+'.join(p) for p in c.covering_pairs) or 'none'}")
    if not result.novelty_call:
        typer.echo(f"candidate points of novelty: none listed: {result.novelty_note}")
    else:
        typer.echo(
            "candidate points of novelty: "
            + (", ".join(f"E{i + 1}" for i in c.novelty_candidates) or "none (every element is at least partly disclosed)")
        )
    if result.policy:
        typer.echo("policy and statutes:")
        for h in result.policy:
            typer.echo(f"  {h.passages[0].citation}{'  [weak]' if h.weak else ''}")
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
    """recall@10/100, nDCG@10, MRR@10, MAP@10 and MAP of each mode on a query set."""
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
def tune(
    out: Annotated[Path, typer.Option(help="Model folder to write (sentence-transformers format, with tuned.json).")],
    queries: Annotated[Optional[Path], typer.Option(help="BEIR queries.jsonl of labelled pairs (with --qrels).")] = None,
    qrels: Annotated[
        Optional[Path], typer.Option(help="BEIR qrels.tsv: query-id, corpus-id (document or passage id), score.")
    ] = None,
    max_pairs: Annotated[Optional[int], typer.Option(help="Most training pairs (default from settings).")] = None,
) -> None:
    """Fine-tune the encoder on this index's structure (title/abstract, heading/clause,
    claim/description; BM25 hard negatives) and, when given, labelled pairs."""
    report = _service().tune(out, queries=queries, qrels=qrels, max_pairs=max_pairs, progress=True)
    r = report.record
    pairs = ", ".join(f"{kind} {n}" for kind, n in r["pairs"].items() if n)
    typer.echo(f"trained on {sum(r['pairs'].values())} pairs ({pairs}) in {r['steps']} steps, {r['train_seconds']:.0f} s")
    typer.echo(f"wrote {report.out}; use it with NAVSEARCH_EMBEDDING__MODEL={report.out} and a new NAVSEARCH_INDEX_DIR "
               "(ingest again: its vectors differ from the base model's)")


@app.command()
def repair() -> None:
    """Check the catalog, remove what an interrupted publish left, and rebuild the index
    generation from the catalog when it is missing, damaged or out of date."""
    service = _service()
    service.cross_mode = "now"  # asked to mend: the cross-language index too, here, with progress
    report = service.repair(progress=True)
    typer.echo(f"catalog: intact; {report.temp_files_removed} leftover temporary file(s) removed")
    if report.problem:
        done = "published from the catalog" if report.republished else "kept; its cross-language index built"
        typer.echo(f"index: {report.problem}; generation {report.generation} {done}")
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


def with_ray_default(args: list[str]) -> list[str]:
    """``--ray`` given no address (last, or before another option) means a local Ray:
    typer has no option whose value may be left out."""
    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--ray" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out.insert(i + 1, LOCAL_RAY)
            break
    return out


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("navsearch").setLevel(logging.INFO)
    try:
        app(args=with_ray_default(sys.argv[1:]))
    except NavsearchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
