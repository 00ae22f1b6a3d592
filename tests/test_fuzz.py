"""Property-based fuzzing of every operation in the app's own OpenAPI schema (Schemathesis
generates valid and invalid requests from it) with the read key and the admin key: no
request may get a 5xx. Bounded for CI: ``EXAMPLES`` requests per operation, key and mode
(about a minute on two cores; FUZZ_EXAMPLES=100 for a deeper run by hand); a failure
prints the request as a curl command."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans

from fake_llm import FakeLLM
from navsearch.api.app import create_app
from navsearch.service import NavSearch
from navsearch.settings import Settings

DATA = Path(__file__).parent / "data"
READ_KEY = "read-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))  # more for a deeper run by hand


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("fuzz")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "policy" / "sipo-circulars-2013.txt", corpus)
    shutil.copy(DATA / "patents" / "patsnap-slice.jsonl", corpus)
    with FakeLLM() as llm:
        config = Settings(
            index_dir=root / "index",
            corpus_dir=corpus,
            embedding={"backend": "hashing"},
            answer={"llm_base_url": llm.base_url, "llm_timeout_s": 5},
            api={
                "allowed_hosts": ["testserver"],
                "keys": [
                    {"name": "reader", "scope": "read", "key": READ_KEY},
                    {"name": "ops", "scope": "admin", "key": ADMIN_KEY},
                ],
            },
        )
        NavSearch(config).ingest([corpus], progress=False)
        loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app(config))
        try:
            yield loaded
        finally:
            shutdown_lifespans()


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_schema_lists_every_operation(schema: Any) -> None:
    names = {f"{op.method.upper()} {op.path}" for op in _operations(schema)}
    assert {"POST /search", "POST /documents", "DELETE /documents/{doc_id}", "POST /ingest/runs"} <= names
    assert len(names) == 15  # every route but the documentation pages


@pytest.mark.parametrize("key", [READ_KEY, ADMIN_KEY], ids=["read", "admin"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_request_gets_a_server_error(schema: Any, key: str, mode: GenerationMode) -> None:
    failures: list[str] = []
    fuzzed = []
    headers = {"Authorization": f"Bearer {key}"}
    for operation in _operations(schema):
        calls: list[int] = []

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests on every run: a CI failure reproduces locally
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers, timeout=30)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {response.text[:300]}\n  {case.as_curl_command(headers)}")

        try:
            fuzz()
        except Unsatisfiable:
            # An operation without parameters or body has no invalid request to make.
            assert mode == GenerationMode.NEGATIVE and not operation.body and not list(operation.iter_parameters())
        if calls:
            fuzzed.append(operation.label)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:10])
    assert len(fuzzed) >= (14 if mode == GenerationMode.POSITIVE else 10), fuzzed
