"""Receiving one uploaded file: the multipart body is parsed as it arrives and the file's
bytes go straight into the uploads folder, counted and hashed on the way.

Starlette's own form parsing would first spool the whole file into the system's temp
folder; here nothing larger than a network chunk is held in memory, the byte limit stops
the upload at the first chunk past it, and the file is named by its SHA-256, so sending
the same file again finds it in place (an idempotent upload).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from navsearch.errors import InvalidInput, NavsearchError

FIELD = "file"  # the form field that carries the file
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadTooLarge(NavsearchError):
    status = 413
    title = "Upload too large"


@dataclass(frozen=True)
class StoredUpload:
    path: Path  # uploads/<sha256>/<name>
    sha256: str
    size: int
    name: str
    existed: bool  # the same bytes were uploaded before


def safe_name(filename: str) -> str:
    """A file name that names no folder and needs no quoting; the suffix (which picks the
    parser) is kept.

    >>> safe_name("../../etc/pass wd.txt"), safe_name("C:\\\\x\\\\a b.PDF"), safe_name("..")
    ('pass_wd.txt', 'a_b.PDF', 'upload')
    """
    base = PureWindowsPath(PurePosixPath(filename).name).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[-MAX_NAME_CHARS:]
    return cleaned or "upload"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Receiver:
    """python-multipart callbacks: the first part named ``file`` with a filename is written
    to ``tmp``; any other part is refused (the request has one field)."""

    def __init__(self, tmp: Path, limit: int) -> None:
        self.tmp = tmp
        self.limit = limit
        self.hash = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None
        self.pending: list[bytes] = []  # written to disk between network chunks, off the event loop
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._writing = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: setattr(self, "_field", self._field + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self, "_value", self._value + d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name, filename = options.get(b"name"), options.get(b"filename")
        if name != FIELD.encode() or filename is None:
            raise InvalidInput(f"the form has one field, {FIELD!r}, holding the file (with its file name)")
        if self.filename is not None:
            raise InvalidInput("one file per request")
        self.filename = filename.decode("utf-8", "replace")
        self._writing = True

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._writing:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(f"the file is larger than api.max_upload_bytes ({self.limit} bytes)")
        self.hash.update(chunk)
        self.pending.append(chunk)

    def _end(self) -> None:
        self._writing = False


async def receive_upload(content_type: str, stream: AsyncIterator[bytes], uploads: Path, limit: int) -> StoredUpload:
    """Write the file of a multipart body into ``uploads/<sha256>/<name>`` (fsynced, then
    renamed into place, so a crash never leaves half a file under its hash)."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidInput(f"send the file as multipart/form-data, in the field {FIELD!r}")
    uploads.mkdir(parents=True, exist_ok=True)
    tmp = uploads / f".incoming-{uuid.uuid4().hex}"
    receiver = _Receiver(tmp, limit)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    try:
        with open(tmp, "wb") as fh:
            async for chunk in stream:
                try:
                    parser.write(chunk)
                except MultipartParseError as exc:
                    raise InvalidInput(f"the multipart body is malformed: {exc}") from None
                if receiver.pending:
                    data, receiver.pending = b"".join(receiver.pending), []
                    await run_in_threadpool(fh.write, data)
            parser.finalize()
            if receiver.filename is None:
                raise InvalidInput(f"no file in the form: send it in the field {FIELD!r}")
            await run_in_threadpool(fh.flush)
            await run_in_threadpool(os.fsync, fh.fileno())
        return await run_in_threadpool(_place, tmp, uploads, receiver)
    finally:
        tmp.unlink(missing_ok=True)


def _place(tmp: Path, uploads: Path, receiver: _Receiver) -> StoredUpload:
    digest = receiver.hash.hexdigest()
    folder = uploads / digest
    existing = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if existing:  # the same bytes, uploaded before (perhaps under another name): kept as they are
        return StoredUpload(existing[0], digest, receiver.size, existing[0].name, True)
    folder.mkdir(exist_ok=True)
    name = safe_name(receiver.filename or "")
    path = folder / name
    os.replace(tmp, path)
    _fsync_dir(folder)
    _fsync_dir(uploads)
    return StoredUpload(path, digest, receiver.size, name, False)
