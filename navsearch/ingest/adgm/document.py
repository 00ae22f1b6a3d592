"""parse_adgm_rulebook: a rulebook file -> its Outline -> one Document via TextBuilder;
outline_adgm_rulebook; looks_like_adgm_rulebook, the registry's content sniff."""

from __future__ import annotations

from pathlib import Path

from navsearch.errors import ParseError
from navsearch.ingest.adgm.metadata import (
    DOCUMENT_MAP_NAME,
    _find_document_map,
    _title_line,
    document_map_id,
    load_document_map,
    short_name,
    slug,
    title_from_map,
    version_date,
)
from navsearch.ingest.adgm.numbering import ADGM_MENTION, match_marker
from navsearch.ingest.adgm.outline import Outline, Provision, clean_lines, heading_chains, read_outline
from navsearch.ingest.builder import TextBuilder
from navsearch.types import Document

ISSUER = "Financial Services Regulatory Authority (FSRA), ADGM"
JURISDICTION = "AE-ADGM"


# --- building the Document -----------------------------------------------------------
def _section_text(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _unique_paths(provisions: list[Provision]) -> list[str]:
    """A repeated number keeps its first occurrence; later ones get "#2", "#3"."""
    seen: dict[str, int] = {}
    paths = []
    for p in provisions:
        seen[p.number] = seen.get(p.number, 0) + 1
        paths.append(p.number if seen[p.number] == 1 else f"{p.number}#{seen[p.number]}")
    return paths


def build_document(path: Path, outline: Outline, *, source: str, title: str | None, notes: list[str]) -> Document:
    builder = TextBuilder()
    doc_notes = list(notes) + outline.notes
    if outline.preamble:
        builder.add("preamble", "preamble", _section_text(outline.preamble))
    paths = _unique_paths(outline.provisions)
    repeated = [f"{p.number} (line {p.line_no})" for p, q in zip(outline.provisions, paths) if q != p.number]
    if repeated:
        doc_notes.append(f"{len(repeated)} repeated rule number(s) suffixed #2..: {', '.join(repeated[:8])}"
                         f"{' ...' if len(repeated) > 8 else ''}")
    for p, p_path, heading in zip(outline.provisions, paths, heading_chains(outline.provisions)):
        # A heading line stays in the text, where a reader sees it, as a section of kind
        # "heading": cited by its number, never chunked for retrieval (its words reach the
        # rules under it through their heading chain).
        builder.add("heading" if p.heading_only else "clause", p_path, _section_text(p.lines), heading=heading)
    stem = path.stem
    published = version_date(stem)
    if published is None:
        doc_notes.append(f"publication date: the file name {stem!r} encodes no unambiguous date")
    return Document(
        doc_id=slug(stem),
        doc_type="policy",
        title=title or _title_line(outline.preamble) or stem,
        text=builder.text,
        sections=builder.sections,
        source=source,
        number=short_name(stem),
        publication_date=published,
        jurisdiction=JURISDICTION,
        issuer=ISSUER,
        notes=doc_notes,
    )


def looks_like_adgm_rulebook(head: str) -> bool:
    """Content sniff for the registry: rule numbers followed by a tab at line starts.

    Three tab-separated markers in ``head`` (the first few KB), or one where the text
    names ADGM / the FSRA. Circulars number "I." / "1." / "(1)" with a space, never a tab.
    """
    lines, _ = clean_lines(head)
    markers = 0
    for line in lines[:-1]:  # the last line may be cut off mid-way
        found = match_marker(line)
        if found and line[len(found[0]):].lstrip(" ").startswith("\t"):
            markers += 1
    return markers >= 3 or (markers >= 1 and bool(ADGM_MENTION.search(head)))


def outline_adgm_rulebook(path: Path, *, source: str | None = None) -> tuple[Outline, list[str]]:
    """Read a rulebook file into its outline (and notes on cleaning); ParseError when no rule."""
    source = source or str(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(source, "read text", str(exc)) from exc
    lines, invisible = clean_lines(raw)
    outline = read_outline(lines)
    if not outline.provisions:
        raise ParseError(source, "rule numbers", "no numbered rule (2.1.3, Part 1.Chapter 1.1.(1), 12)) found")
    notes = [f"removed {invisible} invisible direction mark(s) (U+200E/U+200F)"] if invisible else []
    return outline, notes


def parse_adgm_rulebook(path: Path, *, source: str | None = None, title: str | None = None) -> list[Document]:
    """Parse one ADGM rulebook or guidance text file into one Document.

    ``title`` wins; else the title from a ``DocumentMap.rtf`` next to the file (or one
    folder up, as in the ObliQA layout); else the file's title line; else its stem.

    >>> [doc] = parse_adgm_rulebook(Path("COBS_VER15.150823.txt"))  # doctest: +SKIP
    >>> doc.number, doc.publication_date.isoformat()  # doctest: +SKIP
    ('COBS', '2023-08-15')
    """
    source = source or str(path)
    outline, notes = outline_adgm_rulebook(path, source=source)
    if title is None:
        map_path = _find_document_map(path)
        if map_path is not None:
            entries = load_document_map(map_path)
            found = document_map_id(path.stem, entries)
            if found is not None:
                title = title_from_map(entries[found])
                notes.append(f"title from {DOCUMENT_MAP_NAME} (ObliQA document {found})")
    return [build_document(path, outline, source=source, title=title, notes=notes)]
