"""Patent numbers as cited, IPC/CPC symbols, old-style IPC strings (and dropping repeats)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree.ElementTree import Element

_US_NUMBER = re.compile(r"^([A-Z]*)0*(\d.*)$")


def _symbol(c: Element) -> str:
    """IPCR / CPC element → ``H01M2/10``: section+class+subclass+group/subgroup."""
    head = "".join((c.findtext(t) or "").strip() for t in ("section", "class", "subclass"))
    group = (c.findtext("main-group") or "").strip()
    subgroup = (c.findtext("subgroup") or "").strip()
    return f"{head}{group}/{subgroup}" if group and subgroup else head


_IPC_HEAD = re.compile(r"^([A-H])\s*(\d{1,2})\s*([A-Z])(.*)$")


def _normalise_ipc(raw: str) -> str | None:
    """Old-style IPC strings → ``A45F5/04``.

    Two spellings occur: v4.0's fixed-width ``"A45F  504"`` (subclass in 4 columns, main
    group right-aligned in 3, subgroup after) and pap-v16's ``"A41B001/00"``.
    """
    s = raw.strip().upper()
    m = _IPC_HEAD.match(s)
    if not m:
        return None
    head = f"{m.group(1)}{int(m.group(2)):02d}{m.group(3)}"
    rest = m.group(4)
    if not rest.strip():
        return head
    if "/" in rest:
        group, subgroup = (part.strip() for part in rest.split("/", 1))
    else:
        # Fixed width counts from the start of the string, so spaces are significant.
        rest = s[4:]
        group, subgroup = rest[:3].strip(), rest[3:].strip()
    if not (group.isdigit() and subgroup.isdigit()):
        return None
    return f"{head}{int(group)}/{subgroup}"


def _normalise_ipc_strings(raw: list[str], notes: list[str]) -> list[str]:
    codes: list[str] = []
    for value in raw:
        if not value.strip():
            continue
        code = _normalise_ipc(value)
        if code is None:
            notes.append(f"IPC {value.strip()!r} not understood; skipped")
        else:
            codes.append(code)
    return _unique(codes)


def _format_number(country: str, doc_number: str | None) -> str:
    """Country + number as cited: ``US`` + ``06836899`` → ``US6836899``.

    Cited numbers sometimes repeat the country (``WO 03/015838``, ``WO-2008137319``) and
    carry spaces (``0 906 947``). US numbers lose leading zeros after their series letters
    (``D0534340`` → ``D534340``) and the slash of pre-2004 publications (``2001/0003163``);
    other offices keep their zeros (``EP0906947`` is how EP numbers are written).
    """
    country = country.strip().upper()
    number = "".join((doc_number or "").split())
    if number.upper().startswith(country) and len(number) > len(country):
        number = number[len(country) :].lstrip("-")
    if country == "US":
        number = number.replace("/", "")
        m = _US_NUMBER.match(number)
        if m:
            number = m.group(1) + m.group(2)
    return f"{country}{number}"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
