"""Report of ``imcsim accuracy``: JSON structure, terminal tables, the ``--outputs`` file.

JSON keys: ``model`` (``name``, ``batch_size``), ``arch`` (as in the compile report, plus
``nonideal``: every non-ideality setting, and ``adc_range``), ``accuracy``
(``float_top1`` and ``hw_top1``: top-1 against the labels, null for unlabelled data;
``top1_agreement``: fraction of samples whose hardware top-1 equals the float top-1;
``output_rel_error``: mean over samples of ‖hw − float‖/‖float‖ of the first output;
``samples``, ``seed``, ``dataset``, ``ideal``), and ``layers`` (per layer whose output
differs from float: ``name``, ``op``, ``on_hardware``, ``output_rel_error`` pooled over all
samples, ``snr_db``, null when exact).
"""

from __future__ import annotations

import dataclasses
import io
import math
from typing import Any

import numpy as np

from imcsim.config import Arch
from imcsim.functional.accuracy import AccuracyResult
from imcsim.report import _arch_block, atomic_write


def accuracy_report(model: str, batch: int, arch: Arch, result: AccuracyResult, dataset: str,
                    ideal: bool) -> dict[str, Any]:
    block = _arch_block(arch)
    block["adc_range"] = arch.adc.range.value
    block["nonideal"] = dataclasses.asdict(arch.nonideal)
    return {
        "model": {"name": model, "batch_size": batch},
        "arch": block,
        "accuracy": {
            "float_top1": result.float_top1, "hw_top1": result.hw_top1,
            "top1_agreement": result.top1_agreement,
            "output_rel_error": result.output_rel_error, "samples": result.samples,
            "seed": result.seed, "dataset": dataset, "ideal": ideal,
        },
        "layers": [
            {"name": e.name, "op": e.op, "on_hardware": e.on_hardware,
             "output_rel_error": e.output_rel_error,
             "snr_db": e.snr_db if math.isfinite(e.snr_db) else None}
            for e in result.layers
        ],
    }


def write_outputs(result: AccuracyResult, target: str) -> None:
    """``inputs`` (or ``inputs_<name>`` for several inputs), ``hw`` and ``float`` arrays."""
    arrays: dict[str, np.ndarray] = {}
    if len(result.inputs) == 1:
        arrays["inputs"] = next(iter(result.inputs.values()))
    else:
        arrays.update({f"inputs_{k}": v for k, v in result.inputs.items()})
    assert result.hw_output is not None and result.float_output is not None
    arrays["hw"], arrays["float"] = result.hw_output, result.float_output

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
    t.add_row("float top-1", pct(acc["float_top1"]))
    t.add_row("hardware top-1", pct(acc["hw_top1"]))
    t.add_row("top-1 agreement with float", pct(acc["top1_agreement"]))
    t.add_row("output relative error", f"{acc['output_rel_error']:.3g}")
    active = {k: v for k, v in a["nonideal"].items() if v not in (0, 0.0, 1.0, True, False)}
    t.add_row("non-idealities", ", ".join(f"{k}={v}" for k, v in active.items()) or "none")
    console.print(t)
    layers = Table(title="Per-layer error vs float (accumulated through the network)")
    for col in ("layer", "op", "hw", "rel. error", "SNR dB"):
        layers.add_column(col, justify="left" if col in ("layer", "op") else "right",
                          overflow="fold", min_width=16 if col == "layer" else None)
    rows = [r for r in report["layers"] if r["on_hardware"]][:max_layers]
    for r in rows:
        snr = "exact" if r["snr_db"] is None else f"{r['snr_db']:.1f}"
        layers.add_row(short_name(r["name"], r["op"]), r["op"], "yes" if r["on_hardware"] else "no",
                       f"{r['output_rel_error']:.3g}", snr)
    if rows:
        console.print(layers)
