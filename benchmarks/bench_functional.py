"""Seconds per image of functional (accuracy) simulation of ResNet-18 at 224×224 with each
partial-sum kernel, and the ratio to this machine's float32 GEMM floor measured in the same
run; then the digits CNN's whole test set (359 images) with read noise.

Configuration (issues 3 and 15): 8-bit inputs through a 1-bit DAC, 8-bit weights in 2-bit
cells, differential pairs, 128-row arrays, 8-bit ADC, read noise on (σ = 2 %). Two floors,
both float32 GEMMs at this machine's measured rate: issue 15's, the network's MACs once
per input cycle and slice (32×), and the work the float path does — every MAC once per
input cycle, slice and sign, plus one more matmul for the read-noise variance (128×).

    python benchmarks/bench_functional.py [--images 2] [--kernels auto,float]
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
    ap.add_argument("--kernels", default="auto,float", help="partial-sum kernels to time")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    help="extra config overrides, e.g. precision.signed_scheme=offset")
    args = ap.parse_args()
    if not args.model.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet18",
                        "--out", str(args.model)], check=True)
    arch = load_arch("rram_128", ["adc.bits=8", "nonideal.read_noise=0.02", *args.overrides])
    net = canonicalize(import_onnx(args.model, batch=1), drop_views=False)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    gflops = gemm_gflops()
    hw = HwParams.from_arch(arch)
    factor = hw.cycles * hw.slices * hw.scheme.columns_per_weight * 2
    floor = 2 * net.macs * factor / (gflops * 1e9)
    floor_issue = 2 * net.macs * hw.cycles * hw.slices / (gflops * 1e9)
    print(f"config: {hw.scheme.value} weights, {hw.slices} slices, {hw.cycles} input cycles, "
          f"{hw.adc_bits}-bit ADC, read noise σ={hw.read_noise}")
    print(f"float32 GEMM on this machine: {gflops:.0f} GFLOP/s; floors per image: "
          f"{floor_issue:.2f} s for MACs × cycles × slices (issue 15's), {floor:.2f} s for "
          f"the float path's {factor}× work")
    outputs = {}
    for kernel in args.kernels.split(","):
        ex = Executor(net, arch, seed=0, kernel=kernel)
        t0 = time.perf_counter()
        ex.run({"input": x})  # programs the arrays (and JIT-compiles)
        t_first = time.perf_counter() - t0
        times, cpu = [], []
        for _ in range(args.images):
            c0, t0 = time.process_time(), time.perf_counter()
            outputs[kernel] = ex.run({"input": x})
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        per_image = min(times)
        paths = sorted(set(ex.paths().values()))
        print(f"--kernel {kernel} ({', '.join(paths)}): first image (programming + JIT) "
              f"{t_first:.2f} s; per image {per_image:.2f} s wall, {min(cpu):.2f} s CPU "
              f"(best of {len(times)}); {per_image / floor_issue:.1f}× issue 15's floor, "
              f"{per_image / floor:.2f}× the float path's")
    if len(outputs) > 1:
        first, *rest = outputs.values()
        same = all(np.array_equal(first.hw[k], r.hw[k]) for r in rest for k in first.hw)
        print(f"outputs identical across kernels: {same}")
    digits()


def digits() -> None:
    """The digits CNN on the whole scikit-learn test set, read noise on."""
    from imcsim import api

    model = REPO / "models" / "digits_cnn.onnx"
    args = dict(dataset="digits", set=["nonideal.read_noise=0.02"], seed=0)
    api.accuracy(model, "rram_128", samples=8, **args)  # JIT-compile and warm up
    t0 = time.perf_counter()
    report = api.accuracy(model, "rram_128", **args)
    wall = time.perf_counter() - t0
    acc = report.accuracy
    print(f"digits CNN, {acc['samples']} test images, read noise σ=0.02: {wall:.2f} s "
          f"(top-1 {acc['hw_top1']:.3f}, float {acc['float_top1']:.3f}; target ≤ 2 s)")

if __name__ == "__main__":
    main()
