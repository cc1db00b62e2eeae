"""Design points per second of `imcsim sweep` on ResNet-50 (target ≥ 200 on 2 cores).

Runs the command as a user does (a fresh process, default workers: one per core) and
prints, per grid: the points, the whole command's wall time, and the evaluation rate the
sweep reports (points/s once the model is loaded, results written and fsynced as they
finish). Grids: the issue's (4 array sizes × 7 ADC resolutions × 3 cell sizes = 84
points) and a larger one (× 4 ADC sharings × 3 nodes = 1,008 points), also on one
worker process for comparison.

    python benchmarks/bench_sweep.py [--model PATH] [--arch rram_128]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ISSUE_GRID = ["--grid", "array.rows=64,128,256,512", "--grid", "adc.bits=4..10",
              "--grid", "array.cell_bits=1,2,4"]
LARGE_GRID = [*ISSUE_GRID, "--grid", "adc.cols_per_adc=1,2,4,8",
              "--grid", "technology.node_nm=22,32,45"]


def _ensure_model(path: Path) -> None:
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet50",
                        "--out", str(path)], check=True)


def sweep(model: Path, arch: str, grid: list[str], extra: list[str]) -> tuple[int, float, float]:
    """(points, wall seconds of the command, points/s the sweep reports)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "imcsim", "sweep", str(model), "--arch", arch,
                              *grid, "--out", str(Path(tmp) / "out"), "--no-plots", *extra],
                             capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
    m = re.search(r"imcsim: (\d+) points .* \(([\d,.]+) points/s\)", run.stderr)
    if m is None:
        raise SystemExit(f"no summary line in:\n{run.stderr}")
    return int(m.group(1)), wall, float(m.group(2).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=REPO / "models" / "resnet50.onnx")
    ap.add_argument("--arch", default="rram_128")
    args = ap.parse_args()
    _ensure_model(args.model)
    print(f"model: {args.model.name}, arch: {args.arch}, {os.cpu_count()} CPUs")
    for label, grid, extra in (("issue grid", ISSUE_GRID, []),
                               ("large grid", LARGE_GRID, []),
                               ("large grid, 1 worker", LARGE_GRID, ["--workers", "1"])):
        points, wall, rate = sweep(args.model, args.arch, grid, extra)
        print(f"{label:22s} {points:5d} points: command {wall:5.2f} s "
              f"({points / wall:6.0f} points/s end to end), evaluation {rate:6.0f} points/s "
              "(target ≥ 200)")


if __name__ == "__main__":
    main()
