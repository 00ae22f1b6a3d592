"""Reading JSON Lines with errors that name the file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from navsearch.errors import ParseError


def json_objects(path: Path, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a bad line stops the file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(source, "read", str(exc)) from exc
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(source, f"line {line_no}", f"invalid JSON: {exc.msg}") from exc
        if not isinstance(record, dict):
            raise ParseError(source, f"line {line_no}", "expected a JSON object")
        yield line_no, record
