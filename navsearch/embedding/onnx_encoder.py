"""ONNX Runtime encoder: the same sentence-transformers model, exported locally, int8 by default.

The model is exported on first use (never at import time) from the local weights that
``resolve_model`` finds (``package:<module>`` or a folder) into a cache folder, then
loaded with ONNX Runtime. Nothing is downloaded. The export is keyed by a hash of the
model's files, the export recipe and the versions of the exporting tools, so the same model
package gives the same export (the files are byte-identical across runs) and a changed model
gives a new one.

Export, per the recipe:

1. torch -> ONNX (opset 17, TorchScript exporter) of embeddings + encoder + mean pooling,
   with the attention mask built in the graph (transformers' own mask helpers do not trace);
2. int8 dynamic quantisation of the MatMul weights (``onnxruntime.quantization.quantize_dynamic``,
   per-channel, symmetric, unsigned 8-bit, full range); activations are quantised per batch
   at run time. Skipped for ``quantize=None`` (fp32 ONNX).

ONNX Runtime fuses attention, LayerNorm and GELU itself when it loads the model (graph
optimisation level "all"); fusing ahead of time with its python optimizer was measured no
faster, so the export keeps the portable, unfused graph.

``sentence_transformers``' own ONNX backend (``backend="onnx"``) needs ``optimum-onnx``,
whose releases require transformers < 4.58, but sentence-transformers 6.2 needs
transformers >= 5, so the export here uses torch and onnxruntime directly.

Vectors are L2-normalised float32, like ``SentenceTransformerEmbedder``; the model id
gets a ``+onnx-int8`` (or ``+onnx-fp32``) suffix so an index built with one encoder is
refused by the other (their vectors are close, not equal).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Literal

import numpy as np

from navsearch.embedding.sentence_transformer import resolve_model
from navsearch.errors import NavsearchError

RECIPE = "navsearch-onnx-export-1"  # bump when the export below changes: it invalidates caches
OPSET = 17
# The files a sentence-transformers folder keeps its weights, config and tokenizer in.
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "pytorch_model.bin",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
)
TOOLS = ("torch", "transformers", "onnx", "onnxruntime")
Quantize = Literal["int8"] | None


def _versions() -> dict[str, str]:
    out = {}
    for name in TOOLS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_key(model_path: Path, *, quantize: Quantize) -> str:
    """Hash of what decides the export's bytes: model files, recipe, options, tool versions."""
    parts = {
        "recipe": RECIPE,
        "opset": OPSET,
        "quantize": quantize,
        "tools": _versions(),
        "files": {
            name: _sha256(model_path / name) for name in MODEL_FILES if (model_path / name).is_file()
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def _read_pooling(model_path: Path) -> None:
    """Only mean pooling is exported; refuse a model that pools otherwise."""
    modules_file = model_path / "modules.json"
    if not modules_file.is_file():
        return  # a plain transformers folder: sentence-transformers would mean-pool it too
    for module in json.loads(modules_file.read_text()):
        if module["type"].endswith("Pooling"):
            cfg = json.loads((model_path / module["path"] / "config.json").read_text())
            modes = [k for k, v in cfg.items() if k.startswith("pooling_mode") and v]
            if cfg.get("pooling_mode") == "mean":  # sentence-transformers >= 6 saves {"pooling_mode": "mean"}
                modes = ["pooling_mode_mean_tokens"]
            if modes != ["pooling_mode_mean_tokens"]:
                raise NavsearchError(f"the ONNX encoder supports mean pooling only; {model_path} uses {modes}")
        elif not module["type"].endswith(("Transformer", "Normalize")):
            raise NavsearchError(f"the ONNX encoder cannot export module {module['type']} of {model_path}")


def _export_fp32(model_path: Path, out: Path) -> None:
    """torch -> ONNX: token ids, mask, types -> mean-pooled (not normalised) embedding."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    if model.config.is_decoder:
        raise NavsearchError(f"{model_path} is a decoder; the ONNX encoder exports encoders only")

    class Encoder(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.m.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            mask = attention_mask.to(hidden.dtype)
            # Additive mask, as transformers builds it for eager attention: 0 kept, min() masked.
            additive = (1.0 - mask[:, None, None, :]) * torch.finfo(hidden.dtype).min
            for layer in self.m.encoder.layer:
                hidden = layer(hidden, additive)
            summed = (hidden * mask[:, :, None]).sum(dim=1)
            return summed / mask.sum(dim=1, keepdim=True).clamp(min=1e-9)

    wrapper = Encoder(model)
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {n: {0: "batch", 1: "sequence"} for n in names}
    dynamic["sentence_embedding"] = {0: "batch"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            wrapper,
            (ids, mask, types),
            str(out),
            dynamo=False,
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )


def _quantize(src: Path, out: Path) -> None:
    """int8 weights of every MatMul, per output channel, symmetric; activations per batch.

    Unsigned 8-bit weights (U8U8, optimum's "avx2" recipe) rather than signed: the U8S8
    kernels of x86 CPUs without AVX512-VNNI can saturate (VPMADDUBSW), U8U8 cannot, so one
    export is right on every CPU. Embedding lookups (Gather) stay fp32: they cost no time.
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # onnxruntime logs a generic "consider pre-processing before quantization" warning on
    # the root logger at every export; it is about static quantisation, not this one.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(out),
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=False,
            weight_type=QuantType.QUInt8,
            extra_options={
                "WeightSymmetric": True,
                # Ops ONNX shape inference cannot type would need this; theirs are float.
                "DefaultTensorType": onnx.TensorProto.FLOAT,
            },
        )
    finally:
        root.setLevel(level)


def export_model(
    model_path: Path, cache_dir: Path, *, quantize: Quantize = "int8", name: str | None = None
) -> Path:
    """The cached ONNX file for this model and recipe, exported first if missing.

    Written into a temporary folder beside the final one and renamed into place, so a
    crash or a concurrent export never leaves a half-written model behind.
    """
    _read_pooling(model_path)
    tag = "int8" if quantize else "fp32"
    key = export_key(model_path, quantize=quantize)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name or model_path.name).strip("_")[:60]
    final_dir = cache_dir / f"{slug}-{tag}-{key}"
    final = final_dir / "model.onnx"
    if final.is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_dir))
    try:
        current = work / "fp32.onnx"
        _export_fp32(model_path, current)
        if quantize == "int8":
            _quantize(current, work / "int8.onnx")
            current = work / "int8.onnx"
        staged = work / "final"
        staged.mkdir()
        current.rename(staged / "model.onnx")
        (staged / "export.json").write_text(
            json.dumps({"recipe": RECIPE, "key": key, "quantize": quantize,
                        "opset": OPSET, "tools": _versions(), "source": str(model_path)}, indent=2)
        )
        try:
            os.replace(staged, final_dir)
        except OSError:
            if not final.is_file():  # not a concurrent export that won the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "navsearch" / "onnx"


class OnnxEmbedder:
    """The sentence-transformers model through ONNX Runtime (int8 by default).

    Same contract as ``SentenceTransformerEmbedder``: normalised float32 vectors, token
    counts from the model's own tokenizer, ``max_tokens`` from its ``max_seq_length``.
    """

    def __init__(
        self,
        spec: str,
        *,
        cache_dir: Path | str | None = None,
        quantize: Quantize = "int8",
        batch_size: int = 32,
        threads: int | None = None,
        max_seq_length: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise NavsearchError("the ONNX encoder needs onnxruntime and onnx; pip install onnxruntime onnx") from exc
        from transformers import AutoTokenizer

        path, base_id = resolve_model(spec)
        model_path = Path(path)
        if not model_path.is_dir():
            raise NavsearchError(f"the ONNX encoder exports local models only; {spec!r} is not a folder or package")
        self.onnx_path = export_model(
            model_path, Path(cache_dir) if cache_dir else default_cache_dir(), quantize=quantize, name=base_id
        )
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        st_config = model_path / "sentence_bert_config.json"
        limit = json.loads(st_config.read_text()).get("max_seq_length") if st_config.is_file() else None
        native = int(limit or self.tokenizer.model_max_length)
        self.max_tokens = min(native, max_seq_length) if max_seq_length else native
        suffix = f"+onnx-{'int8' if quantize else 'fp32'}"
        if self.max_tokens < native:  # truncates earlier: another model as far as the index goes
            suffix += f"-seq{self.max_tokens}"
        self.model_id = base_id + suffix
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # ONNX Runtime's idle workers spin for a while after each run; in a search they
        # would take the cores FAISS and numpy need right after the query is encoded.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        self._pad_id = int(self.tokenizer.pad_token_id or 0)
        self._lock = threading.Lock()
        # The last single text counted that fits, with its ids: a search counts its query's
        # tokens (does it fit one window?) and then embeds it; tokenizing it once saves
        # ~1.4 ms of a paragraph-long idea (2 AVX-512 cores). Keyed by the text, so a
        # search in another thread can only replace it, never hand over the wrong ids.
        self._counted: tuple[str, list[int]] | None = None
        self.dimension = int(self.session.get_outputs()[0].shape[-1])
        self.batch_size = batch_size

    def _encode(self, texts: list[str], **kwargs) -> dict:  # type: ignore[no-untyped-def,type-arg]
        # A fast tokenizer is not safe to call from two threads at once ("Already borrowed").
        with self._lock:
            return self.tokenizer(texts, add_special_tokens=True, verbose=False, **kwargs)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        counted = self._counted
        if len(texts) == 1 and counted is not None and counted[0] == texts[0]:
            ids, types = [counted[1]], None  # one sequence: its token types are all 0
        else:
            enc = self._encode(list(texts), truncation=True, max_length=self.max_tokens)
            ids = enc["input_ids"]
            types = enc.get("token_type_ids")
        order = np.argsort([-len(x) for x in ids], kind="stable")  # similar lengths share a batch
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        from navsearch.progress import track

        starts = range(0, len(ids), self.batch_size)
        for start in track(starts, desc="embed", unit="batch", enabled=progress):
            idx = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in idx)
            batch_ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
            batch_mask = np.zeros((len(idx), width), dtype=np.int64)
            batch_types = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):  # right padding, as the tokenizer's padding=True does
                n = len(ids[i])
                batch_ids[row, :n] = ids[i]
                batch_mask[row, :n] = 1
                if types is not None:
                    batch_types[row, :n] = types[i]
            feed = {"input_ids": batch_ids, "attention_mask": batch_mask, "token_type_ids": batch_types}
            out[idx] = self.session.run(None, feed)[0]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)  # a symmetric encoder: queries and passages alike

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        found = self._encode(list(texts), truncation=False)["input_ids"]
        if len(found) == 1 and len(found[0]) <= self.max_tokens:
            self._counted = (texts[0], found[0])
        return [len(ids) for ids in found]
