"""Semantic checks of an ONNX model before anything is computed from it.

Shape inference catches rank and broadcast errors; it does not catch a graph that is
structurally broken or data that contradicts its own header. Each check here ends in one
:class:`ModelError` line naming the tensor or node and the fix:

- names: graph inputs, initializers and node outputs are unique (a tensor has one producer);
- order: the nodes form no cycle (ONNX requires a topologically sorted acyclic graph);
- outputs: every graph output is produced by a node, an input or an initializer;
- initializers: a supported element type, data whose size matches the declared dims, and
  external data that resolves inside the model's folder (after symlinks) — refused without
  looking at the target, so the message reveals nothing about files outside the folder;
- windows: a Conv / pooling window (dilated kernel) fits its padded input, and a Conv's
  ``kernel_shape`` agrees with its weight.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from imcsim.compiler.errors import ModelError
from onnx import TensorProto

# Element types a model may hold in its initializers (everything numpy represents exactly).
_SUPPORTED = {
    TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE,
    TensorProto.INT8, TensorProto.INT16, TensorProto.INT32, TensorProto.INT64,
    TensorProto.UINT8, TensorProto.UINT16, TensorProto.UINT32, TensorProto.UINT64,
    TensorProto.BOOL,
}
_FLOATS = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
# The typed repeated field a tensor without raw_data keeps its values in.
_FIELD = {
    TensorProto.FLOAT: "float_data", TensorProto.DOUBLE: "double_data",
    TensorProto.INT64: "int64_data", TensorProto.UINT32: "uint64_data",
    TensorProto.UINT64: "uint64_data",
}


def dtype_name(elem_type: int) -> str:
    try:
        return TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return f"type {elem_type}"


def check_graph(model: onnx.ModelProto, path: Path) -> None:
    """Names, order and outputs of the main graph."""
    g = model.graph
    _unique(path, "graph input", [vi.name for vi in g.input])
    _unique(path, "initializer", [t.name for t in g.initializer])
    init = {t.name for t in g.initializer}
    inputs = {vi.name for vi in g.input}
    producer: dict[str, str] = {}
    for i, n in enumerate(g.node):
        who = _node_label(n, i)
        for o in n.output:
            if not o:
                continue
            if o in producer:
                raise ModelError(f"{path}: tensor '{o}' is produced twice (by {producer[o]} and "
                                 f"{who}); tensor names must be unique, re-export the model")
            if o in init or o in inputs:
                kind = "initializer" if o in init else "graph input"
                raise ModelError(f"{path}: {who} writes '{o}', which is also a {kind}; tensor "
                                 "names must be unique, re-export the model")
            producer[o] = who
    _acyclic(g.node, path, producer)
    _input_counts(model, path)
    _range_sizes(model, path)
    for vi in g.output:
        if vi.name not in producer and vi.name not in inputs and vi.name not in init:
            raise ModelError(f"{path}: graph output '{vi.name}' is produced by no node, input "
                             "or initializer; the model is broken, re-export it")


def _input_counts(model: onnx.ModelProto, path: Path) -> None:
    """Every standard node has at least its schema's required inputs (a MatMul with one
    input is a broken file, not a zero-cost op)."""
    opset = next((int(i.version) for i in model.opset_import if i.domain in ("", "ai.onnx")),
                 0)
    if not 1 <= opset <= onnx.defs.onnx_opset_version():
        return  # an opset that does not exist: the loader's opset check says so
    for i, n in enumerate(model.graph.node):
        if n.domain not in ("", "ai.onnx") or not opset:
            continue
        try:
            schema = onnx.defs.get_schema(n.op_type, opset, "")
        except onnx.defs.SchemaError:
            continue  # unknown op: reported (or allowed) by the importer
        given = len(n.input)
        if given < schema.min_input:
            raise ModelError(f"{path}: {_node_label(n, i)} has {given} input(s); {n.op_type} "
                             f"needs at least {schema.min_input}; the model is broken, "
                             "re-export it")


_MAX_RANGE = 10**8  # elements a constant Range may make (ONNX's own inference would allocate it)


def _range_sizes(model: onnx.ModelProto, path: Path) -> None:
    """A Range of constant scalars is sized before shape inference materialises it."""
    scalars = {t.name: t for t in model.graph.initializer if not t.dims}
    for i, n in enumerate(model.graph.node):
        if n.op_type != "Range" or n.domain not in ("", "ai.onnx") or len(n.input) != 3:
            continue
        if not all(x in scalars for x in n.input):
            continue
        try:
            start, limit, delta = (float(onnx.numpy_helper.to_array(scalars[x]))
                                   for x in n.input)
        except (TypeError, ValueError):
            continue
        if delta == 0 or not all(np.isfinite([start, limit, delta])):
            raise ModelError(f"{path}: {_node_label(n, i)} has delta {delta} from {start} to "
                             f"{limit}; the model is broken, re-export it")
        count = max(0.0, np.ceil((limit - start) / delta))
        if count > _MAX_RANGE:
            raise ModelError(f"{path}: {_node_label(n, i)} makes {count:.3g} values, over "
                             f"{_MAX_RANGE:.0e}; the model is not a realistic inference graph")


def _node_label(n: onnx.NodeProto, index: int) -> str:
    name = n.name or (n.output[0] if n.output else f"node_{index}")
    return f"{n.op_type} node '{name}'"


def _unique(path: Path, what: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ModelError(f"{path}: {what} '{name}' is declared twice; names must be "
                             "unique, re-export the model")
        seen.add(name)


def _acyclic(nodes: Sequence[onnx.NodeProto], path: Path, producer: dict[str, str]) -> None:
    """Kahn's algorithm over node → consumer edges; names a node left on a cycle."""
    index = {o: i for i, n in enumerate(nodes) for o in n.output if o}
    consumers: list[list[int]] = [[] for _ in nodes]
    indegree = [0] * len(nodes)
    for j, n in enumerate(nodes):
        for src in {index[t] for t in n.input if t in index}:
            consumers[src].append(j)
            indegree[j] += 1
    ready = [j for j, d in enumerate(indegree) if d == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for j in consumers[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    if done < len(nodes):
        j = next(j for j, d in enumerate(indegree) if d > 0)
        raise ModelError(f"{path}: the graph has a cycle through {_node_label(nodes[j], j)}; "
                         "an ONNX graph must be acyclic, re-export the model")


def check_initializers(model: onnx.ModelProto, path: Path) -> None:
    """Element types and data sizes of every initializer (external data already loaded)."""
    for t in model.graph.initializer:
        if t.data_type not in _SUPPORTED:
            raise ModelError(f"{path}: initializer '{t.name}' has element type "
                             f"{dtype_name(t.data_type)}, which imcsim does not support; "
                             "export float32 (or float16 / int) tensors")
        if any(d < 0 for d in t.dims):
            raise ModelError(f"{path}: initializer '{t.name}' declares a negative dimension "
                             f"{list(t.dims)}; the model is broken, re-export it")
        want = math.prod(t.dims)
        have = _stored_values(t)
        if have != want:
            raise ModelError(f"{path}: initializer '{t.name}' declares dims {list(t.dims)} "
                             f"({want} values) but holds {have}; the file is corrupt, "
                             "re-export the model")


def _stored_values(t: onnx.TensorProto) -> int:
    if t.HasField("raw_data"):
        size = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize
        n, rest = divmod(len(t.raw_data), size)
        return n if not rest else -1
    field = _FIELD.get(t.data_type, "int32_data")  # 8/16-bit ints, bool, float16, bfloat16
    return len(getattr(t, field))


def nonfinite_count(values: np.ndarray) -> int:
    """NaN/Inf entries of a float array of any width (float16, bfloat16, float32, float64)."""
    if values.dtype.name == "bfloat16":  # ml_dtypes' type: numpy does not call it a float
        values = values.astype(np.float32)
    if values.dtype.kind not in "fc":
        return 0
    return int(values.size - np.count_nonzero(np.isfinite(values)))


def is_float_type(elem_type: int) -> bool:
    return elem_type in _FLOATS


def external_location(name: str, info: dict[str, str], base: Path, path: Path) -> Path:
    """The file initializer ``name``'s external data (``info``: its key/value entries)
    lives in, refused unless it resolves inside the model's folder. Nothing is read or
    stat-ed outside it."""
    loc = info.get("location", "")
    where = f"{path}: initializer '{name}' keeps its data in '{loc}'"
    if not loc or os.path.isabs(loc) or Path(loc).drive:
        raise ModelError(f"{where}, outside the model's folder; external data must sit in "
                         "the model's folder (re-export with a relative location)")
    root = base.resolve()
    candidate = (root / loc)
    lexical = Path(os.path.normpath(candidate))
    if root != lexical and root not in lexical.parents:
        raise ModelError(f"{where}, outside the model's folder; external data must sit in "
                         "the model's folder (re-export with a relative location)")
    resolved = candidate.resolve()
    if resolved != lexical:  # a link somewhere on the way; onnx refuses links too
        inside = root == resolved or root in resolved.parents
        what = "a symbolic link" if inside else "a symbolic link outside the model's folder"
        raise ModelError(f"{where}, which is {what}; copy the data file itself next to the "
                         "model")
    for key in ("offset", "length"):
        v = info.get(key, "0")
        if not v.isascii() or not v.isdigit() or len(v) > 18:
            raise ModelError(f"{where} with {key} '{v[:40]}', not a byte count; the model is "
                             "corrupt, re-export it")
    return resolved


def check_windows(path: Path, op: str, node: str, xs: Sequence[int], kernel: Sequence[int],
                  attrs: dict[str, object]) -> None:
    """A sliding window (Conv, pooling) must fit its padded input on every spatial axis."""
    spatial = list(xs[2:])
    if len(kernel) != len(spatial):
        raise ModelError(f"{path}: {op} node '{node}' has a {len(kernel)}-D kernel "
                         f"{list(kernel)} on a {len(spatial)}-D input {list(xs)}; the model is "
                         "invalid, re-export it")
    dil = list(attrs.get("dilations") or [1] * len(kernel))  # type: ignore[call-overload]
    pads = list(attrs.get("pads") or [0] * (2 * len(kernel)))  # type: ignore[call-overload]
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    for a, (x, k) in enumerate(zip(spatial, kernel, strict=True)):
        d = int(dil[a]) if a < len(dil) else 1
        if k < 1 or d < 1:
            raise ModelError(f"{path}: {op} node '{node}' has kernel {list(kernel)} with "
                             f"dilations {dil}; both must be ≥ 1, re-export the model")
        span = d * (k - 1) + 1
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            continue  # padded to fit by definition
        padded = x + (int(pads[a]) + int(pads[a + len(kernel)])
                      if len(pads) == 2 * len(kernel) else 0)
        if span > padded:
            raise ModelError(
                f"{path}: {op} node '{node}': its window spans {span} on spatial axis {a} "
                f"(kernel {k}, dilation {d}) but the padded input is only {padded} wide; "
                "the model is invalid, re-export it")
