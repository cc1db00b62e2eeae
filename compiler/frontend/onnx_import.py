"""ONNX nodes (after loading and folding) → imcsim layers.

Crossbar layers: Conv, Gemm, MatMul with a constant operand, LSTM/GRU/RNN gate matrices.
Every other supported op becomes a digital layer whose work is counted in unit actions
(see :class:`imcsim.compiler.ir.DigitalKind`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np
from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend.onnx_load import LoadedGraph, Node, load
from imcsim.compiler.frontend.onnx_validate import check_windows
from imcsim.compiler.ir import CrossbarWork, DigitalKind, DigitalWork, Layer, LayerKind, Network

_ELEMENTWISE = {
    "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu", "Clip", "Max", "Min", "Neg", "Abs",
    "Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor",
    "Sum", "Mean", "Pow", "Cast", "CastLike", "HardSigmoid", "HardSwish", "Sign", "Floor", "Ceil",
    "Round", "Mod", "IsNaN", "IsInf", "ThresholdedRelu", "Shrink", "BitShift", "CumSum",
}
_NONLINEAR = {
    "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Gelu", "Softplus", "Softsign",
    "Mish", "Elu", "Selu", "Celu", "Sin", "Cos", "Tan", "Atan", "Asin", "Acos", "Sinh", "Cosh",
}
_POOL = {"MaxPool", "AveragePool", "LpPool"}
_REDUCE = {
    "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "ReduceMean", "ReduceSum", "ReduceMax",
    "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
    "ReduceLogSumExp", "ArgMax", "ArgMin", "TopK",
}
_NORM_OPS = {
    "BatchNormalization": 2, "LayerNormalization": 5, "InstanceNormalization": 5,
    "GroupNormalization": 5, "LpNormalization": 3, "MeanVarianceNormalization": 5,
    "RMSNormalization": 4,
}  # unit ops per element
_SOFTMAX = {"Softmax", "LogSoftmax", "Hardmax"}
_VIEW = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}
_DATA_MOVE = {
    "Transpose", "Concat", "Gather", "GatherElements", "GatherND", "Slice", "Split", "Pad",
    "Expand", "Tile", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "ScatterND",
    "ScatterElements", "ConstantOfShape", "Range", "Shape", "Size", "NonZero", "Trilu", "OneHot",
    "EyeLike", "ReverseSequence", "Compress",
}
_RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def import_onnx(
    path: str | os.PathLike[str], batch: int | None = None, allow_unknown_ops: bool = False
) -> Network:
    """Load an ONNX file and build the layer network (not yet canonicalised by passes)."""
    g = load(path, batch)
    return build_network(g, allow_unknown_ops)


def build_network(g: LoadedGraph, allow_unknown_ops: bool = False) -> Network:
    unknown = [
        f"{n.domain + '.' if n.domain else ''}{n.op} (node '{n.name}')"
        for n in g.nodes if _handler(n) is None
    ]
    if unknown and not allow_unknown_ops:
        raise ModelError(
            f"{g.path}: unsupported ONNX op(s): {', '.join(unknown)}; "
            "rerun with --allow-unknown-ops to count them as zero-cost digital ops"
        )
    net = Network(name=g.path.stem, source=str(g.path), inputs=dict(g.inputs), outputs=g.outputs, batch=g.batch, batch_symbolic=g.batch_symbolic,
                  unknown_ops=tuple(unknown), constants=g, opset=g.opset,
                  input_dtypes=dict(g.input_dtypes))
    counted: set[str] = set()
    for n in g.nodes:
        handler = _handler(n)
        layers = handler(g, n, counted) if handler else [_digital(g, n, DigitalKind.UNKNOWN, 0)]
        for layer in layers:
            if layer.name == n.name:  # the layer that stands for the node: keep it executable
                layer = layer.with_(attrs=tuple(n.attrs.items()) + layer.attrs,
                                    node_inputs=n.inputs, node_outputs=n.outputs,
                                    domain=n.domain)
            net.add(layer)
    net.connect()
    return net


def _handler(n: Node) -> Callable[[LoadedGraph, Node, set[str]], list[Layer]] | None:
    if n.domain not in ("", "ai.onnx"):
        return None
    op = n.op
    if op == "Conv":
        return _conv
    if op in ("Gemm", "MatMul"):
        return _matmul
    if op in _RNN_GATES:
        return _rnn
    for table, kind in (
        (_ELEMENTWISE, DigitalKind.ELEMENTWISE), (_NONLINEAR, DigitalKind.NONLINEAR),
        (_POOL, DigitalKind.POOL), (_REDUCE, DigitalKind.REDUCE), (_SOFTMAX, DigitalKind.SOFTMAX),
        (_VIEW, DigitalKind.VIEW), (_DATA_MOVE, DigitalKind.DATA_MOVE),
    ):
        if op in table:
            return lambda g, n, counted, kind=kind: [_simple_digital(g, n, kind, counted)]
    if op in _NORM_OPS:
        return lambda g, n, counted: [_simple_digital(g, n, DigitalKind.NORM, counted)]
    return None


# ---------------------------------------------------------------- helpers


def _static(g: LoadedGraph, n: Node, name: str) -> tuple[int, ...]:
    s = g.shape(name)
    if s is None or any(d is None for d in s):
        raise ModelError(
            f"{g.path}: shape of '{name}' (at {n.op} node '{n.name}') is not static after "
            "shape inference; re-export with fixed input shapes"
        )
    return tuple(int(d) for d in s)  # type: ignore[arg-type]


def _out_elements(g: LoadedGraph, n: Node) -> int:
    total = 0
    for o in n.outputs:
        if not o:
            continue
        s = g.shape(o)
        if s is not None and all(d is not None for d in s):
            total += math.prod(s)  # type: ignore[arg-type]
    return total


def _first_shape(g: LoadedGraph, n: Node) -> tuple[int, ...]:
    s = g.shape(n.outputs[0]) if n.outputs else None
    return tuple(int(d) for d in s) if s and all(d is not None for d in s) else ()  # type: ignore[arg-type]


def _check_finite(g: LoadedGraph, n: Node, name: str) -> None:
    """Reject crossbar weights that are not floats or hold NaN/Inf (a broken export)."""
    dtype = np.dtype(g.const_dtypes[name])
    if dtype.kind != "f" and dtype.name != "bfloat16":
        raise ModelError(
            f"{g.path}: weight '{name}' of {n.op} node '{n.name}' is {dtype.name}; imcsim maps "
            "float weights and quantizes them itself — export the float model")
    bad = g.count_nonfinite(name)
    if bad:
        size = math.prod(g.const_shapes[name])
        key = g.weight_keys.get(name, name)
        origin = f" (from initializer '{key}')" if key != name and not key.startswith("const:") else ""
        raise ModelError(
            f"{g.path}: weight '{name}'{origin} of {n.op} node '{n.name}' contains NaN/Inf "
            f"({bad} of {size} values); the export is broken, re-export the model"
        )


def _activations(g: LoadedGraph, n: Node) -> tuple[str, ...]:
    return tuple(i for i in n.inputs if i and not g.is_const(i))


def _const_params(g: LoadedGraph, names: list[str], counted: set[str]) -> int:
    """Float constants with more than one element are trained parameters; count each once."""
    total = 0
    for name in names:
        if not name or not g.is_const(name) or np.dtype(g.const_dtypes[name]).kind != "f":
            continue
        key = g.weight_keys.get(name, name)
        size = math.prod(g.const_shapes[name])
        if size > 1 and key not in counted:
            counted.add(key)
            total += size
    return total


def _digital(g: LoadedGraph, n: Node, kind: DigitalKind, ops: int, *, macs: int = 0,
             moved: int = 0, params: int = 0) -> Layer:
    return Layer(
        name=n.name, op=n.op, kind=LayerKind.DIGITAL, inputs=_activations(g, n),
        outputs=tuple(o for o in n.outputs if o), out_shape=_first_shape(g, n),
        out_elements=_out_elements(g, n),
        digital=DigitalWork(kind=kind, ops=ops, macs=macs, elements_moved=moved), params=params,
    )


def _simple_digital(g: LoadedGraph, n: Node, kind: DigitalKind, counted: set[str]) -> Layer:
    out = _out_elements(g, n)
    # BatchNormalization's running mean/var are statistics, not parameters.
    param_inputs = n.inputs[1:3] if n.op == "BatchNormalization" else n.inputs
    params = _const_params(g, list(param_inputs), counted)
    if kind is DigitalKind.POOL:
        kernel = n.attrs.get("kernel_shape", [1])
        xs = g.shape(n.inputs[0]) if n.inputs else None
        if xs is not None and all(d is not None for d in xs) and "kernel_shape" in n.attrs:
            check_windows(g.path, n.op, n.name, xs, [int(k) for k in kernel], n.attrs)  # type: ignore[arg-type, union-attr]
        return _digital(g, n, kind, out * math.prod(kernel), params=params)  # type: ignore[arg-type]
    if kind is DigitalKind.REDUCE:
        x = g.shape(n.inputs[0])
        ins = math.prod(x) if x and all(d is not None for d in x) else out  # type: ignore[arg-type]
        return _digital(g, n, kind, ins, params=params)
    if kind is DigitalKind.NORM:
        return _digital(g, n, kind, out * _NORM_OPS[n.op], params=params)
    if kind is DigitalKind.VIEW:
        return _digital(g, n, kind, 0, params=params)
    if kind is DigitalKind.DATA_MOVE:
        return _digital(g, n, kind, 0, moved=out, params=params)
    if n.op == "Sum":
        return _digital(g, n, kind, out * max(1, len(n.inputs) - 1), params=params)
    return _digital(g, n, kind, out, params=params)


# ---------------------------------------------------------------- crossbar layers


def _conv(g: LoadedGraph, n: Node, counted: set[str]) -> list[Layer]:
    x, w = n.inputs[0], n.inputs[1]
    if not g.is_const(w):
        raise ModelError(
            f"{g.path}: Conv node '{n.name}' has a non-constant weight '{w}'; "
            "only constant (trained) conv weights can be mapped to crossbars"
        )
    _check_finite(g, n, w)
    xs, ws = _static(g, n, x), g.const_shapes[w]
    groups = int(n.attrs.get("group", 1))  # type: ignore[arg-type]
    if len(ws) < 3 or len(ws) != len(xs) or groups < 1 or xs[1] % groups or ws[0] % groups:
        raise ModelError(
            f"{g.path}: Conv node '{n.name}': weight '{w}' of shape {list(ws)} does not fit "
            f"input '{x}' of shape {list(xs)} with group={groups}; the model is invalid, "
            "re-export it"
        )
    if xs[1] // groups != ws[1]:
        raise ModelError(
            f"{g.path}: Conv node '{n.name}': weight '{w}' expects {ws[1]} input channels per "
            f"group, but input '{x}' has {xs[1]} channels in {groups} group(s) "
            f"({xs[1] // groups} per group); the model is invalid, re-export it"
        )
    declared = n.attrs.get("kernel_shape")
    if declared is not None and tuple(int(k) for k in declared) != tuple(ws[2:]):  # type: ignore[union-attr]
        raise ModelError(
            f"{g.path}: Conv node '{n.name}' declares kernel_shape {list(declared)} but its "  # type: ignore[call-overload]
            f"weight '{w}' has a {list(ws[2:])} kernel; the model is invalid, re-export it")
    check_windows(g.path, n.op, n.name, xs, ws[2:], n.attrs)
    ys = _static(g, n, n.outputs[0])
    c_out, k_per_group = ws[0], math.prod(ws[1:])
    spatial_out = ys[2:]
    bias = len(n.inputs) > 2 and bool(n.inputs[2])
    params = _const_params(g, [w, n.inputs[2] if bias else ""], counted)
    kernel = ws[2:]
    dilations = list(n.attrs.get("dilations") or [1] * len(kernel))  # type: ignore[call-overload]
    work = CrossbarWork(
        rows=k_per_group, cols=c_out // groups, groups=groups,
        mvms=xs[0] * math.prod(spatial_out), weight=g.weight_keys[w], has_bias=bias,
        out_rows=spatial_out[0] if spatial_out else 1,
        window_rows=int(dilations[0]) * (kernel[0] - 1) + 1 if kernel else 1,
    )
    return [Layer(name=n.name, op=n.op, kind=LayerKind.CONV, inputs=(x,), outputs=(n.outputs[0],),
                  out_shape=ys, out_elements=math.prod(ys), crossbar=work, params=params,
                  attrs=(("weight_name", w),))]


def _matmul(g: LoadedGraph, n: Node, counted: set[str]) -> list[Layer]:
    a, b = n.inputs[0], n.inputs[1]
    a_const, b_const = g.is_const(a), g.is_const(b)
    ta = bool(n.attrs.get("transA", 0)) if n.op == "Gemm" else False
    tb = bool(n.attrs.get("transB", 0)) if n.op == "Gemm" else False
    bias = n.op == "Gemm" and len(n.inputs) > 2 and bool(n.inputs[2])
    sa, sb = _static(g, n, a), _static(g, n, b)
    if not sa or not sb or (n.op == "Gemm" and (len(sa) != 2 or len(sb) != 2)):
        raise ModelError(f"{g.path}: {n.op} node '{n.name}' has operands of rank {len(sa)} and "
                         f"{len(sb)} (Gemm needs 2 and 2, MatMul at least 1); the model is "
                         "invalid, re-export it")
    # K of each operand (numpy matmul: a 1-D left operand is a row, a 1-D right one a column)
    ka = sa[0] if len(sa) == 1 else (sa[-2] if ta else sa[-1])
    kb = sb[0] if len(sb) == 1 else (sb[-1] if tb else sb[-2])
    if ka != kb:
        raise ModelError(
            f"{g.path}: {n.op} node '{n.name}': inner dimensions differ ('{a}' {list(sa)} "
            f"gives K = {ka}, '{b}' {list(sb)} gives K = {kb}); the model is invalid, re-export it"
        )
    ys = _static(g, n, n.outputs[0])
    if not a_const and not b_const:  # activation × activation (attention): digital MACs
        return [_digital(g, n, DigitalKind.MATMUL, 0, macs=math.prod(ys) * ka)]
    if b_const:
        ws, w, act = sb, b, a
        if len(ws) == 1:  # x @ v: v is a K×1 matrix, every row of x one input vector
            k, cols, groups, mvms = ws[0], 1, 1, math.prod(ys)
        else:
            k, cols = (ws[-1], ws[-2]) if tb else (ws[-2], ws[-1])
            groups = math.prod(ws[:-2]) if len(ws) > 2 else 1
            mvms = math.prod(ys[:-1]) // groups
    else:  # constant left operand: y = W · x, each column of x is one input vector
        ws, w, act = sa, a, b
        if len(ws) == 1:  # v @ X: v is a 1×K matrix, every column of X one input vector
            cols, k, groups = 1, ws[0], 1
        else:
            cols, k = (ws[-1], ws[-2]) if ta else (ws[-2], ws[-1])
            groups = math.prod(ws[:-2]) if len(ws) > 2 else 1
        mvms = math.prod(ys) // (cols * groups)
    _check_finite(g, n, w)
    params = _const_params(g, [w, n.inputs[2] if bias else ""], counted)
    work = CrossbarWork(rows=k, cols=cols, groups=groups, mvms=mvms, weight=g.weight_keys[w],
                        has_bias=bias)
    return [Layer(name=n.name, op=n.op, kind=LayerKind.GEMM, inputs=(act,), outputs=(n.outputs[0],),
                  out_shape=ys, out_elements=math.prod(ys), crossbar=work, params=params,
                  attrs=(("weight_name", w),))]


def _rnn(g: LoadedGraph, n: Node, counted: set[str]) -> list[Layer]:
    """One crossbar layer holding [W; R] (rows I + H), plus its gate arithmetic as digital work."""
    x, w, r = n.inputs[0], n.inputs[1], n.inputs[2]
    for t in (w, r):
        if not g.is_const(t):
            raise ModelError(f"{g.path}: {n.op} node '{n.name}' has non-constant weights '{t}'; "
                             "only trained (constant) gate matrices can be mapped")
        _check_finite(g, n, t)
    xs = _static(g, n, x)
    seq, batch = (xs[1], xs[0]) if int(n.attrs.get("layout", 0)) else (xs[0], xs[1])  # type: ignore[arg-type]
    dirs, gh, inp, hidden = _rnn_shapes(g, n, xs)
    extra = [i for i in n.inputs[3:4] if i]
    params = _const_params(g, [w, r, *extra], counted)
    outs = tuple(o for o in n.outputs if o)
    # the steps of a sequence run one after another: h_t needs h_(t−1)
    work = CrossbarWork(rows=inp + hidden, cols=gh, groups=dirs, mvms=seq * batch,
                        weight=g.weight_keys[w] + "+" + g.weight_keys[r], has_bias=bool(extra),
                        sequential=seq)
    hidden_elems = seq * batch * dirs * hidden
    mvm = Layer(name=n.name, op=n.op, kind=LayerKind.RNN, inputs=(x,),
                outputs=(f"{n.name}:gates_in",), out_shape=(seq, dirs, batch, gh),
                out_elements=seq * dirs * batch * gh, crossbar=work, params=params,
                attrs=(("weight_name", w), ("recurrence_name", r)))
    # LSTM: 3 sigmoid + 2 tanh, 3 mul + 1 add per hidden unit and step; GRU: 2 sigmoid + 1 tanh,
    # 3 mul + 2 add (approximately); RNN: 1 tanh.
    nonlinear = {"LSTM": 5, "GRU": 3, "RNN": 1}[n.op]
    elementwise = {"LSTM": 4, "GRU": 5, "RNN": 0}[n.op]
    gate = Layer(name=f"{n.name}/gates", op=n.op, kind=LayerKind.DIGITAL,
                 inputs=(f"{n.name}:gates_in",), outputs=(f"{n.name}:gates_nl",),
                 out_shape=(seq, dirs, batch, hidden), out_elements=hidden_elems,
                 digital=DigitalWork(kind=DigitalKind.NONLINEAR, ops=hidden_elems * nonlinear),
                 attrs=(("rnn_part", n.name),))
    cell = Layer(name=f"{n.name}/cell", op=n.op, kind=LayerKind.DIGITAL,
                 inputs=(f"{n.name}:gates_nl",), outputs=outs, out_shape=_first_shape(g, n),
                 out_elements=_out_elements(g, n),
                 digital=DigitalWork(kind=DigitalKind.ELEMENTWISE, ops=hidden_elems * elementwise),
                 attrs=(("rnn_part", n.name),))
    return [mvm, gate, cell]


def _rnn_shapes(g: LoadedGraph, n: Node, xs: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(directions, gates·hidden, input size, hidden) after checking W, R and X agree.

    ONNX: X [seq, batch, I] (layout 0), W [dirs, gates·H, I], R [dirs, gates·H, H].
    """
    w, r = n.inputs[1], n.inputs[2]
    ws, rs = g.const_shapes[w], g.const_shapes[r]

    def bad(why: str) -> ModelError:
        return ModelError(f"{g.path}: {n.op} node '{n.name}': {why} (W '{w}' {list(ws)}, "
                          f"R '{r}' {list(rs)}, X {list(xs)}); the model is invalid, re-export it")

    if len(xs) != 3:
        raise bad(f"input X must have rank 3, has rank {len(xs)}")
    if len(ws) != 3 or len(rs) != 3:
        raise bad(f"W and R must have rank 3 [directions, gates·hidden, …], "
                  f"have ranks {len(ws)} and {len(rs)}")
    gates = _RNN_GATES[n.op]
    hidden = int(n.attrs.get("hidden_size", rs[-1]))  # type: ignore[call-overload]
    dirs = 2 if n.attrs.get("direction", b"forward") in (b"bidirectional", "bidirectional") else 1
    if ws[0] != dirs or rs[0] != dirs:
        raise bad(f"W and R must have {dirs} direction(s) on axis 0")
    if ws[1] != gates * hidden or rs[1] != gates * hidden:
        raise bad(f"W and R must have {gates}·{hidden} = {gates * hidden} rows on axis 1")
    if rs[2] != hidden:
        raise bad(f"R must have hidden_size = {hidden} columns on axis 2")
    if ws[2] != xs[2]:
        raise bad(f"W has input size {ws[2]} on axis 2 but X has {xs[2]} features")
    return dirs, ws[1], ws[2], hidden
