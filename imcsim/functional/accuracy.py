"""Accuracy of a model on simulated hardware: top-1 vs labels and vs float, output error,
per-layer error — over a data set, in batches, reproducibly from one seed."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from compiler.ir import Network
from imcsim.config import Arch
from imcsim.functional import datasets
from imcsim.functional.crossbar import ActivityStats
from imcsim.functional.executor import Executor


@dataclass
class LayerAccuracy:
    name: str
    op: str
    on_hardware: bool
    output_rel_error: float  # ‖hw − float‖ / ‖float‖ over all samples
    snr_db: float


@dataclass
class AccuracyResult:
    samples: int
    seed: int
    float_top1: float | None  # None without labels
    hw_top1: float | None
    top1_agreement: float
    output_rel_error: float  # mean over samples of ‖hw − float‖ / ‖float‖ (first output)
    layers: list[LayerAccuracy] = field(default_factory=list)
    inputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    hw_output: np.ndarray | None = field(default=None, repr=False)
    float_output: np.ndarray | None = field(default=None, repr=False)
    activity: dict[str, list[ActivityStats]] = field(default_factory=dict, repr=False)


def evaluate(net: Network, arch: Arch, dataset: str, samples: int, seed: int, *,
             ideal: bool = False, hw_layers: Collection[str] | None = None,
             record_activity: bool = False, option: str = "--dataset") -> AccuracyResult:
    """Run ``samples`` inputs through ``net`` (imported with its batch = the run's batch size,
    BatchNormalization folded, views kept) in batches of ``net.batch``."""
    feeds, labels = datasets.load(dataset, net.inputs, net.input_dtypes, samples, seed, option)
    batch = net.batch
    executor = Executor(net, arch, seed=seed, ideal=ideal, hw_layers=hw_layers,
                        record_activity=record_activity)
    out_name = net.outputs[0]
    hw_parts, fl_parts = [], []
    sq_diff: dict[str, float] = {}
    sq_ref: dict[str, float] = {}
    meta: dict[str, tuple[str, bool]] = {}
    for start in range(0, samples, batch):
        stop = min(samples, start + batch)
        chunk = {}
        for k, v in feeds.items():
            part = v[start:stop]
            if len(part) < batch:  # pad the last batch; padded rows are dropped below
                part = np.concatenate([part, np.repeat(part[-1:], batch - len(part), axis=0)])
            chunk[k] = part
        result = executor.run(chunk)
        n = stop - start
        hw_parts.append(np.asarray(result.hw[out_name])[:n])
        fl_parts.append(np.asarray(result.float[out_name])[:n])
        for e in result.layers:
            sq_diff[e.name] = sq_diff.get(e.name, 0.0) + (e.rel_error * e.ref_norm) ** 2
            sq_ref[e.name] = sq_ref.get(e.name, 0.0) + e.ref_norm**2
            meta[e.name] = (e.op, e.on_hardware)
    hw = np.concatenate(hw_parts)
    fl = np.concatenate(fl_parts)
    hw2, fl2 = hw.reshape(samples, -1).astype(np.float64), fl.reshape(samples, -1).astype(np.float64)
    hw_pred, fl_pred = hw2.argmax(axis=1), fl2.argmax(axis=1)
    norms = np.linalg.norm(fl2, axis=1)
    rel = np.linalg.norm(hw2 - fl2, axis=1) / np.where(norms > 0, norms, 1.0)
    layers = []
    for name, (op, on_hw) in meta.items():
        ref, diff = math.sqrt(sq_ref[name]), math.sqrt(sq_diff[name])
        layers.append(LayerAccuracy(
            name, op, on_hw, diff / ref if ref > 0 else diff,
            20 * math.log10(ref / diff) if diff > 0 and ref > 0 else math.inf))
    return AccuracyResult(
        samples=samples, seed=seed,
        float_top1=float(np.mean(fl_pred == labels)) if labels is not None else None,
        hw_top1=float(np.mean(hw_pred == labels)) if labels is not None else None,
        top1_agreement=float(np.mean(hw_pred == fl_pred)),
        output_rel_error=float(np.mean(rel)), layers=layers,
        inputs={k: v[:samples] for k, v in feeds.items()}, hw_output=hw, float_output=fl,
        activity=executor.activity_stats(),
    )
