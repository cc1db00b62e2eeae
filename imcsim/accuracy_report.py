"""Report of ``imcsim accuracy``: JSON structure, terminal tables, the ``--outputs`` file.

JSON keys: ``model`` (``name``, ``batch_size``), ``arch`` (as in the compile report, plus
``nonideal``: every non-ideality setting, and ``adc_range``), ``accuracy``
(``float_top1`` and ``hw_top1``: fraction of samples whose largest output is their label,
null for unlabelled data; ``float_top5`` and ``hw_top5``: fraction whose label is among the
5 largest outputs, null for unlabelled data or fewer than 5 outputs; ``top1_agreement``:
fraction of samples whose hardware top-1 equals the float top-1; ``output_rel_error``: mean
over samples of ‖hw − float‖/‖float‖ of the first output; ``classes``: values of the first
output per sample; ``samples``, ``seed``, ``dataset`` (digits, random, the data's path,
'arrays' or 'batches'), ``preprocess`` (an image folder's ``resize``, ``mean``, ``std``;
null otherwise), ``ideal``), and ``layers`` (per layer whose output differs from float:
``name``, ``op``, ``on_hardware``, ``output_rel_error`` pooled over all samples, ``snr_db``,
null when exact; ``path``: how its partial sums were computed — ``exact`` (one integer
product: no conversion can clip or round and nothing is non-ideal), ``bitplane`` or
``float`` — null off hardware).
"""

from __future__ import annotations

import dataclasses
import io
import math
from enum import Enum
from typing import Any

import numpy as np

from imcsim.config import Arch, NonIdeal
from imcsim.functional.accuracy import AccuracyResult
from imcsim.report import _arch_block, atomic_write


def accuracy_report(model: str, batch: int, arch: Arch, result: AccuracyResult, dataset: str,
                    ideal: bool, preprocess: dict[str, Any] | None = None) -> dict[str, Any]:
    block = _arch_block(arch)
    block["adc_range"] = arch.adc.range.value
    block["nonideal"] = _nonideal(arch.nonideal)
    return {
        "model": {"name": model, "batch_size": batch},
        "arch": block,
        "accuracy": {
            "float_top1": result.float_top1, "hw_top1": result.hw_top1,
            "float_top5": result.float_top5, "hw_top5": result.hw_top5,
            "top1_agreement": result.top1_agreement,
            "output_rel_error": result.output_rel_error, "classes": result.classes,
            "samples": result.samples, "seed": result.seed, "dataset": dataset,
            "preprocess": preprocess, "ideal": ideal,
        },
        "layers": [
            {"name": e.name, "op": e.op, "on_hardware": e.on_hardware,
             "output_rel_error": e.output_rel_error,
             "snr_db": e.snr_db if math.isfinite(e.snr_db) else None, "path": e.path}
            for e in result.layers
        ],
    }


def _nonideal(settings: Any) -> dict[str, Any]:
    """Section ``nonideal`` as JSON values (an enum as its config spelling)."""
    return {k: v.value if isinstance(v, Enum) else v
            for k, v in dataclasses.asdict(settings).items()}


def output_arrays(result: AccuracyResult) -> dict[str, np.ndarray]:
    """``inputs`` (or ``inputs_<name>`` for several inputs), ``hw`` and ``float`` (the first
    output), and where known ``labels`` and ``index`` (each sample's position in the data)."""
    arrays: dict[str, np.ndarray] = {}
    if len(result.inputs) == 1:
        arrays["inputs"] = next(iter(result.inputs.values()))
    else:
        arrays.update({f"inputs_{k}": v for k, v in result.inputs.items()})
    if result.hw_output is None or result.float_output is None:
        raise ValueError("the result holds no outputs")
    arrays["hw"], arrays["float"] = result.hw_output, result.float_output
    if result.labels is not None:
        arrays["labels"] = result.labels
    if result.index is not None:
        arrays["index"] = result.index
    return arrays


def write_outputs(result: AccuracyResult, target: str) -> None:
    """The :func:`output_arrays` as an .npz, written atomically."""
    arrays = output_arrays(result)

    def write(f: Any) -> None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)  # type: ignore[arg-type]
        f.write(buf.getvalue())

    atomic_write(target, write, option="--outputs")


def render_accuracy(report: dict[str, Any], console: Any, max_layers: int = 40) -> None:
    from imcsim.report import printable, short_name
    from imcsim.tables import Table

    report = printable(report)
    a, acc = report["arch"], report["accuracy"]

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.2%}"

    console.print(f"{report['model']['name']} on {a['name']} ({a['source']}): "
                  f"{a['weight_bits']}-bit weights in {a['cell_bits']}-bit cells, "
                  f"{a['input_bits']}-bit inputs, {a['adc_bits']}-bit ADC ({a['adc_range']})")
    t = Table(title=f"Accuracy on {acc['samples']} samples of '{acc['dataset']}' (seed {acc['seed']})",
              show_header=False)
    unlabelled = " (no labels in the data)" if acc["float_top1"] is None else ""
    for who, key, model in (("float", "float", "the float model"),
                            ("hardware", "hw", "the simulated hardware")):
        t.add_row(f"{who} top-1", pct(acc[f"{key}_top1"]),
                  f"label = largest output of {model}{unlabelled}")
        if acc.get(f"{key}_top5") is not None:
            t.add_row(f"{who} top-5", pct(acc[f"{key}_top5"]),
                      f"label among the 5 largest outputs of {model}")
    t.add_row("top-1 agreement with float", pct(acc["top1_agreement"]),
              "hardware's largest output = float's (needs no labels)")
    t.add_row("output relative error", f"{acc['output_rel_error']:.3g}",
              "mean over samples of ‖hw − float‖ / ‖float‖, first output")
    defaults = _nonideal(NonIdeal())
    active = {k: v for k, v in a["nonideal"].items() if defaults.get(k) != v}
    t.add_row("non-idealities", ", ".join(f"{k}={v}" for k, v in active.items()) or "none",
              "settings of section nonideal off their defaults")
    if acc.get("preprocess"):
        p = acc["preprocess"]
        fit = (f"shorter side to {p['resize']} px, centre crop" if p["resize"]
               else "resized to the input's H×W")
        mean, std = (",".join(f"{v:g}" for v in p[k]) for k in ("mean", "std"))
        t.add_row("images", f"{fit}; mean {mean}, std {std}",
                  "(pixel / 255 − mean) / std per channel")
    console.print(t)
    layers = Table(title="Per-layer error vs float (accumulated through the network)")
    for col in ("layer", "op", "hw", "rel. error", "SNR dB", "path"):
        layers.add_column(col, justify="left" if col in ("layer", "op") else "right",
                          overflow="fold", min_width=16 if col == "layer" else None)
    rows = [r for r in report["layers"] if r["on_hardware"]][:max_layers]
    for r in rows:
        snr = "exact" if r["snr_db"] is None else f"{r['snr_db']:.1f}"
        layers.add_row(short_name(r["name"], r["op"]), r["op"], "yes" if r["on_hardware"] else "no",
                       f"{r['output_rel_error']:.3g}", snr, r.get("path") or "")
    if rows:
        console.print(layers)
