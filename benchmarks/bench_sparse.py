"""Sparse mapping speed and simulated-SpMV throughput against scipy's own SpMV.

    python benchmarks/bench_sparse.py [MATRIX.mtx]   (default: ../shared/data/matrices/bcsstk25.mtx)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "data" / "matrices" / "bcsstk25.mtx"


def _best(fn, repeat=3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    from imcsim.compiler.sparse import STRATEGIES, load_matrix, map_matrix

    from imcsim.config import load_arch
    from imcsim.spmv import HardwareSpMV, evaluate_strategy, sparse_spec

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    t0 = time.perf_counter()
    a = load_matrix(path)
    print(f"{path.name}: {a.shape[0]:,} × {a.shape[1]:,}, {a.nnz:,} non-zeros; "
          f"load {time.perf_counter() - t0:.2f} s")
    arch = load_arch("rram_128", ["adc.range=calibrated"])
    spec = sparse_spec(arch)
    for s in STRATEGIES:
        print(f"  map {s:13s} {_best(lambda s=s: map_matrix(a, spec, s)) * 1e3:8.1f} ms")
    t0 = time.perf_counter()
    for s in STRATEGIES:
        evaluate_strategy(a, arch, s)
    print(f"--strategy all (map, cost, error simulation): {time.perf_counter() - t0:.2f} s")
    x = np.random.default_rng(0).standard_normal(a.shape[1])
    t_scipy = _best(lambda: a @ x, 20)
    print(f"scipy SpMV: {t_scipy * 1e6:.0f} µs")
    for s in ("csr", "block", "matrix-slice"):
        hw = HardwareSpMV(a, map_matrix(a, spec, s), arch)
        t = _best(lambda hw=hw: hw(x))
        print(f"  simulated SpMV ({s:12s}): {t * 1e3:7.1f} ms = {t / t_scipy:,.0f}× scipy")


if __name__ == "__main__":
    main()
