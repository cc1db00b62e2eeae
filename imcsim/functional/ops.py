"""NumPy implementations of the hot ONNX ops, with ONNX semantics (broadcasting, pads,
ceil_mode, …). Everything else runs through ONNX's reference evaluator
(:mod:`imcsim.compiler.frontend.onnx_eval`)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special


def _attr(attrs: dict[str, object], key: str, default: object) -> object:
    v = attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else v


def conv_pads(attrs: dict[str, object], in_spatial: tuple[int, ...], kernel: tuple[int, ...],
              strides: tuple[int, ...], dilations: tuple[int, ...]) -> list[tuple[int, int]]:
    """(begin, end) padding per spatial axis, resolving auto_pad."""
    n = len(kernel)
    auto = _attr(attrs, "auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = []
        for i in range(n):
            o = math.ceil(in_spatial[i] / strides[i])
            total = max(0, (o - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in_spatial[i])
            small, big = total // 2, total - total // 2
            out.append((small, big) if auto == "SAME_UPPER" else (big, small))
        return out
    if auto == "VALID":
        return [(0, 0)] * n
    pads = list(attrs.get("pads", [0] * (2 * n)))  # type: ignore[call-overload]
    return [(int(pads[i]), int(pads[i + n])) for i in range(n)]


def windows(x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...],
            dilations: tuple[int, ...], pads: list[tuple[int, int]], pad_value: float = 0.0,
            ceil_mode: bool = False, extra_value: float | None = None) -> np.ndarray:
    """Sliding windows of (N, C, *spatial) → (N, C, *out, *kernel), a view where possible.

    Explicit pads hold ``pad_value``; the extension ``ceil_mode`` adds for a last partial
    window holds ``extra_value`` (default: the same)."""
    n = len(kernel)
    extra = [0] * n
    if ceil_mode:  # extend the end so the last partial window exists
        for i in range(n):
            size = x.shape[2 + i] + sum(pads[i])
            eff = (kernel[i] - 1) * dilations[i] + 1
            out_ceil = math.ceil((size - eff) / strides[i]) + 1
            if (out_ceil - 1) * strides[i] >= x.shape[2 + i] + pads[i][0]:
                out_ceil -= 1
            extra[i] = max(0, (out_ceil - 1) * strides[i] + eff - size)
    if any(p != (0, 0) for p in pads):
        x = np.pad(x, [(0, 0), (0, 0), *pads], constant_values=pad_value)
    if any(extra):
        fill = pad_value if extra_value is None else extra_value
        x = np.pad(x, [(0, 0), (0, 0), *((0, e) for e in extra)], constant_values=fill)
    eff = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilations, strict=True))
    v = sliding_window_view(x, eff, axis=tuple(range(2, 2 + n)))
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in strides) + tuple(
        slice(None, None, d) for d in dilations)
    return v[index]


def im2col(x: np.ndarray, attrs: dict[str, object], w_shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """Conv input (N, C, *spatial) → (groups, N·prod(out), C/groups·prod(kernel)) and out spatial."""
    kernel = tuple(int(k) for k in w_shape[2:])
    nd = len(kernel)
    strides = tuple(int(s) for s in attrs.get("strides", [1] * nd))  # type: ignore[attr-defined]
    dil = tuple(int(d) for d in attrs.get("dilations", [1] * nd))  # type: ignore[attr-defined]
    groups = int(attrs.get("group", 1))  # type: ignore[call-overload]
    pads = conv_pads(attrs, x.shape[2:], kernel, strides, dil)
    win = windows(x, kernel, strides, dil, pads)  # (N, C, *out, *k)
    n, c = x.shape[:2]
    out = win.shape[2:2 + nd]
    win = win.reshape(n, groups, c // groups, *out, *kernel)
    # → (G, N, *out, C/g, *k)
    order = (1, 0, *range(3, 3 + nd), 2, *range(3 + nd, 3 + 2 * nd))
    cols = np.ascontiguousarray(win.transpose(order)).reshape(
        groups, n * math.prod(out), (c // groups) * math.prod(kernel))
    return cols, out


def pool(x: np.ndarray, attrs: dict[str, object], kind: str) -> np.ndarray:
    kernel = tuple(int(k) for k in attrs["kernel_shape"])  # type: ignore[attr-defined]
    nd = len(kernel)
    strides = tuple(int(s) for s in attrs.get("strides", [1] * nd))  # type: ignore[attr-defined]
    dil = tuple(int(d) for d in attrs.get("dilations", [1] * nd))  # type: ignore[attr-defined]
    pads = conv_pads(attrs, x.shape[2:], kernel, strides, dil)
    ceil = bool(attrs.get("ceil_mode", 0))
    axes = tuple(range(-nd, 0))
    if kind == "max":
        return windows(x, kernel, strides, dil, pads, -np.inf, ceil).max(axis=axes)
    total = windows(x, kernel, strides, dil, pads, 0.0, ceil).sum(axis=axes)
    # the divisor counts input cells, plus explicit pads with count_include_pad, never the
    # ceil_mode extension
    include = 1.0 if attrs.get("count_include_pad", 0) else 0.0
    ones = np.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
    count = windows(ones, kernel, strides, dil, pads, include, ceil, extra_value=0.0).sum(axis=axes)
    return (total / count).astype(x.dtype)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _batchnorm(x: np.ndarray, scale, bias, mean, var, eps: float) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    inv = scale / np.sqrt(var + eps)
    return (x * inv.reshape(shape) + (bias - mean * inv).reshape(shape)).astype(x.dtype)


def _reshape(x: np.ndarray, shape: np.ndarray, allowzero: int) -> np.ndarray:
    target = [int(s) for s in shape]
    if not allowzero:
        target = [x.shape[i] if s == 0 else s for i, s in enumerate(target)]
    return x.reshape(target)


def _flatten(x: np.ndarray, axis: int) -> np.ndarray:
    axis = axis + x.ndim if axis < 0 else axis  # 0 ≤ axis ≤ ndim
    return x.reshape(math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))


def _gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "tanh":
        return (0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))).astype(x.dtype)
    return (0.5 * x * (1 + special.erf(x / np.sqrt(2)))).astype(x.dtype)


def _same(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return out.astype(a.dtype, copy=False)


Op = Callable[[list[np.ndarray], dict[str, object]], list[np.ndarray]]

OPS: dict[str, Op] = {
    "Relu": lambda i, a: [np.maximum(i[0], 0).astype(i[0].dtype)],
    "Add": lambda i, a: [_same(i[0], i[0] + i[1])],
    "Sub": lambda i, a: [_same(i[0], i[0] - i[1])],
    "Mul": lambda i, a: [_same(i[0], i[0] * i[1])],
    "Div": lambda i, a: [_same(i[0], i[0] / i[1]) if i[0].dtype.kind == "f"
                         else np.trunc(i[0] / i[1]).astype(i[0].dtype)],
    "Sigmoid": lambda i, a: [_same(i[0], special.expit(i[0]))],
    "Tanh": lambda i, a: [np.tanh(i[0])],
    "Erf": lambda i, a: [_same(i[0], special.erf(i[0]))],
    "Sqrt": lambda i, a: [np.sqrt(i[0])],
    "Exp": lambda i, a: [np.exp(i[0])],
    "Clip": lambda i, a: [np.clip(i[0], i[1] if len(i) > 1 and i[1] is not None else a.get("min", -np.inf),
                                  i[2] if len(i) > 2 and i[2] is not None else a.get("max", np.inf)
                                  ).astype(i[0].dtype)],
    "MaxPool": lambda i, a: [pool(i[0], a, "max")],
    "AveragePool": lambda i, a: [pool(i[0], a, "avg")],
    "GlobalAveragePool": lambda i, a: [i[0].mean(axis=tuple(range(2, i[0].ndim)), keepdims=True)],
    "GlobalMaxPool": lambda i, a: [i[0].max(axis=tuple(range(2, i[0].ndim)), keepdims=True)],
    "Flatten": lambda i, a: [_flatten(i[0], int(a.get("axis", 1)))],  # type: ignore[call-overload]
    "Reshape": lambda i, a: [_reshape(i[0], i[1], int(a.get("allowzero", 0)))],  # type: ignore[call-overload]
    "Transpose": lambda i, a: [np.transpose(i[0], a.get("perm"))],  # type: ignore[arg-type]
    "Concat": lambda i, a: [np.concatenate(i, axis=int(a["axis"]))],  # type: ignore[call-overload]
    "Softmax": lambda i, a: [_softmax(i[0], int(a.get("axis", -1)))],  # type: ignore[call-overload]
    "BatchNormalization": lambda i, a: [_batchnorm(*i[:5], float(a.get("epsilon", 1e-5)))],  # type: ignore[arg-type]
    "Gelu": lambda i, a: [_gelu(i[0], str(_attr(a, "approximate", "none")))],
    "MatMul": lambda i, a: [np.matmul(i[0], i[1])],
    "GatherElements": lambda i, a: [np.take_along_axis(
        i[0], np.where(i[1] < 0, i[1] + i[0].shape[int(a.get("axis", 0))], i[1]),  # type: ignore[call-overload]
        axis=int(a.get("axis", 0)))],  # type: ignore[call-overload]
    "Identity": lambda i, a: [i[0]],
    "Dropout": lambda i, a: [i[0]],
}
