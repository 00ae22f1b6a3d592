"""A real `navsearch serve` process for tests that need one: started on a free loopback
port with the given environment, ready when /health says so, stopped (or killed) after."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from navsearch.answer.llama_server import free_port


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str

    def output(self) -> str:
        return self.proc.stdout.read().decode(errors="replace") if self.proc.stdout and self.proc.poll() is not None else ""


def start(env: dict[str, str], *, ready_timeout: float = 120.0, need_ready: bool = True) -> Server:
    port = free_port()
    full = {**os.environ, **env, "NAVSEARCH_API__PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "navsearch.cli", "serve"], env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = Server(proc, f"http://127.0.0.1:{port}")
    deadline = time.time() + ready_timeout
    while True:
        try:
            body = httpx.get(f"{server.base}/health", timeout=2).json()
            if body["ready"] or not need_ready:
                return server
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {server.output()[-2000:]}")
        if time.time() > deadline:
            proc.kill()
            raise RuntimeError("the server did not become ready")
        time.sleep(0.2)


@contextmanager
def running(env: dict[str, str], **options: float | bool) -> Iterator[Server]:
    server = start(env, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.terminate()
            try:
                server.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.proc.kill()
