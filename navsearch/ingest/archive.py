"""Zip archives: USPTO bulk files (ipgYYMMDD.zip, ipaYYMMDD.zip) read as published, and
any other archive of documents.

A zip is hostile until read: a few KB can expand to many GB (a zip bomb), or hold a
million files. So the member count is checked first, and every member is read through a
counter that stops at ``archive_max_member_mb``, at ``archive_max_total_mb`` over the
archive, and at a compression ratio over ``archive_max_ratio`` -- all counted on the
bytes actually inflated, never on the sizes the archive declares. An XML member is
streamed into the USPTO parser one document at a time; another known format is written
to a temporary file (within the same caps) and read by its own parser; a member of an
unknown format is named in the documents' notes, never passed over silently.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from navsearch.errors import ParseError, UnsupportedFormat
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document

_MB = 1 << 20
# The ratio is judged once this much of a member is inflated: tiny files compress oddly.
RATIO_GRACE_BYTES = _MB


class _Budget:
    """Bytes inflated so far, against the archive's caps."""

    def __init__(self, source: str, options: ParseOptions) -> None:
        self.source = source
        self.options = options
        self.total = 0

    def reader(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> "_CappedReader":
        return _CappedReader(archive.open(info), info, self)


class _CappedReader:
    """read(n) over one member, refusing it the moment a cap is passed."""

    def __init__(self, raw: IO[bytes], info: zipfile.ZipInfo, budget: _Budget) -> None:
        self.raw, self.info, self.budget, self.count = raw, info, budget, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n > 0 else _MB)
        self.count += len(data)
        self.budget.total += len(data)
        options, name = self.budget.options, self.info.filename
        where = f"archive member {name}"
        if self.count > options.archive_max_member_mb * _MB:
            raise ParseError(
                self.budget.source, where,
                f"expands past ingest.archive_max_member_mb = {options.archive_max_member_mb:g} MB; refused",
            )  # fmt: skip
        if self.budget.total > options.archive_max_total_mb * _MB:
            raise ParseError(
                self.budget.source, where,
                f"the archive expands past ingest.archive_max_total_mb = {options.archive_max_total_mb:g} MB; refused",
            )  # fmt: skip
        ratio = self.count / max(1, self.info.compress_size)
        if self.count > RATIO_GRACE_BYTES and ratio > options.archive_max_ratio:
            raise ParseError(
                self.budget.source, where,
                f"compression ratio over {ratio:.0f}:1, above ingest.archive_max_ratio = "
                f"{options.archive_max_ratio:g} (a zip bomb?); refused",
            )  # fmt: skip
        return data


def _members(archive: zipfile.ZipFile, source: str, options: ParseOptions) -> list[zipfile.ZipInfo]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > options.archive_max_members:
        raise ParseError(
            source, "archive",
            f"{len(infos)} files, more than ingest.archive_max_members = {options.archive_max_members}; refused",
        )  # fmt: skip
    for info in infos:
        if info.flag_bits & 0x1:
            raise ParseError(source, f"archive member {info.filename}", "encrypted; cannot be read")
    return infos


def parse_zip(path: Path, *, source: str | None = None, options: ParseOptions | None = None) -> list[Document]:
    """The documents of every member of a zip archive, in archive order."""
    from navsearch.ingest.registry import SKIPPED_NAMES, format_for, parse_file  # the table lists this parser
    from navsearch.ingest.uspto_xml import documents_of_pieces, stream_documents

    name = source or str(path)
    options = options or ParseOptions.for_file(name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseError(name, "open zip", f"not a readable zip archive: {exc}") from exc
    docs: list[Document] = []
    skipped: list[str] = []
    budget = _Budget(name, options)
    with archive, tempfile.TemporaryDirectory(prefix="navsearch-zip-") as tmp:
        for index, info in enumerate(_members(archive, name, options)):
            member = PurePosixPath(info.filename)
            inner = f"{name}!{info.filename}"  # how a document says which member it came from
            if member.name in SKIPPED_NAMES or any(part.startswith(".") for part in member.parts):
                continue
            if member.suffix.lower() == ".xml":
                reader = budget.reader(archive, info)
                for doc in documents_of_pieces(stream_documents(reader.read), name):
                    doc.notes.append(f"read from archive member {info.filename}")
                    docs.append(doc)
                continue
            if member.suffix.lower() == ".zip":  # its caps would start again from nothing
                skipped.append(f"{info.filename} (an archive inside the archive is not opened)")
                continue
            # Another format: written out (within the caps) and read by its own parser.
            # Under its own name (the document id comes from it), in a folder of its own.
            target = Path(tmp) / str(index) / member.name
            target.parent.mkdir()
            with target.open("wb") as out:
                shutil.copyfileobj(budget.reader(archive, info), out, _MB)  # type: ignore[misc]
            try:
                format_for(target)
            except UnsupportedFormat as exc:
                skipped.append(f"{info.filename} ({exc.reason})")
                continue
            docs.extend(parse_file(target, inner, options))
            target.unlink()
    if skipped:
        note = f"archive members not read: {'; '.join(skipped)}"
        if not docs:
            raise UnsupportedFormat(name, "archive", note)
        docs[0].notes.append(note)
    if not docs:
        raise ParseError(name, "archive", "no document in the archive")
    return docs
