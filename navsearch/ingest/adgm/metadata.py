"""Metadata: from the file name (id, short name, version date), from ObliQA's
DocumentMap.rtf (title), and a preamble's title line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

DOCUMENT_MAP_NAME = "DocumentMap.rtf"

# --- metadata from the file name -----------------------------------------------------
VERSION_STAMP = re.compile(r"VER\d{1,2}\.(?P<stamp>\d{6}|\d{8})(?!\d)")
SHORT_NAME = re.compile(r"^(?P<name>[A-Z]{2,6})(?=[_ ]VER\d| Regulations\b| \(Consolidated)")
MONTHS = ("january february march april may june july august september october november december").split()
DAY_MONTH_YEAR = re.compile(r"(?<!\d)(?P<d>\d{1,2}) (?P<m>[A-Z][a-z]+) (?P<y>\d{4})(?!\d)")


# --- metadata ------------------------------------------------------------------------
def slug(stem: str) -> str:
    """URL-safe id from a file stem: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


def short_name(stem: str) -> str | None:
    """The rulebook's short name from the file name: "COBS_VER15.150823" -> "COBS"."""
    m = SHORT_NAME.match(stem)
    return m.group("name") if m else None


def version_date(stem: str) -> date | None:
    """The date a file name encodes: "VER15.150823" (DDMMYY), "VER03.18042019" (DDMMYYYY),
    or "14 October 2019". Bare "_240220" stamps are ambiguous (YYMMDD or DDMMYY): None."""
    m = VERSION_STAMP.search(stem)
    try:
        if m:
            s = m.group("stamp")
            year = 2000 + int(s[4:6]) if len(s) == 6 else int(s[4:8])
            return date(year, int(s[2:4]), int(s[0:2]))
        m2 = DAY_MONTH_YEAR.search(stem)
        if m2 and m2.group("m").lower() in MONTHS:
            return date(int(m2.group("y")), MONTHS.index(m2.group("m").lower()) + 1, int(m2.group("d")))
    except ValueError:
        return None
    return None


def _rtf_text(rtf: str) -> str:
    """Enough of RTF for the DocumentMap: \\'hh escapes (cp1252) and escaped line ends."""
    text = re.sub(r"\\'([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]).decode("cp1252"), rtf)
    return text.replace("\\\n", "\n").replace("\\{", "{").replace("\\}", "}")


def load_document_map(path: Path) -> dict[int, list[str]]:
    """ObliQA's DocumentMap.rtf: document id -> names (file stem first, then titles)."""
    text = _rtf_text(path.read_text(encoding="cp1252", errors="replace"))
    entries: dict[int, list[str]] = {}
    for m in re.finditer(r"(\d+):\s*\[(.*?)\]", text, flags=re.S):
        entries[int(m.group(1))] = re.findall(r'"([^"]*)"', m.group(2))
    return entries


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def document_map_id(stem: str, entries: dict[int, list[str]]) -> int | None:
    """The map entry for a file stem: same letters and digits, or the only entry whose
    stem starts the file's ("... (Consolidated_October 2023)" for "... 2023) v6")."""
    key = _key(stem)
    exact = [i for i, names in entries.items() if names and _key(names[0]) == key]
    if exact:
        return exact[0]
    prefix = [i for i, names in entries.items() if names and key.startswith(_key(names[0]))]
    return prefix[0] if len(prefix) == 1 else None


def title_from_map(names: list[str]) -> str | None:
    """The fullest title of a map entry: the longest name other than the file stem."""
    others = [n for n in names[1:] if n.strip()]
    return max(others, key=len) if others else None


def _find_document_map(path: Path) -> Path | None:
    for folder in (path.parent, path.parent.parent):
        candidate = folder / DOCUMENT_MAP_NAME
        if candidate.is_file():
            return candidate
    return None


def _title_line(preamble: list[str]) -> str | None:
    """The document's own title: its first line, when that reads as a title."""
    if not preamble:
        return None
    first = preamble[0].strip().split("\t")[0].strip()
    return first if 3 <= len(first) <= 160 and not first.endswith((".", ":")) else None
