"""Accuracy of a model on simulated hardware: top-1 and top-5 vs labels, top-1 vs float,
output error, per-layer error — over a data set, in batches, reproducibly from one seed."""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from imcsim.compiler.ir import Network
from imcsim.config import Arch
from imcsim.errors import DataError
from imcsim.functional import datasets, scaleout
from imcsim.functional.crossbar import ActivityStats
from imcsim.functional.executor import Executor
from imcsim.functional.userdata import Data
from imcsim.progress import Steps

TOP_K = 5  # the second accuracy figure: label among the K largest outputs


@dataclass
class LayerAccuracy:
    name: str
    op: str
    on_hardware: bool
    output_rel_error: float  # ‖hw − float‖ / ‖float‖ over all samples
    snr_db: float
    path: str | None = None  # exact, bitplane or float (joined with + if batches differed)


@dataclass
class AccuracyResult:
    samples: int
    seed: int
    float_top1: float | None  # None without labels
    hw_top1: float | None
    top1_agreement: float
    output_rel_error: float  # mean over samples of ‖hw − float‖ / ‖float‖ (first output)
    float_top5: float | None = None  # None without labels or with fewer than 5 outputs
    hw_top5: float | None = None
    classes: int = 0  # elements of the first output per sample (the argmax runs over them)
    layers: list[LayerAccuracy] = field(default_factory=list)
    labels: np.ndarray | None = field(default=None, repr=False)
    index: np.ndarray | None = field(default=None, repr=False)  # positions in the user's data
    inputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    hw_output: np.ndarray | None = field(default=None, repr=False)
    float_output: np.ndarray | None = field(default=None, repr=False)
    activity: dict[str, list[ActivityStats]] = field(default_factory=dict, repr=False)


def output_classes(net: Network) -> int | None:
    """Elements of the first output per sample (what top-k ranks), None when unknown."""
    for layer in net.layers():
        if net.outputs[0] in layer.outputs and len(layer.out_shape) >= 1:
            total = math.prod(layer.out_shape)
            return total // net.batch if total % net.batch == 0 else None
    return None


def top_k(outputs: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Fraction of samples whose label is among the ``k`` largest outputs (ties: the lower
    index ranks first, as a stable argsort of −output)."""
    best = np.argsort(-outputs, axis=1, kind="stable")[:, :k]
    return float(np.mean((best == labels[:, None]).any(axis=1)))


def hardware_warnings(arch: Arch) -> list[str]:
    """Settings under which the simulated numbers mislead, as one-line warnings."""
    from imcsim.functional.crossbar import HwParams

    out = []
    n, a = arch.nonideal, arch.array
    x = n.wire_resistance_ohm * a.g_on_s * a.rows * a.cols
    if n.ir_drop_model.value == "first_order" and x > 0.01:
        # first order ignores current sharing along the wires
        out.append(f"first-order IR drop is valid while wire_resistance_ohm · G_on · rows · "
                   f"cols ≪ 1 (here {x:.2g}): it underestimates the loss; set "
                   "nonideal.ir_drop_model=circuit")
    # one conversion sees rows per read × DAC levels × cell (or combined-slice) levels × the
    # unit pulses integrated in its phase, and a sign bit: more ADC bits change nothing
    hw = HwParams.from_arch(arch)
    rows = arch.array.rows_per_read or arch.array.rows
    cell = (hw.slices if arch.readout.combine_slices else 1) * hw.cell_bits
    pulses = max(sum(1 << (k * hw.dac_bits) for k in range(size))
                 for size in hw.phase_sizes(False))
    top = rows * ((1 << hw.dac_bits) - 1) * ((1 << cell) - 1) * pulses
    useful = math.ceil(math.log2(top + 1)) + 1
    if arch.adc.bits > useful:
        out.append(f"adc.bits={arch.adc.bits} exceeds the {useful} bits one conversion can use "
                   f"(values up to {top:,} and a sign); the extra bits change nothing")
    return out


def evaluate(net: Network, arch: Arch, dataset: str | Data, samples: int | None, seed: int, *,
             ideal: bool = False, hw_layers: Collection[str] | None = None,
             record_activity: bool = False, option: str = "--dataset",
             label: str = "accuracy", workers: int | None = None,
             scheduler: str | None = None, kernel: str = "auto") -> AccuracyResult:
    """Run ``samples`` inputs of ``dataset`` (a name or path for :func:`datasets.load`, or
    data already loaded, whose own count then rules) through ``net`` (imported with its
    batch = the run's batch size, BatchNormalization folded, views kept) in batches of
    ``net.batch``: in this process, in ``workers`` local processes, or on the Dask cluster
    at ``scheduler``, with the same numbers."""
    index = None
    if isinstance(dataset, Data):
        feeds, labels, index, samples = dataset.feeds, dataset.labels, dataset.index, \
            dataset.samples
    else:
        if samples is None:
            raise ValueError("evaluate: samples is needed for a named data set")
        feeds, labels = datasets.load(dataset, net.inputs, net.input_dtypes, samples, seed,
                                      option)
    batch = net.batch
    batches = -(-samples // batch)
    # made here in any case: it checks hw_layers before any worker starts
    executor = Executor(net, arch, seed=seed, ideal=ideal, hw_layers=hw_layers,
                        record_activity=record_activity, kernel=kernel)
    out_name = net.outputs[0]

    def padded(i: int) -> scaleout.Batch:
        start, stop = i * batch, min(samples, (i + 1) * batch)
        chunk = {}
        for k, v in feeds.items():
            part = v[start:stop]
            if len(part) < batch:  # pad the last batch; padded rows are dropped
                part = np.concatenate([part, np.repeat(part[-1:], batch - len(part), axis=0)])
            chunk[k] = part
        return i, stop - start, chunk

    spread = None
    if scheduler is not None or ((workers or 1) > 1 and batches > 1):
        if record_activity:  # partial float sums would not add up bit for bit
            raise ValueError("evaluate: record_activity runs in one process")
        job = scaleout.Job(uuid.uuid4().hex, net, arch, seed, ideal,
                           tuple(hw_layers) if hw_layers is not None else None, padded(0)[2],
                           kernel)
        spread = scaleout.Spread(job, batches, workers, scheduler)  # before the bar's thread
    hw_parts: list[np.ndarray] = []
    fl_parts: list[np.ndarray] = []
    sq_diff: dict[str, float] = {}
    sq_ref: dict[str, float] = {}
    meta: dict[str, tuple[str, bool]] = {}
    paths: dict[str, set[str]] = {}
    waiting: dict[int, scaleout.BatchResult] = {}
    try:
        with Steps(label, total=samples, unit="inputs") as bar:  # stderr, on a terminal
            stream = spread.run(batches, padded) if spread is not None else (
                [scaleout.batch_result(executor.run(chunk), i, n, out_name)]
                for i, n, chunk in map(padded, range(batches)))
            done = 0
            for results in stream:
                for r in results:
                    waiting[r.index] = r
                    done += 1
                    bar.advance(r.samples, f"{done} of {batches} batches")
                # pooled in batch order, as one process adds them up
                while len(hw_parts) in waiting:
                    r = waiting.pop(len(hw_parts))
                    hw_parts.append(r.hw)
                    fl_parts.append(r.float)
                    for e in r.layers:
                        sq_diff[e.name] = sq_diff.get(e.name, 0.0) + (e.rel_error * e.ref_norm) ** 2
                        sq_ref[e.name] = sq_ref.get(e.name, 0.0) + e.ref_norm**2
                        meta[e.name] = (e.op, e.on_hardware)
                        if e.path:
                            paths.setdefault(e.name, set()).update(e.path.split("+"))
    finally:
        if spread is not None:
            spread.close()
    hw = np.concatenate(hw_parts)
    fl = np.concatenate(fl_parts)
    hw2, fl2 = hw.reshape(samples, -1).astype(np.float64), fl.reshape(samples, -1).astype(np.float64)
    hw_pred, fl_pred = hw2.argmax(axis=1), fl2.argmax(axis=1)
    classes = fl2.shape[1]
    if labels is not None and len(labels) and not 0 <= labels.min() <= labels.max() < classes:
        raise DataError(f"the labels run from {labels.min()} to {labels.max()} but the model's "
                        f"first output has {classes} values; labels are class indices")
    top5 = labels is not None and classes >= TOP_K
    norms = np.linalg.norm(fl2, axis=1)
    rel = np.linalg.norm(hw2 - fl2, axis=1) / np.where(norms > 0, norms, 1.0)
    layers = []
    for name, (op, on_hw) in meta.items():
        ref, diff = math.sqrt(sq_ref[name]), math.sqrt(sq_diff[name])
        layers.append(LayerAccuracy(
            name, op, on_hw, diff / ref if ref > 0 else diff,
            20 * math.log10(ref / diff) if diff > 0 and ref > 0 else math.inf,
            "+".join(sorted(paths[name])) if name in paths else None))
    return AccuracyResult(
        samples=samples, seed=seed,
        float_top1=float(np.mean(fl_pred == labels)) if labels is not None else None,
        hw_top1=float(np.mean(hw_pred == labels)) if labels is not None else None,
        top1_agreement=float(np.mean(hw_pred == fl_pred)),
        output_rel_error=float(np.mean(rel)),
        float_top5=top_k(fl2, labels, TOP_K) if top5 else None,  # type: ignore[arg-type]
        hw_top5=top_k(hw2, labels, TOP_K) if top5 else None,  # type: ignore[arg-type]
        classes=classes, layers=layers, labels=labels, index=index,
        inputs={k: v[:samples] for k, v in feeds.items()}, hw_output=hw, float_output=fl,
        activity=executor.activity_stats(),
    )
