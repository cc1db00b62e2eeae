"""imcsim's layer IR: small immutable layer records in a networkx graph.

Everything after the ONNX front end speaks this IR. A layer is either a *crossbar* layer
(a weight matrix multiplied by activations: Conv, Gemm, MatMul with a constant operand,
RNN gate matrices) or a *digital* layer (everything else, costed on digital units).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Protocol

import networkx as nx
import numpy as np


class LayerKind(Enum):
    CONV = "conv"
    GEMM = "gemm"  # Gemm, or MatMul with one constant operand
    RNN = "rnn"  # LSTM / GRU / RNN gate matrices: [x; h] rows, gates*hidden columns
    DIGITAL = "digital"

    @property
    def is_crossbar(self) -> bool:
        return self is not LayerKind.DIGITAL


class DigitalKind(Enum):
    """Which digital unit executes an op, and so what its actions cost."""

    ELEMENTWISE = "elementwise"  # Add, Mul, Sub, Div, Relu, Clip, ...: one ALU op per element
    NONLINEAR = "nonlinear"  # Sigmoid, Tanh, Erf, Exp, Gelu, Sqrt, ...: one special-function op
    POOL = "pool"  # MaxPool/AveragePool: one compare/add per window element
    REDUCE = "reduce"  # GlobalAveragePool, ReduceMean/Sum/Max: one add per input element
    NORM = "norm"  # BatchNormalization (standalone), LayerNormalization, ...
    SOFTMAX = "softmax"  # exp + sum + divide per element
    MATMUL = "matmul"  # MatMul between two activations (attention) on a digital MAC unit
    DATA_MOVE = "data_move"  # Transpose, Concat, Gather, Slice, Pad, ...: bytes moved
    VIEW = "view"  # Reshape, Flatten, Squeeze, ...: metadata only, no data moves
    UNKNOWN = "unknown"  # allowed with --allow-unknown-ops; costs nothing


@dataclass(frozen=True, slots=True)
class CrossbarWork:
    """The weight matrix of a crossbar layer and how often it is used.

    Per group the layer multiplies a ``rows × cols`` matrix (im2col for Conv: rows =
    C_in/groups · k_h · k_w, cols = C_out/groups) by ``mvms`` input vectors per inference.
    """

    rows: int  # K: matrix rows per group (inputs summed on one column)
    cols: int  # N: matrix columns per group (outputs)
    groups: int  # independent matrices (Conv groups; 1 otherwise)
    mvms: int  # matrix-vector products per group per inference
    weight: str  # name of the constant holding the weights; layers sharing it share arrays
    has_bias: bool = False
    norm_params: int = 0  # affine parameters of a BatchNormalization folded into this layer
    out_rows: int = 1  # output rows (H_out) produced in order, for pipeline start-up
    window_rows: int = 1  # input rows needed before the first output row: d_h·(k_h − 1) + 1
    sequential: int = 1  # steps that must run one after another (RNN: seq_len); copies of
    #                      the weights can only share the mvms // sequential independent ones

    @property
    def macs(self) -> int:
        return self.rows * self.cols * self.groups * self.mvms

    @property
    def weights(self) -> int:
        return self.rows * self.cols * self.groups


@dataclass(frozen=True, slots=True)
class DigitalWork:
    """Work of a digital layer in unit actions."""

    kind: DigitalKind
    ops: int  # unit operations (ALU / special-function / compare)
    macs: int = 0  # multiply-accumulates on the digital MAC unit (attention)
    elements_moved: int = 0  # elements copied by data movement (read once, written once)


@dataclass(frozen=True, slots=True)
class Layer:
    name: str  # unique: the ONNX node name (or its first output when unnamed)
    op: str  # ONNX op type
    kind: LayerKind
    inputs: tuple[str, ...]  # activation tensors read (constants excluded)
    outputs: tuple[str, ...]
    out_shape: tuple[int, ...]
    out_elements: int  # elements of all outputs (bytes depend on the architecture's precision)
    crossbar: CrossbarWork | None = None
    digital: DigitalWork | None = None
    params: int = 0  # parameters held by this layer (weights, biases, norm affine)
    attrs: tuple[tuple[str, object], ...] = ()  # ONNX attributes (+ notes added by passes)
    node_inputs: tuple[str, ...] = ()  # every ONNX input, constants included ("" = omitted)
    node_outputs: tuple[str, ...] = ()  # every ONNX output
    domain: str = ""  # ONNX op domain ("" = default)

    def attr(self, key: str, default: object = None) -> object:
        return next((v for k, v in self.attrs if k == key), default)

    @property
    def macs(self) -> int:
        return self.crossbar.macs if self.crossbar else 0

    def with_(self, **changes: object) -> Layer:
        return replace(self, **changes)  # type: ignore[arg-type]


class ConstantStore(Protocol):
    """Where a network's constants (weights, shapes) come from: the front end's loader."""

    def is_const(self, name: str) -> bool: ...

    def value(self, name: str) -> np.ndarray: ...


@dataclass
class Network:
    """A model as a DAG of layers (networkx DiGraph inside a thin class).

    Edges run producer → consumer, labelled with the tensor name.
    """

    name: str
    inputs: dict[str, tuple[int, ...]]
    outputs: tuple[str, ...]
    batch: int = 1  # inferences in one run of the graph (--batch on a symbolic batch axis)
    batch_symbolic: bool = False  # the model's batch axis is symbolic (a run may choose it)
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    unknown_ops: tuple[str, ...] = ()  # "OpType (node)" of ops counted as zero-cost
    constants: ConstantStore | None = field(default=None, repr=False)
    input_dtypes: dict[str, np.dtype] = field(default_factory=dict)
    opset: int = 17
    source: str | None = None  # the file it was read from (for measurements that re-read it)

    def add(self, layer: Layer) -> None:
        self.graph.add_node(layer.name, layer=layer)

    def layer(self, name: str) -> Layer:
        return self.graph.nodes[name]["layer"]

    def replace(self, layer: Layer) -> None:
        self.graph.nodes[layer.name]["layer"] = layer

    def connect(self) -> None:
        """(Re)build edges from tensor names: producer of a tensor → each consumer."""
        self.graph.remove_edges_from(list(self.graph.edges))
        producer: dict[str, str] = {}
        for name, data in self.graph.nodes(data=True):
            for t in data["layer"].outputs:
                producer[t] = name
        for name, data in self.graph.nodes(data=True):
            for t in data["layer"].inputs:
                if t in producer and producer[t] != name:
                    self.graph.add_edge(producer[t], name, tensor=t)

    def layers(self) -> Iterator[Layer]:
        """Layers in a deterministic topological order (ties broken by insertion)."""
        order = {n: i for i, n in enumerate(self.graph.nodes)}
        for n in nx.lexicographical_topological_sort(self.graph, key=order.__getitem__):
            yield self.graph.nodes[n]["layer"]

    def crossbar_layers(self) -> list[Layer]:
        return [layer for layer in self.layers() if layer.kind.is_crossbar]

    def digital_layers(self) -> list[Layer]:
        return [layer for layer in self.layers() if not layer.kind.is_crossbar]

    def predecessors(self, name: str) -> list[str]:
        return list(self.graph.predecessors(name))

    def successors(self, name: str) -> list[str]:
        return list(self.graph.successors(name))

    @property
    def macs(self) -> int:
        """MACs mapped to crossbars in one run of the graph, i.e. for the whole batch
        (shared weights counted once per use)."""
        return sum(layer.macs for layer in self.crossbar_layers())

    @property
    def weights(self) -> int:
        """Weight-matrix elements on crossbars; a matrix used by several layers counts once."""
        seen: dict[str, int] = {}
        for layer in self.crossbar_layers():
            assert layer.crossbar is not None
            seen.setdefault(layer.crossbar.weight, layer.crossbar.weights)
        return sum(seen.values())

    @property
    def parameters(self) -> int:
        """All parameters: crossbar weights (shared once), biases, norm affine, digital params."""
        seen: dict[str, int] = {}
        total = 0
        for layer in self.layers():
            if layer.crossbar is not None:
                if layer.crossbar.weight in seen:
                    continue
                seen[layer.crossbar.weight] = layer.params
            total += layer.params
        return total

    @property
    def digital_ops(self) -> int:
        return sum(
            (layer.digital.ops + layer.digital.macs) for layer in self.digital_layers() if layer.digital
        )
