"""Reading JSON and JSON Lines with errors that name the file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from navsearch.errors import ParseError


def loads_json(text: str, source: str, step: str) -> Any:
    """``text`` decoded; ParseError naming ``source`` and ``step`` when it is not JSON or
    is nested too deeply to decode (``[`` 200,000 times would otherwise raise a bare
    RecursionError out of the parser and stop the whole ingest)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(source, step, f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError:
        raise ParseError(source, step, "invalid JSON: nested too deeply to read") from None


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
        except RecursionError:
            raise ParseError(source, f"line {line_no}", "invalid JSON: nested too deeply to read") from None
        if not isinstance(record, dict):
            raise ParseError(source, f"line {line_no}", "expected a JSON object")
        yield line_no, record
