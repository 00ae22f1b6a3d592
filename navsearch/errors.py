"""One exception hierarchy. The API maps it to HTTP problems, the CLI to one-line messages."""

from __future__ import annotations


class NavsearchError(Exception):
    """Base of every error navsearch raises on purpose."""

    status = 500  # HTTP status the API answers with
    title = "Internal error"


class InvalidInput(NavsearchError):
    """A request, filter or file argument is malformed."""

    status = 422
    title = "Invalid input"


class ParseError(NavsearchError):
    """A document could not be parsed. The message names the file and the step."""

    status = 422
    title = "Document could not be parsed"

    def __init__(self, source: str, step: str, reason: str) -> None:
        super().__init__(f"{source}: {step}: {reason}")
        self.source = source
        self.step = step
        self.reason = reason


class UnsupportedFormat(ParseError):
    """No parser accepts this file."""


class NoTextLayer(ParseError):
    """A PDF has no extractable text (scanned images): reported, never indexed empty."""


class NotFound(NavsearchError):
    status = 404
    title = "Not found"


class IndexMismatch(NavsearchError):
    """The index on disk was built with another model or is inconsistent with the store."""

    status = 409
    title = "Index does not match"


class NotReady(NavsearchError):
    status = 503
    title = "Service not ready"


class CatalogDamaged(NavsearchError):
    """The SQLite catalog is damaged or empty: refused, and the file left as it is."""

    status = 503
    title = "Catalog damaged"


class Conflict(NavsearchError):
    """The request cannot run now because of other work (an ingest run in progress)."""

    status = 409
    title = "Conflict"
