"""Run an ONNX model end to end: crossbar layers through the tile kernels, digital ops in
NumPy (ONNX semantics), side by side with a float reference so every layer's error is known.

The network comes from the front end with BatchNormalization folded (the hardware programs
the folded weights) and views kept. Two value tables run in lockstep: *float* (the model as
trained) and *hw* (crossbar layers simulated, digital layers in float on hw values). A
layer's error is its hw output against its float output, so it includes what earlier
layers lost.

Determinism: the programming draws of layer i come from ``default_rng([seed, i, 0])`` and
its read-noise draws for batch b from the counter-based stream keyed by
``SeedSequence([seed, i, 1, b])``.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np

from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend.onnx_eval import evaluate
from imcsim.compiler.ir import Layer, LayerKind, Network
from imcsim.config import AdcRange, Arch
from imcsim.functional import ops
from imcsim.functional.crossbar import ActivityStats, HwParams, ProgrammedMatrix, input_scale
from imcsim.parallel import blas_one_thread

# attributes added by imcsim's front end and passes, not ONNX's
_NOTES = frozenset({"weight_name", "recurrence_name", "folded_bn", "rnn_part"})


@dataclass
class LayerError:
    name: str
    op: str
    on_hardware: bool
    rel_error: float  # ‖hw − float‖ / ‖float‖ of the layer's first output
    snr_db: float
    ref_norm: float  # ‖float‖, to pool errors over batches
    path: str | None = None  # how its partial sums were computed (ProgrammedMatrix.path)


@dataclass
class RunResult:
    hw: dict[str, np.ndarray]
    float: dict[str, np.ndarray]
    layers: list[LayerError] = field(default_factory=list)


@dataclass
class _HwLayer:
    """A crossbar matrix on hardware and its input quantisation, fixed on the first batch.

    ``peak`` is the largest |input| seen then; a batch with negative inputs is quantised
    as signed (sign + magnitude), otherwise as unsigned — both ranges are calibrated, so
    a layer whose first batch happened to be non-negative does not clip later negatives.
    """

    matrix: ProgrammedMatrix
    peak: float
    reads: int = 0  # calls so far: every read draws fresh noise
    path: str = ""  # how the last read computed (exact, bitplane or float)

    def run(self, x: np.ndarray, bits: int, noise_key: int) -> np.ndarray:
        signed = bool(np.min(x) < 0) if x.size else False
        scale = input_scale(np.array([self.peak]), bits, signed)
        self.path = self.matrix.path(signed)
        return self.matrix.run(x, scale, signed, noise_key)


class Executor:
    def __init__(self, net: Network, arch: Arch | None = None, *, seed: int = 0,
                 ideal: bool = False, hw_layers: Collection[str] | None = None,
                 record_activity: bool = False, kernel: str = "auto") -> None:
        if net.constants is None:
            raise ModelError(f"model '{net.name}' carries no constants; import it from ONNX")
        self.net, self.seed, self.ideal = net, seed, ideal or arch is None
        # the partial-sum kernel (auto, float, bitplane): the same results, but for read noise
        # moving a rare conversion by one code (its variance is summed differently)
        self.hw = replace(HwParams.from_arch(arch), kernel=kernel) \
            if arch is not None else None
        if self.hw is not None and not self.ideal:
            self.hw.partial_sums()  # a forced kernel that cannot be exact: refused now
        self.calibrate_adc = arch is not None and arch.adc.range is AdcRange.CALIBRATED
        self.layers = list(net.layers())
        self.index = {layer.name: i for i, layer in enumerate(self.layers)}
        names = {layer.name for layer in self.layers if layer.kind.is_crossbar}
        if hw_layers is not None:
            unknown = sorted(set(hw_layers) - names)
            if unknown:
                raise ModelError(f"--layers: no crossbar layer named {', '.join(unknown)}; "
                                 f"crossbar layers: {', '.join(sorted(names))}")
            names = set(hw_layers)
        self.on_hw = names if not self.ideal else set()
        self._programmed: dict[str, _HwLayer] = {}
        self.record_activity = record_activity  # keep input-activity sums per matrix
        self._weights: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._batches = 0  # runs so far
        self._batch = 0  # the running batch's index in the whole run (keys read noise)
        self._reads_per_batch: dict[str, int] | None = None  # per matrix, after the first run
        outputs = set(net.outputs)
        self._last_use: dict[str, int] = {}
        for i, layer in enumerate(self.layers):
            for t in layer.node_inputs or layer.inputs:
                self._last_use[t] = i
        for t in outputs:
            self._last_use[t] = len(self.layers)

    # ------------------------------------------------------------ public

    def run(self, feeds: dict[str, np.ndarray], batch: int | None = None) -> RunResult:
        """One batch through the float model and the hardware. ``batch``: its index in the
        whole run, which keys its read noise (default: how many batches ran before). The
        first run programs the arrays, so a process that runs some batches of a split run
        runs batch 0 first to get the arrays, ranges and input scales every process has."""
        missing = set(self.net.inputs) - set(feeds)
        if missing:
            raise ModelError(f"model inputs missing from the data: {', '.join(sorted(missing))}")
        if batch not in (None, 0) and self._reads_per_batch is None and self.on_hw:
            raise ValueError(f"batch {batch}: an executor's first run is batch 0 (it "
                             "programs the arrays)")
        if batch is not None and self._reads_per_batch is not None:
            # the reads one process running every batch in order would have made before
            # this one (an RNN reads once per step): the noise key's read counter
            for key, hw_layer in self._programmed.items():
                hw_layer.reads = batch * self._reads_per_batch[key]
        self._batch = self._batches if batch is None else batch
        vf: dict[str, np.ndarray] = dict(feeds)
        vh: dict[str, np.ndarray] = dict(feeds)
        errors: list[LayerError] = []
        for i, layer in enumerate(self.layers):
            if layer.attr("rnn_part") is not None:
                continue  # the RNN's crossbar layer already produced the node's outputs
            names = layer.node_inputs or layer.inputs
            outs_names = [o for o in (layer.node_outputs or layer.outputs) if o]
            xf = [self._get(vf, n) for n in names]
            xh = [self._get(vh, n) for n in names]
            same = all(a is b for a, b in zip(xf, xh, strict=True))
            yf = self._layer(layer, xf, hardware=False)
            if layer.name in self.on_hw:
                yh = self._layer(layer, xh, hardware=True)
            elif same:
                yh = yf
            else:
                yh = self._layer(layer, xh, hardware=False)
            for name, a, b in zip(outs_names, yf, yh, strict=False):
                vf[name], vh[name] = a, b
            if layer.kind.is_crossbar or yh is not yf:
                errors.append(_error(layer, yf[0], yh[0], layer.name in self.on_hw,
                                     self._path(layer.name)))
            for n in names:
                if n and self._last_use.get(n, -1) <= i:
                    vf.pop(n, None)
                    vh.pop(n, None)
        if self._reads_per_batch is None:
            self._reads_per_batch = {k: v.reads for k, v in self._programmed.items()}
        self._batches += 1
        outs = self.net.outputs
        return RunResult({o: vh[o] for o in outs}, {o: vf[o] for o in outs}, errors)

    # ------------------------------------------------------------ plumbing

    def _get(self, values: dict[str, np.ndarray], name: str) -> np.ndarray | None:
        if not name:
            return None
        if name in values:
            return values[name]
        assert self.net.constants is not None
        if self.net.constants.is_const(name):
            return self.net.constants.value(name)
        raise ModelError(f"tensor '{name}' is neither computed nor constant")

    def _layer(self, layer: Layer, inputs: list[np.ndarray | None], hardware: bool) -> list[np.ndarray]:
        if layer.kind is LayerKind.CONV:
            return [self._conv(layer, inputs, hardware)]
        if layer.kind is LayerKind.GEMM:
            return [self._gemm(layer, inputs, hardware)]
        if layer.kind is LayerKind.RNN:
            return self._rnn(layer, inputs, hardware)
        attrs = {k: v for k, v in layer.attrs if k not in _NOTES}
        impl = ops.OPS.get(layer.op) if layer.domain == "" else None
        if layer.op == "Softmax" and self.net.opset < 13:
            impl = None  # older Softmax flattens at `axis`: leave it to the reference
        if impl is not None and all(x is not None for x in inputs[:1]):
            return impl(inputs, attrs)  # type: ignore[arg-type]
        n_out = len(layer.node_outputs or layer.outputs)
        return evaluate(layer.op, layer.domain, attrs, inputs, n_out, self.net.opset, layer.name)

    def _weights_of(self, layer: Layer, build) -> tuple[np.ndarray, np.ndarray | None]:  # type: ignore[no-untyped-def]
        if layer.name not in self._weights:
            w, b = build()
            if not np.all(np.isfinite(w)):
                raise ModelError(f"layer '{layer.name}': weights contain NaN/Inf; re-export the model")
            self._weights[layer.name] = (w, b)
        return self._weights[layer.name]

    def _matmul(self, layer: Layer, x: np.ndarray, w: np.ndarray, hardware: bool,
                slot: int = 0) -> np.ndarray:
        """x (G, M, K) @ w (G, K, N) in float or on the programmed arrays."""
        if not hardware:
            if all(h.path in ("", "exact") for h in self._programmed.values()):
                return np.matmul(x.astype(np.float64), w)
            with blas_one_thread():  # no BLAS threads left spinning beside the kernels'
                return np.matmul(x.astype(np.float64), w)
        assert self.hw is not None
        if not np.all(np.isfinite(x)):
            raise ModelError(f"layer '{layer.name}': inputs contain NaN/Inf")
        hw_layer = self._program(layer, w, x, slot)
        # a different noise stream for every read: batch, and call within it (RNN steps)
        key = int(np.random.SeedSequence([
            self.seed, self.index[layer.name], 1, self._batch, slot, hw_layer.reads,
        ]).generate_state(1, dtype=np.uint64)[0])
        hw_layer.reads += 1
        return hw_layer.run(x, self.hw.input_bits, key)

    def _program(self, layer: Layer, w: np.ndarray, x: np.ndarray, slot: int,
                 peak: float | None = None) -> _HwLayer:
        """Program on first use; input peak from ``x`` (or given, for RNNs)."""
        key = f"{layer.name}#{slot}"
        if key not in self._programmed:
            assert self.hw is not None
            peak = float(np.max(np.abs(x))) if peak is None and x.size else (peak or 0.0)
            rng = np.random.default_rng([self.seed, self.index[layer.name], 0, slot])
            pm = ProgrammedMatrix(w, self.hw, rng)
            if self.record_activity:
                pm.stats = ActivityStats(np.zeros(self.hw.cycles))
            if self.calibrate_adc:
                bits = self.hw.input_bits
                ref = np.array([peak])
                pm.calibrate(x, input_scale(ref, bits, True), True)
                pm.calibrate(np.abs(x), input_scale(ref, bits, False), False)
            self._programmed[key] = _HwLayer(pm, peak if peak > 0 else 1.0)
        return self._programmed[key]

    def _path(self, name: str) -> str | None:
        """How a hardware layer's reads computed (its matrices' paths, joined), or None."""
        paths = sorted({h.path for key, h in self._programmed.items()
                        if key.rsplit("#", 1)[0] == name and h.path})
        return "+".join(paths) or None

    def paths(self) -> dict[str, str]:
        """Each hardware layer's path so far (``exact``, ``bitplane`` or ``float``)."""
        names = {key.rsplit("#", 1)[0] for key in self._programmed}
        return {n: p for n in sorted(names) if (p := self._path(n)) is not None}

    def activity_stats(self) -> dict[str, list[ActivityStats]]:
        """Recorded input-activity sums of every programmed matrix, by layer name."""
        out: dict[str, list[ActivityStats]] = {}
        for key, hw_layer in self._programmed.items():
            if hw_layer.matrix.stats is not None:
                out.setdefault(key.rsplit("#", 1)[0], []).append(hw_layer.matrix.stats)
        return out

    # ------------------------------------------------------------ crossbar layers

    def _conv(self, layer: Layer, inputs: list[np.ndarray | None], hardware: bool) -> np.ndarray:
        x, w_raw = inputs[0], inputs[1]
        assert x is not None and w_raw is not None
        attrs = {k: v for k, v in layer.attrs if k not in _NOTES}
        groups = int(attrs.get("group", 1))  # type: ignore[call-overload]
        c_out = w_raw.shape[0]

        def build() -> tuple[np.ndarray, np.ndarray | None]:
            w = w_raw.astype(np.float64)
            b = inputs[2].astype(np.float64) if len(inputs) > 2 and inputs[2] is not None else None
            bn = layer.attr("folded_bn")
            if bn is not None:
                _, scale, shift, mean, var, eps = bn  # type: ignore[misc]
                c = self.net.constants
                assert c is not None
                inv = c.value(scale).astype(np.float64) / np.sqrt(c.value(var).astype(np.float64) + eps)
                w = w * inv.reshape(-1, *([1] * (w.ndim - 1)))
                b0 = b if b is not None else np.zeros(c_out)
                b = (b0 - c.value(mean)) * inv + c.value(shift)
            k = math.prod(w.shape[1:])
            wg = w.reshape(groups, c_out // groups, k).transpose(0, 2, 1)
            return np.ascontiguousarray(wg), b

        wg, bias = self._weights_of(layer, build)
        cols, out = ops.im2col(x, attrs, w_raw.shape)
        y = self._matmul(layer, cols, wg, hardware)  # (G, N·out, C_out/G)
        n = x.shape[0]
        y = y.reshape(groups, n, *out, c_out // groups)
        nd = len(out)
        y = y.transpose(1, 0, nd + 2, *range(2, 2 + nd)).reshape(n, c_out, *out)
        if bias is not None:
            y = y + bias.reshape(1, -1, *([1] * nd))
        return y.astype(x.dtype)

    def _gemm(self, layer: Layer, inputs: list[np.ndarray | None], hardware: bool) -> np.ndarray:
        a, b = inputs[0], inputs[1]
        assert a is not None and b is not None
        attrs = dict(layer.attrs)
        c = self.net.constants
        assert c is not None
        dtype = a.dtype if not c.is_const(layer.node_inputs[0]) else b.dtype
        if layer.op == "Gemm":
            ta, tb = int(attrs.get("transA", 0)), int(attrs.get("transB", 0))  # type: ignore[call-overload]
            alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))  # type: ignore[arg-type]
            a2 = a.T if ta else a
            b2 = b.T if tb else b
            if c.is_const(layer.node_inputs[1]):
                w, _ = self._weights_of(layer, lambda: ((alpha * b2.astype(np.float64))[None], None))
                y = self._matmul(layer, a2[None], w, hardware)[0]
            else:  # constant A: columns of B are the input vectors
                w, _ = self._weights_of(layer, lambda: ((alpha * a2.astype(np.float64)).T[None], None))
                y = self._matmul(layer, b2.T[None], w, hardware)[0].T
            if len(inputs) > 2 and inputs[2] is not None:
                y = y + beta * inputs[2]
            return y.astype(dtype)
        if c.is_const(layer.node_inputs[1]):  # x @ W
            if b.ndim == 1:
                w, _ = self._weights_of(layer, lambda: (b.astype(np.float64)[None, :, None], None))
                y = self._matmul(layer, a.reshape(1, -1, a.shape[-1]), w, hardware)
                return y.reshape(a.shape[:-1]).astype(dtype)
            if b.ndim == 2:
                w, _ = self._weights_of(layer, lambda: (b.astype(np.float64)[None], None))
                y = self._matmul(layer, a.reshape(1, -1, a.shape[-1]), w, hardware)
                return y.reshape(*a.shape[:-1], b.shape[-1]).astype(dtype)
            batch = b.shape[:-2]
            w, _ = self._weights_of(layer, lambda: (b.reshape(-1, *b.shape[-2:]).astype(np.float64), None))
            xa = np.broadcast_to(a, (*batch, *a.shape[-2:])).reshape(-1, *a.shape[-2:])
            y = self._matmul(layer, xa, w, hardware)
            return y.reshape(*batch, a.shape[-2], b.shape[-1]).astype(dtype)
        # W @ x: each column of x is an input vector
        if a.ndim == 1:
            w, _ = self._weights_of(layer, lambda: (a.astype(np.float64)[None, :, None], None))
            xt = np.swapaxes(b, -1, -2)
            y = self._matmul(layer, xt.reshape(1, -1, xt.shape[-1]), w, hardware)
            return y.reshape(xt.shape[:-1]).astype(dtype)
        if a.ndim != 2:
            raise ModelError(f"layer '{layer.name}': batched constant left MatMul operand "
                             "is not supported by the functional simulator")
        w, _ = self._weights_of(layer, lambda: (a.T.astype(np.float64)[None], None))
        xt = np.swapaxes(b, -1, -2)
        y = self._matmul(layer, xt.reshape(1, -1, xt.shape[-1]), w, hardware)
        return np.swapaxes(y.reshape(*xt.shape[:-1], a.shape[0]), -1, -2).astype(dtype)

    def _rnn(self, layer: Layer, inputs: list[np.ndarray | None], hardware: bool) -> list[np.ndarray]:
        from imcsim.functional.rnn import run_rnn

        # every step's input vector mixes x_t with h ∈ (−1, 1) (or the initial state): one
        # scale for the whole sequence, from the largest of them
        states = [a for a in (inputs[0], inputs[5] if len(inputs) > 5 else None) if a is not None]
        peak = max([1.0, *(float(np.max(np.abs(a))) for a in states if a.size)])

        def mm(x: np.ndarray, w: np.ndarray, slot: int) -> np.ndarray:
            if hardware:  # step inputs mix x_t and h: one peak for the whole sequence
                self._program(layer, w[None], x[None], slot, peak=peak)
            return self._matmul(layer, x[None], w[None], hardware, slot)[0]

        attrs = {k: v for k, v in layer.attrs if k not in _NOTES}
        return run_rnn(layer.op, attrs, inputs, mm)


def _norm(x: np.ndarray) -> np.float64:
    """‖x‖ by NumPy's own pairwise sum: np.linalg.norm's BLAS dot splits the sum over
    its threads, so the last bits would depend on OPENBLAS_NUM_THREADS (1 in a Dask
    worker)."""
    return np.float64(np.sqrt(np.sum(np.square(x))))


def _error(layer: Layer, ref: np.ndarray, got: np.ndarray, on_hw: bool,
           path: str | None = None) -> LayerError:
    ref64 = np.asarray(ref, dtype=np.float64)
    diff = _norm(np.asarray(got, dtype=np.float64) - ref64)
    norm = _norm(ref64)
    rel = float(diff / norm) if norm > 0 else float(diff)
    snr = float(20 * np.log10(norm / diff)) if diff > 0 and norm > 0 else math.inf
    return LayerError(layer.name, layer.op, on_hw, rel, snr, float(norm), path)
