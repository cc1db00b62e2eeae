"""Accuracy of the digits CNN against ADC resolution (full-scale and calibrated ranges),
on the 359 held-out digits images, rram_128 preset. Prints a Markdown table (in README).

    python benchmarks/adc_sweep_digits.py [--bits 3..10] [--seed 0] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    from imcsim.compiler.frontend import import_onnx
    from imcsim.compiler.passes import canonicalize

    from imcsim.config import load_arch
    from imcsim.functional.accuracy import evaluate

    ap = argparse.ArgumentParser()
    ap.add_argument("--bits", default="3..10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.bits.split(".."))
    path = REPO / "models" / "digits_cnn.onnx"
    net = canonicalize(import_onnx(path, batch=32), drop_views=False)  # as the CLI default
    print("| ADC bits | top-1 (full scale) | top-1 (weight-aware) | top-1 (calibrated) | "
          "output error (calibrated) |")
    print("|---:|---:|---:|---:|---:|")
    t0 = time.perf_counter()
    float_top1 = None
    for bits in range(lo, hi + 1):
        cells = []
        for mode in ("full_scale", "weight_aware", "calibrated"):
            arch = load_arch("rram_128", [f"adc.bits={bits}", f"adc.range={mode}", *args.overrides])
            r = evaluate(net, arch, "digits", 359, args.seed)
            float_top1 = r.float_top1
            cells.append(r)
        print(f"| {bits} | {cells[0].hw_top1:.2%} | {cells[1].hw_top1:.2%} | "
              f"{cells[2].hw_top1:.2%} | {cells[2].output_rel_error:.3f} |")
    print(f"\nfloat top-1: {float_top1:.2%}; {time.perf_counter() - t0:.1f} s in all")


if __name__ == "__main__":
    main()
