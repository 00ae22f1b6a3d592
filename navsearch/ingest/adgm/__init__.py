"""ADGM (Abu Dhabi Global Market) rulebooks and guidance as plain text, one rulebook a file.

The files (the ObliQA set) print each provision's full number at the start of a line,
tab-separated from its text: ``2.1.3``, ``1.2.1.(2)``, ``2.1.3.Guidance.1``,
``2.4.4.Individuals.(a)``, ``PART 2.2.1.11.(a)``, ``Part 6.Chapter 1.58.(1)``,
``Schedule 1.Part 2.Chapter 1.5.(1)``, ``APP1.A1.1``, ``SECTION VIII.C.1.``, ``D.1.1.``,
``12)``. Lettered items (``(a)``, ``(i)``, ``a)``) start lines too but are never markers:
they stay in their rule's text, as ObliQA keeps them. A cross-reference ("Rule 1.3.3",
"section 151") can only be a marker if it opens a line, and even then a keyword such as
"Rule" is not part of the grammar, so it is read as text.

Each marker opens a provision; the lines up to the next marker are its body. A marker
line with no body whose next provision is its child ("2.1<TAB>Application" before
"2.1.1") is a heading: it becomes part of the ``heading`` chain of the sections under
it, not a section of its own (ObliQA gives such lines passage ids; they never hold a
rule). Text before the first marker is the preamble. Tables (``/Table Start`` ..
``/Table End``) are kept as text of the provision they sit in and never scanned for
markers: their first column holds numbers that are not rule numbers.

Heading lines are sections of kind ``heading``: in ``Document.text`` as printed, and in
the ``Section.heading`` chain of the rules under them (which the chunker prepends as
context), but not chunks of their own: a two-word line would only crowd search results.

Paths are the printed numbers, lightly normalised (:func:`canonical_number`): no
trailing dot, no space around dots. Where the source drops part of a number, the parser
restores it and says so in ``Document.notes``: ``A1.1`` under an appendix headed
``APP1`` is ``APP1.A1.1``; a bare ``6.`` after ``...Guidance.5.`` is ``...Guidance.6``;
``Part 12.Chapter 1.134.<TAB>(2)<TAB>...`` is ``Part 12.Chapter 1.134.(2)``. A bare
number in a document numbered another way (``3.`` in ``PART`` rules, ``7.2.1`` quoted in
``n)`` guidance) is a list item or a quotation, kept as text. A number printed twice
keeps its first occurrence; later ones are suffixed ``#2``.

Modules, each importing only those listed above it:
  numbering.py  the marker grammar: match_marker, canonical_number, family
  outline.py    lines -> preamble and provisions (Provision, Outline): tables, stray and
                bare numbers, appendices, heading lines, heading chains
  metadata.py   from the file name and ObliQA's DocumentMap.rtf: id, short name, date, title
  document.py   parse_adgm_rulebook, outline_adgm_rulebook, looks_like_adgm_rulebook:
                outline -> Document via TextBuilder
"""

from __future__ import annotations

from navsearch.ingest.adgm.document import (
    ISSUER,
    JURISDICTION,
    build_document,
    looks_like_adgm_rulebook,
    outline_adgm_rulebook,
    parse_adgm_rulebook,
)
from navsearch.ingest.adgm.metadata import (
    DOCUMENT_MAP_NAME,
    document_map_id,
    load_document_map,
    short_name,
    slug,
    title_from_map,
    version_date,
)
from navsearch.ingest.adgm.numbering import canonical_number, family, match_marker
from navsearch.ingest.adgm.outline import (
    INVISIBLE,
    Outline,
    Provision,
    caption,
    clean_lines,
    heading_chains,
    read_outline,
)

__all__ = [
    "DOCUMENT_MAP_NAME",
    "INVISIBLE",
    "ISSUER",
    "JURISDICTION",
    "Outline",
    "Provision",
    "build_document",
    "canonical_number",
    "caption",
    "clean_lines",
    "document_map_id",
    "family",
    "heading_chains",
    "load_document_map",
    "looks_like_adgm_rulebook",
    "match_marker",
    "outline_adgm_rulebook",
    "parse_adgm_rulebook",
    "read_outline",
    "short_name",
    "slug",
    "title_from_map",
    "version_date",
]
