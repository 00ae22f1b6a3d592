"""A bulk file cut into documents at their ``<?xml`` declarations; each parsed safely.

Parsing uses defusedxml: the external DTD is never loaded and any entity declaration is
refused. DTD-only named entities are rewritten to numeric character references first.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable, Iterator
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml
import defusedxml.ElementTree as SafeET

from navsearch.errors import ParseError

# A declaration starts every document of a bulk file; `\s` keeps `<?xml-stylesheet` out.
_XML_DECL = re.compile(rb"<\?xml\s")
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_REPLACEMENT_REF = b"&#xFFFD;"


def split_documents(data: bytes) -> list[tuple[int, bytes]]:
    """Cut a bulk file at each ``<?xml`` declaration: ``(byte offset, piece)`` pairs."""
    starts = [m.start() for m in _XML_DECL.finditer(data)]
    if not starts or data[: starts[0]].strip():
        # No declaration at all, or content before the first one: keep it as a piece so
        # that it is parsed (and fails loudly) rather than silently dropped.
        starts.insert(0, 0)
    ends = starts[1:] + [len(data)]
    return [(a, data[a:b]) for a, b in zip(starts, ends) if data[a:b].strip()]


def stream_documents(read: Callable[[int], bytes], block: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """split_documents over a stream (``read(n)`` as a file's): pieces are yielded as soon
    as the next declaration is seen, so a weekly file of 1 GB is never in memory whole."""
    buffer = b""
    base = 0  # byte offset of buffer[0] in the stream
    while True:
        data = read(block)
        buffer += data
        # The last declaration in the buffer may be the start of an unfinished piece.
        starts = [m.start() for m in _XML_DECL.finditer(buffer)]
        if data:
            cuts = starts[1:] if starts and starts[0] == 0 else starts
            cut = cuts[-1] if cuts else 0
        else:
            cut = len(buffer)
        if cut:
            for offset, piece in split_documents(buffer[:cut]):
                yield base + offset, piece
            buffer, base = buffer[cut:], base + cut
        if not data:
            return


# ---------------------------------------------------------------------------
# Safe parsing


def _parse_piece(piece: bytes, source: str, where: str) -> tuple[Element, list[str]]:
    notes: list[str] = []
    piece = _replace_named_entities(piece, notes)
    try:
        # forbid_dtd=False: every USPTO document has a DOCTYPE. Entity declarations and
        # external references stay forbidden, which is what defuses the attacks.
        root = SafeET.fromstring(piece, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(source, f"{where}: xml security", f"refused: {exc}") from exc
    except XMLSyntaxError as exc:
        raise ParseError(source, f"{where}: xml syntax", str(exc)) from exc
    return root, notes


def _replace_named_entities(piece: bytes, notes: list[str]) -> bytes:
    """Rewrite DTD-only named entities (``&mdash;``) as numeric character references.

    The DTD that defines them is never read, so expat would reject them as undefined.
    Numeric references need no entity machinery; unknown names become U+FFFD (noted)
    rather than losing the whole patent over one character.
    """
    replaced = 0
    unknown: set[str] = set()

    def substitute(match: re.Match[bytes]) -> bytes:
        nonlocal replaced
        name = match.group(1)
        if name in _XML_PREDEFINED:
            return match.group(0)
        chars = html.entities.html5.get(name.decode("ascii") + ";")
        if chars is None:
            unknown.add(name.decode("ascii"))
            return _REPLACEMENT_REF
        replaced += 1
        return "".join(f"&#x{ord(c):X};" for c in chars).encode("ascii")

    if b"&" not in piece:
        return piece
    out = _NAMED_ENTITY.sub(substitute, piece)
    if replaced:
        notes.append(f"{replaced} named entities replaced by their characters")
    if unknown:
        notes.append(f"unknown named entities replaced by U+FFFD: {', '.join(sorted(unknown))}")
    return out
