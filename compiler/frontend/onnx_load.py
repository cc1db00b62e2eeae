"""Read an ONNX file as exporters write it: checks, batch fixing, shapes, constant folding.

The only module (with :mod:`imcsim.compiler.frontend.onnx_import` and its checks in
:mod:`imcsim.compiler.frontend.onnx_validate`) that touches protobuf. Its
result, :class:`LoadedGraph`, is plain Python: nodes, static shapes and constants.

Weights stay inside the ``ModelProto`` and are converted to NumPy only when a fold needs
them, so loading ResNet-50 costs little more than the file itself.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend.onnx_validate import (
    check_graph,
    check_initializers,
    external_location,
    nonfinite_count,
)
from onnx import numpy_helper
from onnx.external_data_helper import load_external_data_for_model, uses_external_data

# Ops never folded even when every input is constant (random, or side effects).
_NEVER_FOLD = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
     "Bernoulli", "If", "Loop", "Scan"}
)
# Ops that only re-lay-out one constant; their result keeps the identity of that constant.
_LAYOUT_OPS = frozenset({"Transpose", "Reshape", "Cast", "Squeeze", "Unsqueeze", "Flatten"})
# Pass-through ops (in inference): output 0 is input 0.
_ALIAS_OPS = frozenset({"Identity", "Dropout"})
# Larger initializers are given to shape inference as typed inputs, not values.
_SMALL_CONST = 4096


@dataclass(frozen=True, slots=True)
class Node:
    """One ONNX node after folding, with inputs resolved through Identity aliases."""

    name: str  # unique within the graph (a repeated ONNX name gets a "#index" suffix)
    op: str
    domain: str
    inputs: tuple[str, ...]  # "" for an omitted optional input
    outputs: tuple[str, ...]
    attrs: dict[str, object]
    index: int  # position of the node in the ONNX graph (names need not be unique there)


@dataclass
class LoadedGraph:
    path: Path
    name: str
    opset: int
    batch: int  # inferences per graph run: --batch N on a symbolic batch axis, else 1
    batch_symbolic: bool  # the file has a symbolic batch axis (so --batch may change it)
    inputs: dict[str, tuple[int, ...]]
    input_dtypes: dict[str, np.dtype]
    outputs: tuple[str, ...]
    nodes: list[Node]
    shapes: dict[str, tuple[int | None, ...]]
    const_shapes: dict[str, tuple[int, ...]]
    const_dtypes: dict[str, np.dtype]
    weight_keys: dict[str, str]  # constant name → identity of the weights it holds
    _model: onnx.ModelProto = field(repr=False)
    _values: dict[str, np.ndarray] = field(repr=False)
    _initializers: dict[str, onnx.TensorProto] = field(repr=False)

    def is_const(self, name: str) -> bool:
        return name in self.const_shapes

    def value(self, name: str) -> np.ndarray:
        """The value of a constant (initializer or folded), converted on first use."""
        if name not in self._values:
            self._values[name] = numpy_helper.to_array(self._initializers[name])
        return self._values[name]

    def count_nonfinite(self, name: str) -> int:
        """NaN/Inf entries of a float constant, without keeping a converted copy."""
        if name in self._values:
            value = self._values[name]
        else:
            t = self._initializers[name]
            dtype = self.const_dtypes[name]
            value = (np.frombuffer(t.raw_data, dtype=dtype) if t.raw_data
                     else numpy_helper.to_array(t))
        return nonfinite_count(value)

    def shape(self, name: str) -> tuple[int | None, ...] | None:
        if name in self.const_shapes:
            return self.const_shapes[name]
        return self.shapes.get(name)


def load(path: str | os.PathLike[str], batch: int | None = None) -> LoadedGraph:
    """Load, check, fix the batch dimension, infer shapes and fold constants."""
    path = Path(path)
    model = _read(path)
    opset = _default_opset(model, path)
    _check_inputs_defined(model, path)
    inputs, batch_symbolic = _fix_input_shapes(model, path, batch)
    initializers = {t.name: t for t in model.graph.initializer}
    values: dict[str, np.ndarray] = {}
    const_shapes = {n: tuple(int(d) for d in t.dims) for n, t in initializers.items()}
    const_dtypes = {
        n: np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.data_type)) for n, t in initializers.items()
    }
    g = LoadedGraph(
        path=path, name=model.graph.name or path.stem, opset=opset,
        batch=1 if batch is None else batch, batch_symbolic=batch_symbolic,
        inputs=inputs, input_dtypes={
            vi.name: np.dtype(onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type))
            for vi in model.graph.input if vi.name in inputs},
        outputs=tuple(o.name for o in model.graph.output), nodes=[], shapes={},
        const_shapes=const_shapes, const_dtypes=const_dtypes,
        weight_keys={n: n for n in initializers}, _model=model, _values=values,
        _initializers=initializers,
    )
    taken: set[str] = set()
    nodes = [_to_node(n, i, taken) for i, n in enumerate(model.graph.node)]
    for _ in range(3):  # infer → fold; repeat while folding resolves more shapes
        g.shapes = _infer_shapes(g, nodes)
        remaining = _fold(g, nodes)
        progressed = len(remaining) < len(nodes)
        nodes = remaining
        if not progressed:
            break
    g.nodes = nodes
    _check_reshapes(g)
    return g


def _check_reshapes(g: LoadedGraph) -> None:
    """A Reshape keeps its element count (shape inference trusts a constant target shape:
    8 values 'reshaped' to 2^40 × 8 would be costed as a 2^43-element tensor)."""
    for n in g.nodes:
        if n.op != "Reshape" or n.domain or not n.inputs or not n.outputs:
            continue
        src, dst = g.shape(n.inputs[0]), g.shape(n.outputs[0])
        if (src is None or dst is None or any(d is None for d in src)
                or any(d is None for d in dst)):
            continue
        have, want = int(np.prod(src, dtype=object)), int(np.prod(dst, dtype=object))
        if have != want:
            raise ModelError(f"{g.path}: Reshape node '{n.name}' turns {have:,} values "
                             f"{list(src)} into shape {list(dst)} ({want:,} values); the model "
                             "is invalid, re-export it")


# ---------------------------------------------------------------- reading and checks


def _read(path: Path) -> onnx.ModelProto:
    if not path.exists():
        raise ModelError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ModelError(f"{path}: is a directory, expected an .onnx file")
    if not path.is_file():
        raise ModelError(f"{path}: is not a regular file (a FIFO, socket or device); give "
                         "an .onnx file")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise ModelError(
            f"{path}: not a readable ONNX model ({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else 'parse failed'}); "
            "the file may be truncated or not ONNX, re-export it"
        ) from None
    if model.ir_version <= 0 or not model.graph.node or not model.opset_import:
        raise ModelError(
            f"{path}: not an ONNX model (no IR version, graph nodes or opset); "
            "the file may be truncated or not ONNX, re-export it"
        )
    check_graph(model, path)
    _load_external(model, path)
    check_initializers(model, path)
    return model


def _load_external(model: onnx.ModelProto, path: Path) -> None:
    base = path.parent
    for t in model.graph.initializer:
        if not uses_external_data(t):
            continue
        info = {e.key: e.value for e in t.external_data}
        location = external_location(t.name, info, base, path)
        if not location.is_file():
            raise ModelError(
                f"{path}: initializer '{t.name}' keeps its data in '{info.get('location')}', "
                f"which is missing from {base}; copy the data file next to the model"
            )
        need = int(info.get("offset", 0)) + int(info.get("length", 0))
        if need > location.stat().st_size:
            raise ModelError(
                f"{path}: external data file '{location.name}' is shorter than initializer "
                f"'{t.name}' needs ({location.stat().st_size} < {need} bytes); it is truncated, re-export"
            )
    try:
        load_external_data_for_model(model, str(base))
    except (OSError, ValueError, onnx.checker.ValidationError) as e:
        raise ModelError(f"{path}: cannot read external data ({e}); re-export the model") from None


def _default_opset(model: onnx.ModelProto, path: Path) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            version = int(imp.version)
            newest = onnx.defs.onnx_opset_version()
            if not 1 <= version <= newest:
                raise ModelError(
                    f"{path}: default-domain opset {version} does not exist (the installed "
                    f"onnx {onnx.__version__} knows opsets 1–{newest}); "
                    "re-export with opset 11–21"
                )
            return version
    raise ModelError(f"{path}: no default-domain opset import; not a standard ONNX model")


def _check_inputs_defined(model: onnx.ModelProto, path: Path) -> None:
    """Every tensor a node reads must be a graph input, an initializer or some node's output."""
    known = {vi.name for vi in model.graph.input} | {t.name for t in model.graph.initializer}
    known.update(o for n in model.graph.node for o in n.output)
    for i, n in enumerate(model.graph.node):
        for t in n.input:
            if t and t not in known:
                name = n.name or (n.output[0] if n.output else f"node_{i}")
                raise ModelError(
                    f"{path}: {n.op_type} node '{name}' reads '{t}', which no node produces "
                    "and is not a graph input or initializer; the model is broken, re-export it"
                )


def _fix_input_shapes(
    model: onnx.ModelProto, path: Path, batch: int | None
) -> tuple[dict[str, tuple[int, ...]], bool]:
    """Give every graph input a static shape.

    Only symbolic dimensions are rewritten: axis 0 of an input when it is symbolic (the
    batch axis) becomes ``batch`` (1 by default), and so does any other axis of any input
    that carries the same ``dim_param`` name. A static axis 0 is never rewritten; asking
    for ``--batch`` on a model without a symbolic batch axis is an error.
    """
    init_names = {t.name for t in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in init_names]
    for vi in graph_inputs:  # old exporters list weights as inputs too; skip those
        if not vi.type.tensor_type.HasField("shape"):
            raise ModelError(
                f"{path}: input '{vi.name}' has no shape; re-export with a fixed input shape"
            )

    def symbolic(d: onnx.TensorShapeProto.Dimension) -> bool:
        return not d.HasField("dim_value") or d.dim_value <= 0

    batch_axes = [vi.type.tensor_type.shape.dim[0] for vi in graph_inputs
                  if vi.type.tensor_type.shape.dim and symbolic(vi.type.tensor_type.shape.dim[0])]
    if batch is not None and not batch_axes:
        fixed = next((int(vi.type.tensor_type.shape.dim[0].dim_value) for vi in graph_inputs
                      if vi.type.tensor_type.shape.dim), 1)
        raise ModelError(
            f"{path}: the model has a fixed batch of {fixed}; re-export with a dynamic batch "
            "axis to use --batch"
        )
    batch_names = {d.dim_param for d in batch_axes if d.dim_param}
    n = 1 if batch is None else batch
    shapes: dict[str, tuple[int, ...]] = {}
    for vi in graph_inputs:
        dims = []
        for axis, d in enumerate(vi.type.tensor_type.shape.dim):
            if symbolic(d):
                if not (axis == 0 or (d.dim_param and d.dim_param in batch_names)):
                    raise ModelError(
                        f"{path}: input '{vi.name}' has a dynamic dimension "
                        f"'{d.dim_param or '?'}' at axis {axis}; only the batch axis may be "
                        "symbolic — re-export with a fixed shape for the other axes"
                    )
                d.ClearField("dim_param")
                d.dim_value = n
            dims.append(int(d.dim_value))
        shapes[vi.name] = tuple(dims)
    return shapes, bool(batch_axes)


def _to_node(n: onnx.NodeProto, index: int, taken: set[str]) -> Node:
    """The node as plain Python; a name already in ``taken`` gets a ``#index`` suffix."""
    name = n.name or (n.output[0] if n.output else f"node_{index}")
    if name in taken:
        name = f"{name}#{index}"
    taken.add(name)
    return Node(
        name=name,
        op=n.op_type,
        domain=n.domain if n.domain != "ai.onnx" else "",
        inputs=tuple(n.input),
        outputs=tuple(n.output),
        attrs={a.name: onnx.helper.get_attribute_value(a) for a in n.attribute},
        index=index,
    )


# ---------------------------------------------------------------- shapes


def _infer_shapes(g: LoadedGraph, nodes: list[Node]) -> dict[str, tuple[int | None, ...]]:
    """Run ONNX shape inference on a copy of the graph without large weight payloads."""
    src = g._model
    light = onnx.ModelProto()
    light.ir_version = src.ir_version
    light.opset_import.extend(src.opset_import)
    light.functions.extend(src.functions)
    graph = light.graph
    graph.name = src.graph.name
    for vi in src.graph.input:
        if vi.name in g.inputs:
            graph.input.append(vi)
    graph.output.extend(src.graph.output)
    live = {i for n in nodes for i in n.inputs}
    for name in live:
        if name not in g.const_shapes:
            continue
        if name in g._values or np.prod(g.const_shapes[name], dtype=np.int64) <= _SMALL_CONST:
            graph.initializer.append(numpy_helper.from_array(g.value(name), name))
        else:
            graph.input.append(onnx.helper.make_tensor_value_info(
                name, onnx.helper.np_dtype_to_tensor_dtype(g.const_dtypes[name]), g.const_shapes[name]))
    for n in nodes:
        p = onnx.NodeProto()
        p.CopyFrom(src.graph.node[n.index])  # by index: ONNX node names need not be unique
        p.name = n.name  # so that an inference error names the node as we do
        if tuple(p.input) != n.inputs:
            del p.input[:]
            p.input.extend(n.inputs)
        graph.node.append(p)
    # Strict inference rejects invalid models (shape mismatches, wrong ranks); ops of other
    # domains have no schema here, so a model using them is inferred leniently.
    strict = all(n.domain == "" for n in nodes)
    try:
        inferred = onnx.shape_inference.infer_shapes(light, strict_mode=strict, data_prop=True)
    except onnx.shape_inference.InferenceError as e:
        raise ModelError(f"{g.path}: {_inference_message(str(e))}; the model is invalid, "
                         "check it with onnx.checker and re-export") from None
    shapes: dict[str, tuple[int | None, ...]] = {}
    for vi in (*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape"):
            shapes[vi.name] = tuple(
                int(d.dim_value) if d.HasField("dim_value") else None for d in tt.shape.dim
            )
    return shapes


_INFERENCE_ERROR = re.compile(r"\(op_type:([^,)]*)(?:, node name: ([^)]*))?\): (.*)")


def _inference_message(text: str) -> str:
    """One line from ONNX's InferenceError: '<op> node '<name>': <first problem>'."""
    for line in text.splitlines():
        m = _INFERENCE_ERROR.search(line)
        if m:
            op, name, detail = m.groups()
            detail = re.sub(r"^\[\w+\]\s*", "", detail.strip()).rstrip(".")
            where = f"{op} node '{name}'" if name else f"{op} node"
            return f"shape inference failed at {where}: {detail}"
    first = text.strip().splitlines()[0] if text.strip() else "no detail"
    return f"shape inference failed ({first})"


# ---------------------------------------------------------------- constant folding


def _fold(g: LoadedGraph, nodes: list[Node]) -> list[Node]:
    """Evaluate nodes whose inputs are all constant; alias Identity/Dropout; fold Shape."""
    from onnx.reference import ReferenceEvaluator

    alias: dict[str, str] = {}
    remaining: list[Node] = []
    for n in nodes:
        n = _resolve(n, alias)
        if n.op in _ALIAS_OPS and n.domain == "" and n.inputs and n.inputs[0]:
            alias[n.outputs[0]] = n.inputs[0]
            continue
        if n.op == "Constant" and n.domain == "":
            _set_const(g, n.outputs[0], _constant_value(n, g.path), key=None)
            continue
        if n.op in ("Shape", "Size") and n.domain == "":
            s = g.shapes.get(n.inputs[0]) if not g.is_const(n.inputs[0]) else g.const_shapes[n.inputs[0]]
            if s is not None and all(d is not None for d in s):
                dims = np.array(s, dtype=np.int64)
                if n.op == "Size":
                    val = np.array(int(np.prod(dims)), dtype=np.int64)
                else:
                    start = int(n.attrs.get("start", 0))  # type: ignore[arg-type]
                    end = n.attrs.get("end")
                    val = dims[start:end if end is not None else None]  # type: ignore[misc]
                _set_const(g, n.outputs[0], val, key=None)
                continue
        present = [i for i in n.inputs if i]
        if (
            n.domain == ""
            and n.op not in _NEVER_FOLD
            and present
            and all(g.is_const(i) for i in present)
        ):
            try:
                ref = ReferenceEvaluator(onnx.helper.make_node(
                    n.op, list(n.inputs), list(n.outputs), **n.attrs), opsets={"": g.opset})
                outs = ref.run(None, {i: g.value(i) for i in present})
            except Exception:  # noqa: BLE001 - any evaluator failure: keep the node
                remaining.append(n)
                continue
            key = None
            if n.op in _LAYOUT_OPS and g.is_const(n.inputs[0]):
                key = g.weight_keys.get(n.inputs[0])
            for name, val in zip(n.outputs, outs, strict=False):
                if name:
                    _set_const(g, name, np.asarray(val), key=key)
            continue
        remaining.append(n)
    g.outputs = tuple(alias.get(o, o) for o in g.outputs)
    return remaining


def _resolve(n: Node, alias: dict[str, str]) -> Node:
    if not any(i in alias for i in n.inputs):
        return n
    return replace(n, inputs=tuple(alias.get(i, i) for i in n.inputs))


def _set_const(g: LoadedGraph, name: str, value: np.ndarray, key: str | None) -> None:
    g._values[name] = value
    g.const_shapes[name] = tuple(int(d) for d in value.shape)
    g.const_dtypes[name] = value.dtype
    if key is None:
        # A derived constant's identity is its content, so e.g. the same weight transposed at
        # every unrolled RNN step maps to one set of arrays.
        digest = hashlib.blake2b(np.ascontiguousarray(value).view(np.uint8), digest_size=12)
        key = f"const:{value.dtype}:{value.shape}:{digest.hexdigest()}"
    g.weight_keys[name] = key


def _constant_value(n: Node, path: Path) -> np.ndarray:
    a = n.attrs
    if "value" in a:
        return numpy_helper.to_array(a["value"])  # type: ignore[arg-type]
    if "value_float" in a:
        return np.array(a["value_float"], dtype=np.float32)
    if "value_floats" in a:
        return np.array(a["value_floats"], dtype=np.float32)
    if "value_int" in a:
        return np.array(a["value_int"], dtype=np.int64)
    if "value_ints" in a:
        return np.array(a["value_ints"], dtype=np.int64)
    raise ModelError(f"{path}: Constant node '{n.name}' has no supported value attribute "
                     f"({', '.join(a) or 'none'}); re-export the model")
