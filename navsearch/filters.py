"""Search filters from what a user typed or sent: the one place that checks and
normalises them, for the CLI, the HTTP API and the library alike."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from navsearch.errors import InvalidInput
from navsearch.types import DATE_FIELDS, DOC_TYPES, Filters

# An IPC or CPC prefix at any depth: section, class, subclass, main group, subgroup
# ("H", "H01", "H01M", "H01M2", "G06F1/16").
IPC_PATTERN = r"^[A-H](\d{2}([A-Z](\d{1,4}(/\d{1,6})?)?)?)?$"
JURISDICTION_PATTERN = r"^[A-Za-z]{2}$"
_IPC = re.compile(IPC_PATTERN)
_JURISDICTION = re.compile(JURISDICTION_PATTERN)


def normalise_ipc(prefix: str) -> str:
    """'h01m 2/10' -> 'H01M2/10': how codes are stored, whatever the spacing typed."""
    return prefix.replace(" ", "").upper()


def parse_date(value: str | date | None, name: str) -> date | None:
    """A day given as ISO text (or already a date); the error names the option."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2013-04-02, got {value!r}") from exc


def build_filters(
    *,
    doc_types: Iterable[str] = (),
    date_field: str = "publication",
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    ipc: Iterable[str] = (),
    jurisdictions: Iterable[str] = (),
    assignees: Iterable[str] = (),
    max_values: int | None = None,
) -> Filters:
    """Checked, normalised filters; an InvalidInput names the bad value.

    >>> build_filters(doc_types=["patent"], ipc=["h01m"], jurisdictions=["us"]).ipc_prefixes
    ('H01M',)
    """
    types = tuple(dict.fromkeys(doc_types))
    for t in types:
        if t not in DOC_TYPES:
            raise InvalidInput(f"document type must be one of {', '.join(DOC_TYPES)}, got {t!r}")
    if date_field not in DATE_FIELDS:
        raise InvalidInput(f"date field must be one of {', '.join(DATE_FIELDS)}, got {date_field!r}")
    start = parse_date(date_from, "date_from")
    end = parse_date(date_to, "date_to")
    if start and end and start > end:
        raise InvalidInput(f"date_from ({start.isoformat()}) is after date_to ({end.isoformat()}): nothing can match")
    prefixes = tuple(dict.fromkeys(normalise_ipc(p) for p in ipc))
    for p in prefixes:
        if not _IPC.match(p):
            raise InvalidInput(f"ipc prefix {p!r} is not an IPC/CPC code such as H01M or G06F1/16")
    places = tuple(dict.fromkeys(j.strip().upper() for j in jurisdictions))
    for j in places:
        if not _JURISDICTION.match(j):
            raise InvalidInput(f"jurisdiction {j!r} is not a two-letter code such as US, EP, CN or EU")
    names = tuple(dict.fromkeys(" ".join(a.split()) for a in assignees if a.strip()))
    for a in names:
        if len(a) < 2:
            raise InvalidInput(f"assignee {a!r} is too short to search for: give at least two characters of the name")
    if max_values is not None:
        for name, values in (("ipc", prefixes), ("jurisdictions", places), ("assignees", names)):
            if len(values) > max_values:
                raise InvalidInput(f"{name} lists {len(values)} values; the limit is {max_values}")
    return Filters(
        doc_types=types,
        date_field=date_field,  # type: ignore[arg-type]  # checked against DATE_FIELDS above
        date_from=start,
        date_to=end,
        ipc_prefixes=prefixes,
        jurisdictions=places,
        assignees=names,
    )
