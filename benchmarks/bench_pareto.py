"""Speed of the sweep's N-dimensional Pareto filter (target: 10,000 points × 3 objectives
well under a second) and of judging a whole sweep's records by objectives and constraints.

Prints, per data shape, the best of 5 runs of :func:`imcsim.sweep.pareto.nondominated`
and the front's size: uniformly random points (a small front), anti-correlated ones (a
large front) and points on a sphere octant (every point on the front: the worst case),
with 2 to 5 objectives; then :func:`imcsim.sweep.analysis.analyse` on 10,000 synthetic
records (flattening, constraints, front, best points and reproduce commands).

    python benchmarks/bench_pareto.py [--points 10000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from imcsim.sweep.analysis import analyse
from imcsim.sweep.objectives import analysis
from imcsim.sweep.pareto import nondominated


def _best_of(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _shapes(n: int, m: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    uniform = rng.random((n, m))
    a = rng.random((n, m - 1))
    anti = np.column_stack([a, a.shape[1] - a.sum(axis=1) + 0.1 * rng.random(n)])
    v = np.abs(rng.normal(size=(n, m)))
    sphere = -v / np.linalg.norm(v, axis=1, keepdims=True)
    return {"uniform": uniform, "anti-correlated": anti, "sphere (all on front)": sphere}


def _records(n: int, rng: np.random.Generator) -> list[dict[str, object]]:
    e, area, lat = rng.random(n), rng.random(n) * 100, rng.random(n) * 1e-6
    return [{"point": i, "id": f"{i:016x}", "status": "ok",
             "config": {"array.rows": int(64 * (1 + i % 4)), "adc.bits": int(4 + i % 7)},
             "energy": {"total_j": float(e[i]), "tops_per_w": float(1 / e[i])},
             "area": {"total_mm2": float(area[i])},
             "performance": {"latency_s": float(lat[i])}} for i in range(n)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=10_000)
    n = p.parse_args().points
    rng = np.random.default_rng(0)
    print(f"nondominated() on {n:,} points, best of 5:")
    for m in (2, 3, 4, 5):
        for name, f in _shapes(n, m, rng).items():
            t = _best_of(lambda f=f: nondominated(f))
            print(f"  {m} objectives, {name:<22} front {len(nondominated(f)):>6,}  "
                  f"{t * 1e3:8.1f} ms")
    records = _records(n, rng)
    spec = analysis("energy.total_j:min,area.total_mm2:min,performance.latency_s:min",
                    ["area.total_mm2<=80"])
    sweep = {"model": "m.onnx", "arch": "rram_128", "set": [], "duplication": "auto"}
    t = _best_of(lambda: analyse(records, spec, sweep), runs=3)
    print(f"analyse() of {n:,} records, 3 objectives, 1 constraint: {t * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
