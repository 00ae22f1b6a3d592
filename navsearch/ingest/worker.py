"""Parse files in a separate process with a time limit and a memory limit.

A parser bug, a hostile file (JSON nested 200,000 deep) or a file too big for memory
must cost that one file, not the run and not the machine. So every file is parsed by a
worker process whose address space is capped (RLIMIT_AS), and the parent waits for its
answer only ``timeout_s``; a failed, timed-out or dead worker becomes a ParseError naming
the file, which ingest records before going on with the next file.

The worker is started as ``python -m navsearch.ingest.worker``, not with multiprocessing:
both "spawn" and "forkserver" re-import the parent's ``__main__`` in each child, and for
the ``navsearch`` console script that is the CLI with the whole service (FAISS, numpy,
the encoder runtime), seconds of start-up and hundreds of MB of the capped address space.
This worker imports the parser registry only. It is reused for the next file while it
behaves (a round trip costs a pickle of the documents), and replaced after a timeout, a
death, an exhausted memory or a file that left it large.

Messages on the worker's stdin/stdout are length-prefixed pickles between two processes
of the same program; the worker's own stdout is redirected to stderr so that nothing a
parser prints can corrupt them.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import navsearch
from navsearch import errors
from navsearch.errors import NavsearchError, ParseError
from navsearch.ingest.options import ParseOptions
from navsearch.types import Document

_HEADER = struct.Struct(">Q")  # length of the pickle that follows
# A worker whose peak memory passed this share of its limit is replaced before the next
# file: Python rarely gives memory back, so the next parse would start near the limit.
RECYCLE_SHARE = 0.5
START_TIMEOUT_S = 120  # a worker imports the parser registry only; slow only on a loaded machine


@dataclass(frozen=True)
class ParseLimits:
    timeout_s: float
    memory_mb: int
    max_file_mb: float


class _TimedOut(Exception):
    pass


def _write_frame(out: BinaryIO, payload: bytes) -> None:
    out.write(_HEADER.pack(len(payload)) + payload)
    out.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    """``size`` bytes from ``fd``; None at end of file; _TimedOut past ``deadline``."""
    buf = bytearray()
    while len(buf) < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _TimedOut
        block = os.read(fd, min(size - len(buf), 1 << 20))
        if not block:
            return None
        buf += block
    return bytes(buf)


def _read_frame(fd: int, deadline: float | None = None) -> Any:
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    payload = _read_exact(fd, _HEADER.unpack(header)[0], deadline)
    return None if payload is None else pickle.loads(payload)


def describe_error(exc: BaseException, memory_mb: int) -> tuple[str, str, str]:
    """(error class name, step, reason) of a failed parse, for the parent to rebuild."""
    if isinstance(exc, ParseError):
        return type(exc).__name__, exc.step, exc.reason
    if isinstance(exc, MemoryError):
        return "ParseError", "parse", f"out of memory: the parse needed more than ingest.parse_memory_mb = {memory_mb} MB"
    if isinstance(exc, RecursionError):
        return "ParseError", "parse", f"nested too deeply to read (RecursionError: {exc})"
    return "ParseError", "parse", f"{type(exc).__name__}: {exc}"


def serve(memory_mb: int) -> None:
    """The worker's loop: ("ready",) once, then (path, source, options) in, ("ok", documents, peak
    MB) or ("failed", class, step, reason, whether the worker exits) out, until its stdin
    closes."""
    from navsearch.ingest.registry import parse_file  # after the limit, like every parser import

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() in a parser goes to stderr, never into a message
    _write_frame(out, pickle.dumps(("ready",)))  # the time limit counts from here: parsing only
    while True:
        request = _read_frame(0)
        if request is None:
            return
        path, source, options = request
        fatal = False
        try:
            reply: tuple[Any, ...] = ("ok", parse_file(Path(path), source, options), _peak_mb())
        except BaseException as exc:  # every failure is the file's, reported by name
            fatal = isinstance(exc, MemoryError)  # the heap may be in no state to go on
            reply = ("failed", *describe_error(exc, memory_mb), fatal)
        try:
            payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            fatal = True
            payload = pickle.dumps(("failed", *describe_error(MemoryError(), memory_mb), fatal))
        reply = ()  # the documents: freed before the next file
        _write_frame(out, payload)
        if fatal:
            return


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ParseWorker:
    """Parses files one at a time in a worker process under ``limits``.

    >>> with ParseWorker(ParseLimits(60, 2048, 100)) as worker:  # doctest: +SKIP
    ...     docs = worker.parse(Path("corpus/policy/sipo-circulars-2013.txt"), "policy/sipo-circulars-2013.txt")
    """

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self._proc: subprocess.Popen[bytes] | None = None
        self.started = 0  # worker processes started: a test and the overhead figures read it

    def __enter__(self) -> "ParseWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = self._spawn()
        assert proc.stdout is not None
        try:
            ready = _read_frame(proc.stdout.fileno(), time.monotonic() + START_TIMEOUT_S)
        except _TimedOut:
            ready = None
        if ready != ("ready",):
            self._proc = proc
            self._stop()
            raise NavsearchError(f"the parser process did not start within {START_TIMEOUT_S} s")
        return proc

    def _spawn(self) -> subprocess.Popen[bytes]:
        # The worker must import this very navsearch (a worktree, a test checkout), not
        # whichever one the interpreter would find first.
        env = dict(os.environ)
        root = str(Path(navsearch.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.started += 1
        return subprocess.Popen(
            [sys.executable, "-m", "navsearch.ingest.worker", str(self.limits.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream:
                stream.close()

    def close(self) -> None:
        """Let the worker finish (end of its input), or stop it."""
        proc = self._proc
        if proc is not None and proc.stdin:
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def check_size(self, path: Path, source: str) -> None:
        """ParseError when ``path`` is over the size limit."""
        size_mb = path.stat().st_size / (1 << 20)
        if size_mb > self.limits.max_file_mb:
            raise ParseError(
                source, "size", f"{size_mb:.1f} MB is over ingest.max_file_mb = {self.limits.max_file_mb:g} MB"
            )

    def parse(self, path: Path, source: str, options: ParseOptions | None = None) -> list[Document]:
        """The documents of ``path``; ParseError (naming ``source``) for whatever went wrong.
        ``options``: what the parser is told (forced kind, OCR, archive caps)."""
        self.check_size(path, source)
        proc = self._proc if self._proc is not None and self._proc.poll() is None else None
        if proc is None:
            self._stop()
            proc = self._proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            _write_frame(proc.stdin, pickle.dumps((str(path), source, options)))  # type: ignore[arg-type]
            reply = _read_frame(proc.stdout.fileno(), time.monotonic() + self.limits.timeout_s)
        except _TimedOut:
            self._stop()
            raise ParseError(
                source, "parse", f"timed out after {self.limits.timeout_s:g} s (ingest.parse_timeout_s)"
            ) from None
        except BrokenPipeError:
            reply = None
        if reply is None:  # the worker died: killed by the kernel, or crashed in C
            code = proc.wait()
            self._stop()
            how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            raise ParseError(
                source,
                "parse",
                f"the parser process died ({how}); ingest.parse_memory_mb is {self.limits.memory_mb} MB",
            )
        if reply[0] == "ok":
            _, docs, peak_mb = reply
            if peak_mb > self.limits.memory_mb * RECYCLE_SHARE:
                self.close()
            return list(docs)
        _, kind, step, reason, fatal = reply
        if fatal:  # it is exiting: out of memory
            self._stop()
        raise parse_error(kind, source, step, reason)


def parse_error(kind: str, source: str, step: str, reason: str) -> ParseError:
    """The ParseError (or subclass named ``kind``) another process described by name:
    only ParseError classes of navsearch.errors are made, whatever the name says."""
    error_class = getattr(errors, kind, ParseError)
    if not (isinstance(error_class, type) and issubclass(error_class, ParseError)):
        error_class = ParseError
    return error_class(source, step, reason)


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    _memory_mb = int(sys.argv[1])
    _limit_memory(_memory_mb)
    serve(_memory_mb)
