"""Seconds per image of functional (accuracy) simulation of ResNet-18 at 224×224, and the
ratio to this machine's float32 GEMM floor measured in the same run.

Configuration (issue 3): 8-bit inputs through a 1-bit DAC, 8-bit weights in 2-bit cells,
128-row arrays, 8-bit ADC, read noise on (σ = 2 %).

    python benchmarks/bench_functional.py [--images 2] [--model models/resnet18.onnx]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def gemm_gflops(n: int = 2048, repeat: int = 5) -> float:
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeat))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    from imcsim.compiler.frontend import import_onnx
    from imcsim.compiler.passes import canonicalize

    from imcsim.config import load_arch
    from imcsim.functional.crossbar import HwParams
    from imcsim.functional.executor import Executor

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=REPO / "models" / "resnet18.onnx")
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    help="extra config overrides, e.g. precision.signed_scheme=offset")
    args = ap.parse_args()
    if not args.model.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet18",
                        "--out", str(args.model)], check=True)
    arch = load_arch("rram_128", ["adc.bits=8", "nonideal.read_noise=0.02", *args.overrides])
    hw = HwParams.from_arch(arch)
    net = canonicalize(import_onnx(args.model, batch=1), drop_views=False)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    ex = Executor(net, arch, seed=0)
    t_first = _timed(lambda: ex.run({"input": x}))  # programs the arrays (and JIT-compiles)
    times = [_timed(lambda: ex.run({"input": x})) for _ in range(args.images)]
    per_image = min(times)
    gflops = gemm_gflops()
    # hardware work: every MAC is done once per input cycle, slice and sign, plus one
    # more matmul for the read-noise variance
    factor = hw.cycles * hw.slices * hw.scheme.columns_per_weight * 2
    floor = 2 * net.macs * factor / (gflops * 1e9)
    print(f"config: {hw.scheme.value} weights, {hw.slices} slices, {hw.cycles} input cycles, "
          f"{hw.adc_bits}-bit ADC, read noise σ={hw.read_noise}")
    print(f"float32 GEMM on this machine: {gflops:.0f} GFLOP/s")
    print(f"first image (programming + JIT): {t_first:.2f} s")
    print(f"per image: {per_image:.2f} s (best of {len(times)}); GEMM floor for the "
          f"{factor}× hardware work: {floor:.2f} s; ratio {per_image / floor:.2f}× (target ≤ 3 s)")


if __name__ == "__main__":
    main()
