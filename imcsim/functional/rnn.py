"""ONNX LSTM / GRU / RNN semantics with the gate matrix products on (simulated) crossbars.

LSTM and RNN multiply the stacked input [x_t; h_(t−1)] by [W; R]ᵀ on one set of arrays
(as the mapping places them: I + H rows). GRU needs x·Wᵀ and h·Rᵀ apart (its reset gate
acts between them), so W and R are separate arrays. Gate arithmetic is digital, in float.
Supported: default activations (or explicit Sigmoid/Tanh/Relu), any direction, both
layouts, initial states, peepholes; not: clip, input_forget, partial sequence_lens.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from imcsim.compiler.errors import ModelError

MatMul = Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # (x (B, K), w (K, N), slot) → (B, N)

_ACT = {"Sigmoid": special.expit, "Tanh": np.tanh, "Relu": lambda v: np.maximum(v, 0)}
_DEFAULT = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}


def run_rnn(op: str, attrs: dict[str, object], inputs: list[np.ndarray | None],
            mm: MatMul) -> list[np.ndarray]:
    x, w, r = inputs[0], inputs[1], inputs[2]
    assert x is not None and w is not None and r is not None
    get = lambda i: inputs[i] if len(inputs) > i else None  # noqa: E731
    b, seq_lens, h0 = get(3), get(4), get(5)
    c0, peep = (get(6), get(7)) if op == "LSTM" else (None, None)
    layout = int(attrs.get("layout", 0))  # type: ignore[call-overload]
    if layout:
        x = np.swapaxes(x, 0, 1)
        h0 = np.swapaxes(h0, 0, 1) if h0 is not None else None
        c0 = np.swapaxes(c0, 0, 1) if c0 is not None else None
    seq, batch, _ = x.shape
    dirs, gh, _ = w.shape
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    hidden = gh // gates
    if attrs.get("clip") is not None or int(attrs.get("input_forget", 0)):  # type: ignore[call-overload]
        raise ModelError(f"{op}: clip and input_forget are not supported by the functional simulator")
    if seq_lens is not None and np.any(seq_lens != seq):
        raise ModelError(f"{op}: sequence_lens shorter than the sequence are not supported")
    names = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]  # type: ignore[attr-defined]
    names = names or _DEFAULT[op] * dirs
    unknown = sorted(set(names) - set(_ACT))
    if unknown:
        raise ModelError(f"{op}: activations {', '.join(unknown)} are not supported")
    per_dir = len(names) // dirs
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    ys, hs, cs = [], [], []
    for d in range(dirs):
        acts = [_ACT[n] for n in names[d * per_dir:(d + 1) * per_dir]]
        reverse = direction == "reverse" or (direction == "bidirectional" and d == 1)
        order = range(seq - 1, -1, -1) if reverse else range(seq)
        bias = b[d] if b is not None else np.zeros(2 * gh, dtype=x.dtype)
        wb, rb = bias[:gh].astype(np.float64), bias[gh:].astype(np.float64)
        h = (h0[d] if h0 is not None else np.zeros((batch, hidden))).astype(np.float64)
        c = (c0[d] if c0 is not None else np.zeros((batch, hidden))).astype(np.float64)
        wt, rt = w[d].T.astype(np.float64), r[d].T.astype(np.float64)
        stacked = np.concatenate([wt, rt], axis=0)
        y = np.zeros((seq, batch, hidden))
        for t in order:
            xt = x[t].astype(np.float64)
            if op == "GRU":
                h = _gru_step(xt, h, wt, rt, wb, rb, hidden, acts, attrs, mm, 2 * d)
            else:
                z = mm(np.concatenate([xt, h], axis=1), stacked, d) + wb + rb
                if op == "RNN":
                    h = acts[0](z)
                else:
                    h, c = _lstm_step(z, c, hidden, acts, peep[d] if peep is not None else None)
            y[t] = h
        ys.append(y)
        hs.append(h)
        cs.append(c)
    y_all = np.stack(ys, axis=1).astype(x.dtype)  # (seq, dirs, batch, H)
    h_all = np.stack(hs).astype(x.dtype)
    c_all = np.stack(cs).astype(x.dtype)
    if layout:
        y_all = y_all.transpose(2, 0, 1, 3)
        h_all, c_all = np.swapaxes(h_all, 0, 1), np.swapaxes(c_all, 0, 1)
    return [y_all, h_all, c_all] if op == "LSTM" else [y_all, h_all]


def _lstm_step(z, c, hidden, acts, peep):  # type: ignore[no-untyped-def]
    f, g, hact = acts
    zi, zo, zf, zc = (z[:, k * hidden:(k + 1) * hidden] for k in range(4))
    if peep is not None:
        pi, po, pf = peep[:hidden], peep[hidden:2 * hidden], peep[2 * hidden:]
        zi, zf = zi + pi * c, zf + pf * c
    i, fg, cand = f(zi), f(zf), g(zc)
    c = fg * c + i * cand
    if peep is not None:
        zo = zo + po * c
    return f(zo) * hact(c), c


def _gru_step(xt, h, wt, rt, wb, rb, hidden, acts, attrs, mm, slot):  # type: ignore[no-untyped-def]
    f, g = acts
    lbr = int(attrs.get("linear_before_reset", 0))
    xw = mm(xt, wt, slot) + wb
    hr = mm(h, rt, slot + 1)
    s = slice(0, hidden), slice(hidden, 2 * hidden), slice(2 * hidden, 3 * hidden)
    z = f(xw[:, s[0]] + hr[:, s[0]] + rb[s[0]])
    r = f(xw[:, s[1]] + hr[:, s[1]] + rb[s[1]])
    if lbr:
        cand = g(xw[:, s[2]] + r * (hr[:, s[2]] + rb[s[2]]))
    else:
        cand = g(xw[:, s[2]] + mm(r * h, rt, slot + 1)[:, s[2]] + rb[s[2]])
    return (1 - z) * cand + z * h
