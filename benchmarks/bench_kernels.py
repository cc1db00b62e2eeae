"""Partial-sum kernels head to head on one ResNet-like layer: float GEMMs against bit planes,
for 1–4-bit cells with and without read noise (the plane count grows with the levels), in
one thread, CPU seconds. Where bit planes stop winning sets ``BITPLANE_MAX_PLANES``, the
``--kernel auto`` cut-off in imcsim/functional/crossbar.py.

    python benchmarks/bench_kernels.py [--vectors 784] [--k 1152] [--n 128]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np


def main() -> None:
    from imcsim.compiler.mapping import SignedScheme

    from imcsim.config import AdcRange
    from imcsim.functional import crossbar
    from imcsim.functional.crossbar import HwParams, ProgrammedMatrix, quantize_inputs

    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=784, help="input vectors (M)")
    ap.add_argument("--k", type=int, default=1152, help="rows (K)")
    ap.add_argument("--n", type=int, default=128, help="outputs (N)")
    args = ap.parse_args()
    crossbar._THREADS = 1  # one core: CPU time per kernel, no thread start-up
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1, args.k, args.n))
    x = np.maximum(rng.standard_normal((1, args.vectors, args.k)), 0)  # after a ReLU
    x_int = quantize_inputs(x, float(x.max()) / 255, 8, False)
    print(f"layer: {args.vectors} vectors × {args.k} rows × {args.n} outputs, 8-bit weights "
          "and inputs, 1-bit DAC, 8-bit ADC, differential pairs, 128-row arrays")
    print(f"{'cells':>6} {'read noise':>10} {'planes':>6} {'float s':>8} {'bitplane s':>10} "
          f"{'speed-up':>8} {'outputs that differ':>8}")
    for cell_bits in (1, 2, 3, 4, 5, 6):
        for noise in (0.0, 0.02):
            p = HwParams(rows=128, cols=128, cell_bits=cell_bits, weight_bits=8, input_bits=8,
                         dac_bits=1, scheme=SignedScheme.DIFFERENTIAL, adc_bits=8,
                         adc_range=AdcRange.FULL_SCALE, percentile=99.9, g_on=1e-5,
                         g_off=1e-6, read_noise=noise)
            seconds, outputs = {}, {}
            for kernel in ("float", "bitplane"):
                pm = ProgrammedMatrix(w, dataclasses.replace(p, kernel=kernel),
                                      np.random.default_rng(1))
                pm.run_int(x_int[:, :8], False, 1)  # JIT compile
                best = np.inf
                for _ in range(3):
                    t0 = time.process_time()
                    outputs[kernel] = pm.run_int(x_int, False, 1)
                    best = min(best, time.process_time() - t0)
                seconds[kernel] = best
            differ = float(np.mean(outputs["float"] != outputs["bitplane"]))
            assert noise or differ == 0.0  # ideal: bit-identical
            print(f"{cell_bits:>6} {noise:>10} {p.bitplane_planes():>6} {seconds['float']:>8.3f} "
                  f"{seconds['bitplane']:>10.3f} {seconds['float'] / seconds['bitplane']:>7.2f}× "
                  f"{differ:>8.2%}")


if __name__ == "__main__":
    main()
