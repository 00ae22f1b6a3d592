"""Parse USPTO full-text XML: grants and applications (DTD v4.0–v4.5) and 2004 applications.

USPTO ships weekly bulk files (``ipgYYMMDD.xml``, ``ipaYYMMDD.xml``) that are not one XML
document but many concatenated ones, each with its own ``<?xml ...?>`` declaration and
``<!DOCTYPE ... SYSTEM "....dtd" [ ]>``. We split on the declarations and parse each piece
on its own with defusedxml: the external DTD is never loaded (expat does not read external
subsets unless asked) and any entity declaration is refused, so billion-laughs and XXE
documents fail with a ParseError instead of expanding.

Named entities that only the DTD defines (``&mdash;``) would make expat fail on an
undefined entity, since the DTD is not read. They are rewritten to numeric character
references before parsing, which needs no entity expansion at all.

Supported roots:
- ``us-patent-grant`` / ``us-patent-application`` (v4.0 2004-12-02 to v4.5 2014-04-03);
- ``patent-application-publication`` (pap-v16, applications published 2001–2004);
- ``sequence-cwu`` (a grant's sequence listing, shipped as a separate document right after
  the grant it belongs to): skipped, with a note on that grant.

Modules, each importing only those listed above it:
  xml_text.py   inner text of an element, block elements kept apart; a child's text
  codes.py      patent numbers as cited, IPC/CPC symbols, old-style IPC strings
  bulk.py       split_documents: a bulk file cut into documents; safe parsing of each
  body.py       abstract, claims with their dependencies, description paragraphs
  biblio.py     v4.x and pap-v16: bibliographic data (numbers, dates, IPC/CPC, assignee,
                citations) and where the abstract, claims and description are
  document.py   parse_uspto_xml, iter_uspto_documents: pieces -> Documents
"""

from __future__ import annotations

from navsearch.ingest.uspto_xml.bulk import split_documents
# Private, re-exported for the tests that check them directly.
from navsearch.ingest.uspto_xml.codes import _format_number, _normalise_ipc  # noqa: F401
from navsearch.ingest.uspto_xml.bulk import stream_documents
from navsearch.ingest.uspto_xml.document import documents_of_pieces, iter_uspto_documents, parse_uspto_xml

__all__ = ["documents_of_pieces", "iter_uspto_documents", "parse_uspto_xml", "split_documents", "stream_documents"]
