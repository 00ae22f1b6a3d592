"""Bibliographic fields printed on a US grant's or application's front page, so that IPC
filters and application/priority cutoffs work on PDFs as they do on the XML:

  (51) Int. Cl.           IPC codes, normalised as the XML's are ("C12N15/70")
  (52) U.S. Cl. / CPC     CPC codes
  (22) Filed / PCT Filed  application date
  (30) Foreign Application Priority Data   priority date (earliest), as the XML's
                          priority claims give it
  (73) Assignee (or (71) Applicant when no assignee is printed)
  (72)/(75) Inventors     recorded in the notes (a Document has no inventors field)
  (60)-(63), (65)         related applications: their numbers go to ``family``

Text-layer OCR misreads digits as letters in codes ("CI2N" for C12N, "HOIM" for H01M,
"Ho2J" for H02J); the positions that must be digits are repaired, and a code that still
does not parse is left out and noted, never guessed. A field printed but malformed
("H02.7/00 (2006.01)") is listed in ``malformed``, so the page can be read again by OCR
(``take_read_again`` takes what parses there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from navsearch.ingest.uspto_xml.codes import _normalise_ipc

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DATE = r"([A-Z][a-z]{2,3})\s*\.?\s*(\d{1,2})\s*[,.]\s*(\d{4})"
_FIELD = re.compile(r"\(\s*(\d{2})\s*\)")  # an INID code where a field starts
# Class symbol: section letter, 2 digits, subclass letter, group / subgroup; OCR letters
# allowed where digits belong (fixed below).
_CODE = re.compile(
    r"\b([A-H])\s?([0-9OIlo]\s?[0-9OIlo])\s?([A-Z])\s?([0-9OIlo](?:\s?[0-9OIlo]){0,3})\s?/\s?([0-9OIlo]{2,6})\b"
)
# The slash lost: "HO2J 700 (2006.01)". Only three digits are unambiguous (a main group
# has at least one digit, a subgroup at least two), and only before a version "(2006.01)".
_CODE_NO_SLASH = re.compile(
    r"\b([A-H])\s?([0-9OIlo]\s?[0-9OIlo])\s?([A-Z])\s?([0-9OIlo])\s?([0-9OIlo]{2})\s*\(\s*(?:19|20)\d\d\.\d\d\s*\)"
)
_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_NUMBER = re.compile(r"(?:No\.|Nos\.)\s*((?:PCT/)?[A-Z]{0,2}[\d/,.]{5,})")


@dataclass
class FrontFields:
    ipc: list[str] = field(default_factory=list)
    cpc: list[str] = field(default_factory=list)
    application_date: date | None = None
    priority_date: date | None = None
    assignee: str | None = None
    inventors: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Fields printed on the page whose text does not parse ("H02.7/00 (2006.01)"): worth
    # reading again from the printed page (document.py does, by OCR, when it may).
    malformed: dict[str, str] = field(default_factory=dict)  # field name -> the text read


# Chinese front pages print dates as numbers: "(22)申请日 2015.04.30".
_CN_DATE = r"((?:19|20)\d\d)\s*[.年]\s*(\d{1,2})\s*[.月]\s*(\d{1,2})"


def _date(text: str) -> date | None:
    m = re.search(_DATE, text)
    try:
        if m and m.group(1)[:3].lower() in _MONTHS:
            return date(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], int(m.group(2)))
        cn = re.search(_CN_DATE, text)
        return date(int(cn.group(1)), int(cn.group(2)), int(cn.group(3))) if cn else None
    except ValueError:
        return None


def _fields(text: str) -> dict[int, str]:
    """INID code -> its text (up to the next code), every occurrence of the code joined."""
    out: dict[int, str] = {}
    marks = list(_FIELD.finditer(text))
    for m, nxt in zip(marks, [*marks[1:], None]):
        code = int(m.group(1))
        part = text[m.end() : nxt.start() if nxt else len(text)].strip()
        # A field "(Continued)" on the next page is printed again there: both parts count.
        out[code] = f"{out[code]}\n{part}" if code in out else part
    return out


def _codes(text: str) -> list[str]:
    out: list[str] = []
    found = sorted([*_CODE.finditer(text), *_CODE_NO_SLASH.finditer(text)], key=lambda m: m.start())
    for m in found:
        section, cls, sub, group, subgroup = m.groups()
        cls, group = cls.replace(" ", ""), group.replace(" ", "")
        raw = f"{section}{cls.translate(_DIGITS)}{sub} {group.translate(_DIGITS)}/{subgroup.translate(_DIGITS)}"
        code = _normalise_ipc(raw)
        if code and code not in out:
            out.append(code)
    return out


_NO_IPC_NOTE = "front page: (51) Int. Cl. printed but no IPC code could be read"
_VERSION = re.compile(r"\(\s*(?:19|20)\d\d\s*\.\s*\d\d\s*\)")  # IPC version "(2006.01)"


def _malformed_codes(text: str) -> str | None:
    """The first line of an (51) field that carries an IPC version "(2006.01)" but no code
    that parses before it: a code printed there that the text layer garbled."""
    for line in text.splitlines():
        version = _VERSION.search(line)
        if version and not _codes(line[: version.end()]):
            return line.strip()
    return None


def _party(text: str) -> str | None:
    """The name of an assignee, applicant or inventor without its residence: printed as
    "Name, City, ST (US)" or "Name, City (DK)"; the name may hold commas itself."""
    label = r"^\s*(?:Assignees?|Applicants?|Inventors?|专利权人|申请人|发明人)\s*[:：]?\s*"
    text = re.sub(label, "", " ".join(text.split()), flags=re.I)
    text = re.sub(r"\s*/\s*", "/", text)  # "A / S": the text layer's spacing around slashes
    first = re.split(r";", text, maxsplit=1)[0]
    country = re.search(r"\(\s*[A-Z]{2}\s*\)", first)
    if country is None:
        return first.strip(" ,;") or None
    parts = [p.strip() for p in first[: country.start()].split(",")]
    drop = 2 if len(parts) > 2 and re.fullmatch(r"[A-Z]{2}", parts[-1]) else 1
    name = ", ".join(parts[:-drop] if len(parts) > drop else parts[:1]).strip(" ,;")
    return name or None


def read_front_fields(front: str) -> FrontFields:
    """The fields of a front page's text (its lines joined by newlines)."""
    out = FrontFields()
    fields = _fields(front)
    if 51 in fields:
        out.ipc = _codes(fields[51].split("(52)")[0])
        garbled = _malformed_codes(fields[51].split("(52)")[0])
        if garbled:
            out.malformed["ipc"] = garbled
        if not out.ipc:
            out.notes.append(_NO_IPC_NOTE)
    if 52 in fields:
        cpc = fields[52]
        out.cpc = _codes(cpc[cpc.find("CPC") :] if "CPC" in cpc else cpc)
    filed = fields.get(22) or fields.get(86)
    if filed:
        out.application_date = _date(filed)
        if out.application_date is None:
            out.malformed["application_date"] = " ".join(filed.split())[:60]
    if 30 in fields:
        dates = [d for d in (_date(m.group(0)) for m in re.finditer(_DATE, fields[30])) if d]
        out.priority_date = min(dates) if dates else None
        if not dates:
            out.malformed["priority_date"] = " ".join(fields[30].split())[:60]
    owner = fields.get(73) or fields.get(71)
    if owner:
        out.assignee = _party(owner)
    people = fields.get(72) or fields.get(75)
    if people:
        people = re.sub(r"^\s*Inventors?\s*:?\s*", "", people, flags=re.I)
        out.inventors = [_party(p) or p.strip() for p in people.split(";") if p.strip()]
    for code in (60, 61, 62, 63, 65):
        for m in _NUMBER.finditer(fields.get(code, "")):
            number = m.group(1).rstrip(",.")
            if number not in out.related:
                out.related.append(number)
    return out


def take_read_again(fields: FrontFields, again: FrontFields, how: str) -> list[str]:
    """Take into ``fields`` each malformed field that ``again`` (the same page read another
    way, ``how``) reads well-formed; the notes saying which came from where. A field still
    malformed there is left as the text layer gave it, never guessed."""
    notes: list[str] = []
    for name, text in fields.malformed.items():
        if name in again.malformed:
            notes.append(f"front page: {name} malformed in the text layer ({text!r}) and by {how}; left as read")
            continue
        if name == "ipc" and again.ipc:
            # The page read again gives the front page's codes in print order; codes of a
            # continued (51) field that only the text layer has keep their place after them.
            fields.ipc = again.ipc + [code for code in fields.ipc if code not in again.ipc]
            fields.notes = [note for note in fields.notes if note != _NO_IPC_NOTE]
        elif name in ("application_date", "priority_date") and getattr(again, name):
            setattr(fields, name, getattr(again, name))
        else:
            notes.append(f"front page: {name} malformed in the text layer ({text!r}), not found by {how}")
            continue
        notes.append(f"front page: {name} read by {how}: the text layer has {text!r}")
    return notes
